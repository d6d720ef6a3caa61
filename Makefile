# Đôn đốc: `make run` serves the app with demo data, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test check lint typecheck imports pytest bench clean assets translations messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

web/node_modules/.package-lock.json: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund

# The diagram editor/viewer bundles (bpmn-js), rebuilt when the sources or the packages change.
web/static/dist/.built: web/node_modules/.package-lock.json $(wildcard web/assets/*)
	npm run --prefix web --silent build
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d web/translations

assets: web/static/dist/.built translations

# After changing user-facing text: refresh the template and the catalogues, then translate.
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F web/babel.cfg -k _l -k lazy_gettext -k N_ --omit-header \
		--sort-output -o web/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i web/translations/messages.pot -d web/translations

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(VENV)/.installed assets
	$(BIN)/dondoc init --demo
	$(BIN)/dondoc serve --host 127.0.0.1 --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check engine workflows web tests benchmarks
	$(BIN)/ruff check engine workflows web tests benchmarks

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-test assets
	$(BIN)/pytest

check: lint typecheck imports

test: check pytest

bench: $(VENV)/.installed
	$(BIN)/dondoc bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
