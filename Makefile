# The one test command (README and .ci/run call `make test`).
PYTHON ?= python
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint typecheck imports pytest demo bench clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e ".[dev]"

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src

typecheck:
	$(BIN)/mypy --strict src/promptops

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest --cov=promptops --cov-branch --cov-report=term -q

test: lint typecheck imports pytest

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .coverage
