# One entry point for humans, CI and pre-commit alike.
#
# Everything runs in a project-local virtual environment, .venv (git-ignored), which the first
# target that needs it creates: nothing is installed into whichever Python is first on PATH.
# `make install` (re)installs into it; the other targets install only when pyproject.toml is newer
# than the last install (the package itself is editable: a change in src/ needs no install).
PYTHON3 ?= python3
VENV ?= .venv
PYTHON := $(VENV)/bin/python
KNOOPPUNT := $(VENV)/bin/knooppunt
GEINSTALLEERD := $(VENV)/.geinstalleerd
# Commands started by name (by the tests, bin/ scripts) come from the virtual environment too.
export PATH := $(abspath $(VENV))/bin:$(PATH)
PORT ?= 8443
LINT_PATHS := src tests $(wildcard bench)

.PHONY: install run test test-fast lint openapi-lint bench db-check

$(PYTHON):
	$(PYTHON3) -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip

$(GEINSTALLEERD): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install -q -e '.[test]'
	touch $@

install: | $(PYTHON)
	$(PYTHON) -m pip install -q -e '.[test]'
	touch $(GEINSTALLEERD)

# Run the hub on the embedded SQLite database (development PKI created on first start):
# `make run`, or `make run PORT=9443` for another port.
run: $(GEINSTALLEERD)
	KNOOPPUNT_ENV=development $(KNOOPPUNT) serve --port $(PORT)

# The whole suite, spread over every core (pytest-xdist; `make test TEST_WORKERS=0` runs it in one
# process): each worker takes whole test files, so a file's module fixtures (a served hub, a browser)
# are made once, and has its own PostgreSQL database and temporary folders.
TEST_WORKERS ?= auto
test: $(GEINSTALLEERD)
	$(PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: $(GEINSTALLEERD)
	$(PYTHON) -m pytest -m "not slow" -x -q

lint: $(GEINSTALLEERD)
	$(PYTHON) -m ruff check $(LINT_PATHS)
	$(PYTHON) -m ruff format --check $(LINT_PATHS)
	$(PYTHON) -m mypy

openapi-lint: $(GEINSTALLEERD)
	PYTHON=$(abspath $(PYTHON)) bin/openapi-lint

db-check: $(GEINSTALLEERD)
	KNOOPPUNT_DATABASE_URL=$${KNOOPPUNT_TEST_DATABASE_URL:-sqlite:///$$(mktemp -d)/check.sqlite3} $(KNOOPPUNT) db check

bench: $(GEINSTALLEERD)
	$(PYTHON) -m pip install -q -e '.[test,bench]'
	$(PYTHON) bench/run.py
