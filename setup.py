"""The package list: every optalloc package found on disk, plus optalloc.bundled, which pyproject.toml maps to
the top-level instances/ folder (find_packages cannot see a mapped folder, and a hand-written list would drop
a new family from the wheel without a word)."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["optalloc", "optalloc.*"]) + ["optalloc.bundled"])
