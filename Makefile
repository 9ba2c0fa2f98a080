# One entry point for humans, CI and pre-commit alike.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
LINT_PATHS := src tests $(wildcard bench)

.PHONY: install run test test-fast lint openapi-lint bench db-check

install:
	$(PIP) install -q -e '.[test]'

# Run the hub on the embedded SQLite database (development PKI created on first start).
run: install
	KNOOPPUNT_ENV=development knooppunt serve

test: install
	$(PYTHON) -m pytest

test-fast:
	$(PYTHON) -m pytest -m "not slow" -x -q

lint:
	$(PYTHON) -m ruff check $(LINT_PATHS)
	$(PYTHON) -m ruff format --check $(LINT_PATHS)
	$(PYTHON) -m mypy

openapi-lint:
	bin/openapi-lint

db-check:
	KNOOPPUNT_DATABASE_URL=$${KNOOPPUNT_TEST_DATABASE_URL:-sqlite:///$$(mktemp -d)/check.sqlite3} knooppunt db check

bench: install
	$(PYTHON) bench/run.py
