# openqcs: `make run` serves with demo data on SQLite; `make test` runs the whole suite.
# Every OPENQCS_* variable in the environment is honoured (see README).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make run` installs what serving needs; `make test` adds the test extras (a second stamp).
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-fuzz bench install clean lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/openqcs db upgrade
	$(BIN)/openqcs seed --demo
	exec $(BIN)/openqcs serve

test: $(TEST_STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Static checks (configured in pyproject.toml); `make test` runs them first.
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The spec fuzzing budget: ~100 cases per operation, over 5,000 in all.
test-fuzz: $(TEST_STAMP)
	OPENQCS_FUZZ_EXAMPLES=100 OPENQCS_FUZZ_BUDGET=5000 $(BIN)/python -m pytest tests/conformance/test_fuzz.py -q -s -p no:cacheprovider

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-clients openqcs.db openqcs.db-* .pytest_cache
