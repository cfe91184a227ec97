# The two commands of the README: `make run` serves the bundled data, `make test` runs the tests.
# Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run build test lint bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/uprgraph build
	$(BIN)/uprgraph serve

build: $(BIN)/.installed
	$(BIN)/uprgraph build

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench

# rdflib-endpoint is a peer measured by the benchmark only, not a dependency of uprgraph
bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet 'rdflib-endpoint[cli]' || echo "rdflib-endpoint not installed: the benchmark says so and goes on"
	$(BIN)/python -m bench $(BENCH_ARGS)
