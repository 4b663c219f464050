"""The package list: every optalloc package found on disk, plus optalloc.bundled and one package per folder of
it, which pyproject.toml maps to the top-level instances/ folder (find_packages cannot see a mapped folder, a
hand-written list would drop a new family from the wheel without a word, and a folder left unlisted makes
setuptools warn on every install)."""
from pathlib import Path

from setuptools import find_packages, setup

folders = sorted(p.name for p in (Path(__file__).parent / "instances").iterdir() if p.is_dir() and p.name[0] != "_")

setup(packages=find_packages(include=["optalloc", "optalloc.*"]) + ["optalloc.bundled"]
      + [f"optalloc.bundled.{f}" for f in folders])  # their data files: pyproject.toml's package-data
