"""optalloc's version, in a module of its own: the core reads it without importing the package root (which
sits above the core), and pyproject.toml takes it from here."""
__version__ = "0.1.0"
