"""optalloc's numba kernels, loaded from numba's cache before a time limit starts.

numba loads a cached kernel on its first call, which takes 0.1-0.5 s each (0.9 s for all of optalloc's):
inside a limit of 0 or 1 s that is most of the budget. `preload()` loads every kernel whose cached machine
code matches the current source, once per process, as part of start-up (see solve.import_backends). A kernel
with no valid cache entry is left alone: compiling it is `python -m optalloc.warmup`'s job, not start-up's."""
from __future__ import annotations

import importlib
import threading

_done: set[str] = set()
_lock = threading.RLock()  # a module is marked done once its kernels are loaded, not before


def preload(family: str | None = None) -> int:
    """Load the cached kernels of the modules a family declares (every family's when None); returns how many
    were loaded (a module already done counts 0)."""
    from optalloc.family import families

    try:
        from numba.core.registry import CPUDispatcher
    except ImportError:
        return 0
    fams = families().values() if family is None else [families()[family]]
    loaded = 0
    for name in dict.fromkeys(m for fam in fams for m in fam.kernels):
        with _lock:
            if name in _done:
                continue
            module = importlib.import_module(name)
            for obj in list(vars(module).values()):
                if isinstance(obj, CPUDispatcher):
                    loaded += _load_cached(obj)
            _done.add(name)
    return loaded


def _load_cached(dispatcher) -> int:
    """Load the dispatcher's cached overloads for this source and this machine. numba's cache index is not a
    public API: anything unexpected loads nothing, and the kernel loads on its first call as before."""
    try:
        cache = dispatcher._cache
        codegen = dispatcher.targetctx.codegen()
        index = cache._cache_file._load_index()
        loaded = 0
        for key in index:
            sig = key[0]
            if key == cache._index_key(sig, codegen) and sig not in dispatcher.overloads:
                dispatcher.compile(sig)  # found in the cache: a load, not a compilation
                loaded += 1
        return loaded
    except Exception:
        return 0
