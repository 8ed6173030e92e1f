# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

BASE := $(VENV)/.installed-base

# The demo needs only the lean install; tests add the test extra (PostgreSQL driver, Dask, Playwright, ...).
$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(BASE)

$(STAMP): $(BASE)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(BASE)
	$(BIN)/mpid demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n 2 tests

bench: $(STAMP)
	$(BIN)/python bench/kinship.py

clean:
	rm -rf $(VENV) build *.egg-info
