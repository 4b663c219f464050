"""Method registrations, one module per family. Importing this package registers them all."""
from . import bitalloc, knapsack, matching, tardiness  # noqa: F401
