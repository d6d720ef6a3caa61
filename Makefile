# Đôn đốc: `make run` serves the app with demo data, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test check lint typecheck imports pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@if [ -f web/package-lock.json ]; then npm ci --prefix web --no-audit --no-fund; fi
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/dondoc init --demo
	$(BIN)/dondoc serve --host 127.0.0.1 --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check engine workflows web tests benchmarks
	$(BIN)/ruff check engine workflows web tests benchmarks

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

check: lint typecheck imports

test: check pytest

bench: $(VENV)/.installed
	$(BIN)/dondoc bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
