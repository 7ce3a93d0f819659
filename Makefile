# Two commands set everything up from nothing (Python 3.11+ and network access to PyPI):
#   make demo   - install into .venv and select the board of the bundled default scenario
#   make test   - install into .venv with the test tools and run lint, type checks and tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

demo: install
	$(BIN)/balancer select scenarios/sounding-board.yaml --out out/

lint: install-test
	$(BIN)/ruff check balancer tests benchmarks
	$(BIN)/mypy balancer

test: lint
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/bench_select.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
