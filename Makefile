# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install, solve the bundled demos with several methods, print the gap tables
#   make test   the same install, then the test suite (under ten minutes)
#   make docs   the documentation site, warnings as errors (CI runs it after the tests)
# Opt-in long runs: make regression (every known 0-1 optimum in ../shared), make bench (peers, ratios),
# make check-tools (the quantization tools' own code on what optalloc writes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
METHODS := knapsack.dp,knapsack.mip,knapsack.cpsat,knapsack.greedy,knapsack.lp_round
BIT_METHODS := bitalloc.greedy,bitalloc.mckp,bitalloc.mip,bitalloc.uniform,bitalloc.ranking
SMTT_METHODS := tardiness.dp,tardiness.iterated_dynasearch,tardiness.mddc,tardiness.eddc,tardiness.atc
MATCHING_METHODS := assignment.lapjv,gap.mip,gap.lns,gap.regret,makespan.mip,makespan.lp_round,routing.mip,routing.lagrangian,bmatching.lp,bmatching.greedy,adwords.mip,adwords.msvv

.PHONY: install run test docs regression regression-hard fuzz bench notebooks clean chromium check-suites check-tools

$(STAMP): pyproject.toml
	@echo "make: creating .venv and installing optalloc with its dependencies from PyPI (1-2 minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install -qq -e ".[test]"   # errors only, no banners
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(BIN)/python -m optalloc.warmup   # compile the numba kernels once, so no solve pays for it in its time limit
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/optalloc compare instances/knapsack/demo.jsonl --methods $(METHODS) --time-limit 10
	$(BIN)/optalloc compare instances/bitalloc/demo.jsonl --methods $(BIT_METHODS) --time-limit 30
	$(BIN)/optalloc compare instances/tardiness/demo.jsonl --methods $(SMTT_METHODS) --time-limit 10
	$(BIN)/optalloc compare instances/matching/demo.jsonl --methods $(MATCHING_METHODS) --time-limit 10
	$(BIN)/optalloc compare instances/model/demo.jsonl --methods model.highs --time-limit 10
	@echo
	@echo "optalloc is installed in .venv: run 'source .venv/bin/activate' (then 'optalloc --help'),"
	@echo "or call .venv/bin/optalloc. The README's quick start goes on from here."

# The report test renders HTML in Debian's chromium; installing it is best effort (the test skips without it).
chromium:
	-@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1) || \
	  echo "chromium not installed: the report rendering test will skip"

test: install chromium
	$(BIN)/python -m pytest

# The documentation site (docs/_build/html): docstrings, generated family and CLI pages, and the notebooks,
# executed with their plots. Any warning fails the build.
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP)
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install -qq -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	rm -rf docs/_build docs/generated
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/python docs/check_pages.py   # every page in headless Chromium: nothing clipped or past the window
	@echo "docs: docs/_build/html/index.html"

regression: install
	$(BIN)/python benchmarks/regression_knapsack.py
	$(BIN)/python benchmarks/regression_smtt.py exact wt40 wt50 smtt20 --jobs 2
	$(BIN)/python benchmarks/regression_smtt.py seed
	$(MAKE) regression-hard

# The hard public knapsack sets: no false claim allowed (a stopped run must keep objective <= optimum <= bound).
regression-hard: install
	$(BIN)/python benchmarks/regression_knapsack.py --set pisinger-large --time-limit 60 --jobs 2
	$(BIN)/python benchmarks/regression_knapsack.py --set jooken --time-limit 60 --jobs 2
	$(BIN)/python benchmarks/regression_knapsack.py --set pisinger-fail --time-limit 60 --jobs 2

# Differential fuzzing: every method against brute force on random instances of every kind and magnitude.
fuzz: install
	$(BIN)/python benchmarks/fuzz.py --instances 10000 --seed 0 --jobs 2

# Issue 6's regression check over bundled and shared suites (needs ../shared/data for gap and assignment).
check-suites: install
	$(BIN)/optalloc bench wt40 smtt-n20 gap-orlib assign-orlib \
	  --methods tardiness.dp,tardiness.mddc,tardiness.iterated_dynasearch,gap.mip,gap.regret,assignment.lapjv,assignment.lp \
	  --time-limit 60 --jobs 2 --output runs/check-suites.parquet --force --check
	$(BIN)/optalloc report runs/check-suites.parquet -o runs/check-suites-report --check --force

bench: install
	$(BIN)/python benchmarks/knapsack.py
	$(BIN)/python benchmarks/smtt.py

# The consumers' own code on what optalloc writes (benchmarks/check_tools.py): transformers' model classes
# against the numpy decoder, compressed-tensors' schemes and matcher on llm-compressor recipes, GPTQModel's
# QuantizeConfig on quantize_config.json. Its own environment (.venv-tools, about 1 GB): torch's CPU build,
# and GPTQModel without its GPU build (best effort; its check says when it skips).
TOOLS := .venv-tools
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
check-tools:
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -qq --upgrade pip
	$(TOOLS)/bin/python -m pip install -qq torch --index-url $(TORCH_INDEX) --retries 1 --timeout 15 || \
	  $(TOOLS)/bin/python -m pip install -qq torch
	PYTHONWARNINGS=ignore::UserWarning $(TOOLS)/bin/python -m pip install -qq -e . transformers tokenizers compressed-tensors pyyaml
	-BUILD_CUDA_EXT=0 $(TOOLS)/bin/python -m pip install -qq --no-deps --no-build-isolation gptqmodel && \
	  $(TOOLS)/bin/python -m pip install -qq pypcre logbar device-smi dill tokenicer threadpoolctl defuser accelerate requests
	$(TOOLS)/bin/python benchmarks/check_tools.py

notebooks: install
	$(BIN)/python -m pytest tests/test_notebooks.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
