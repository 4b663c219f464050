# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install, solve the bundled suite with several methods, print the gap table
#   make test   the same install, then the test suite (under ten minutes)
# Opt-in long runs: make regression (every known 0-1 optimum in ../shared), make bench (peers, ratios).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
METHODS := knapsack.dp,knapsack.mip,knapsack.cpsat,knapsack.greedy,knapsack.lp_round
BIT_METHODS := bitalloc.greedy,bitalloc.mckp,bitalloc.mip,bitalloc.uniform,bitalloc.ranking

.PHONY: install run test regression bench notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/optalloc compare instances/knapsack/demo.jsonl --methods $(METHODS) --time-limit 10
	$(BIN)/optalloc compare instances/bitalloc/demo.jsonl --methods $(BIT_METHODS) --time-limit 30

test: install
	$(BIN)/python -m pytest

regression: install
	$(BIN)/python benchmarks/regression_knapsack.py

bench: install
	$(BIN)/python benchmarks/knapsack.py

notebooks: install
	$(BIN)/python -m pytest tests/test_notebooks.py

clean:
	rm -rf $(VENV) .pytest_cache
