"""The toy family's file format (toy-txt: 'k' on the first line, then one value per line) and generator."""
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError
from optalloc.files import atomic_write_text
from optalloc.instances.format import make_instance


def read(path) -> list:
    lines = Path(path).read_text().split()
    try:
        k, values = int(lines[0]), [int(x) for x in lines[1:]]
    except (IndexError, ValueError):
        raise FormatError("line 1", "must be k, then one integer value per line", source=str(path)) from None
    return [make_instance("pick", Path(path).stem, {"values": values, "k": k})]


def write(instances, path, *, overwrite=False):
    (t,) = [i.data for i in instances]
    return atomic_write_text(path, "\n".join(map(str, [t.k, *t.values.tolist()])) + "\n", overwrite=overwrite)


def random_pick(n: int, k: int, seed: int = 0):
    values = np.random.default_rng(seed).integers(0, 100, n)
    return make_instance("pick", f"pick_{n}_{k}_s{seed}", {"values": values.tolist(), "k": k})
