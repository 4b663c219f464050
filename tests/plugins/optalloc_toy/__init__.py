"""A toy family declared outside optalloc, for the tests: pick at most k of n items, maximising the sum of
their values. Loaded only through OPTALLOC_PLUGINS=optalloc_toy (tests/plugins on the path). Its problem
kinds, methods and conformance cases sit in the usual modules (problems.py, methods.py, conformance.py)."""
from optalloc.family import POSITIVE, Family, Format, Generator, Parameter

FAMILY = Family(
    name="toy",
    package=__name__,
    description="pick at most k items of largest total value",
    formats=(Format("toy-txt", ".formats:read", "'k' then one value per line", ("pick",), ".formats:write"),),
    generators=(Generator("toy-random", ".formats:random_pick", "seeded random values",
                          params=(Parameter("n", POSITIVE, 8, "items"), Parameter("k", POSITIVE, 3, "items to pick"))),),
)
