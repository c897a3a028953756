# Two commands matter: `make run` (try the product) and `make test` (prove it works).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run in parallel on every core (pytest-xdist); PYTEST_ARGS="" runs them in one process.
PYTEST_ARGS ?= -n auto

.PHONY: run test install install-test lint check-deploy browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: install, migrate the embedded SQLite database, load demo data, start web + worker.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py rebuild_report_facts
	$(BIN)/python manage.py setup_groups --demo-users
	$(BIN)/python manage.py setup_schedules
	@bash scripts/run-dev.sh "$(BIN)" "$(HOST)" "$(PORT)"

## make test: install the test dependencies (and Chromium for browser tests) and run the whole suite.
## Uses SQLite unless DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/vouchers).
test: install-test browser
	$(BIN)/pytest $(PYTEST_ARGS)

browser:
	@bash scripts/ensure-chromium.sh

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
