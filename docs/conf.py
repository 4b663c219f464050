"""Sphinx configuration: `make docs` builds docs/_build/html with warnings as errors."""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import pages  # noqa: E402

pages.write_all()

project = "optalloc"
author = "the optalloc developers"
extensions = ["myst_nb", "sphinx.ext.autodoc"]
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# the notebooks run at every build: the pages show what the code does today, plots included
# (OPTALLOC_DOCS_EXECUTE=off skips them for a quick look at the other pages)
nb_execution_mode = os.environ.get("OPTALLOC_DOCS_EXECUTE", "force")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
html_theme = "alabaster"
html_theme_options = {"page_width": "95%", "body_max_width": "none", "sidebar_width": "220px"}
html_static_path = ["_static"]
html_css_files = ["optalloc.css"]
html_js_files = ["overflow-check.js"]  # active only with ?check-overflow (docs/check_pages.py)
html_title = "optalloc"
suppress_warnings = ["myst.header"]  # README sections start at level 2 when included
