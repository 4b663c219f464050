"""The public API documents itself: every function optalloc exports, and the bench API, has a docstring that
names each of its parameters (the docs site is built from them: make docs)."""
import inspect

import pytest

import optalloc
import optalloc.bench

PUBLIC = [getattr(optalloc, n) for n in optalloc.__all__] + [
    optalloc.bench.bench, optalloc.bench.resolve, optalloc.bench.check, optalloc.bench.read_rows,
    optalloc.bench.write_report]


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda o: o.__name__)
def test_public_api_has_docstrings_naming_its_parameters(obj):
    doc = inspect.getdoc(obj) or ""
    assert doc and not doc.startswith(obj.__name__ + "("), f"{obj.__name__} has no docstring of its own"
    if inspect.isclass(obj):
        return
    params = [p.name for p in inspect.signature(obj).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL,) and p.name not in ("self",)]
    missing = [p for p in params if p not in doc]
    assert not missing, f"{obj.__name__}'s docstring does not name {missing}"
