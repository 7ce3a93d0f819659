# Two commands set everything up from nothing (Python 3.11+ and network access to PyPI):
#   make demo   - install into .venv and select the board of the bundled default scenario
#   make app    - install into .venv with the web app and open it on the bundled scenario
#   make test   - install into .venv with the test tools (and Debian's chromium, for the
#                 browser test of the HTML report), then run lint, type checks and tests
#   make quick  - lint, type checks and the tests not marked slow (while developing)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

SUDO    = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo app test quick install install-app install-test browser lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-app: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[app]'

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

demo: install
	$(BIN)/balancer select scenarios/sounding-board.yaml --out out/

app: install-app
	$(BIN)/balancer app --workspace workspace/ --scenario scenarios/sounding-board.yaml

browser:
	@command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: install-test
	$(BIN)/ruff check balancer tests benchmarks
	$(BIN)/ruff format --check balancer tests benchmarks
	$(BIN)/mypy balancer tests benchmarks

test: lint browser
	$(BIN)/python -m pytest

quick: lint browser
	$(BIN)/python -m pytest -m "not slow"

bench: install-test
	$(BIN)/python benchmarks/bench_select.py

clean:
	rm -rf $(VENV) out workspace .pytest_cache .mypy_cache .ruff_cache .hypothesis
