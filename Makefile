# dangjian: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

# `make serve` is the production server (gunicorn); it needs the production environment,
# e.g. `set -a; . /etc/dangjian/production.env; set +a; make serve` (docs/deploy.md).
.PHONY: install system run serve demo test lint typecheck test-sqlite test-postgres bench screenshots clean

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the tests need (Chromium, a CJK font, PostgreSQL); installs only what is missing.
system:
	bash scripts/ensure-system.sh

# The demo is a development configuration: DEBUG on, a per-process secret key.
run: export DANGJIAN_DEBUG = 1
run: install
	mkdir -p var
	$(BIN)/dangjian migrate --noinput -v 0
	$(BIN)/dangjian demo
	@# The task worker (stored findings refresh) runs beside the server and stops with it.
	$(BIN)/dangjian run_huey --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/dangjian runserver --noreload $(HOST):$(PORT)

serve: install
	scripts/serve-production

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest

test: install system lint typecheck
	env -u DATABASE_URL $(BIN)/dangjian makemigrations --check --dry-run
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest
	@echo "== pytest on PostgreSQL ($(TEST_DATABASE_URL)) =="
	@if $(BIN)/python scripts/pg_ready.py "$(TEST_DATABASE_URL)"; then \
		DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL): failing under CI=true"; exit 1; \
	else \
		echo "WARNING: PostgreSQL not reachable at $(TEST_DATABASE_URL); PostgreSQL run NOT done"; exit 1; \
	fi

# Refresh the README's screenshots (the only time a test run writes into docs/).
screenshots: install
	DANGJIAN_SCREENSHOTS=$(CURDIR)/docs/screenshots env -u DATABASE_URL $(BIN)/pytest -q tests/e2e/test_branch_and_member.py

bench: install
	$(BIN)/python -m bench --keep

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache .pytest_cache
