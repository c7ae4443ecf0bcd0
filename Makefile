# SealHub: `make run` and `make test` are all you need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lock run test lint pytest web e2e bench migration db-upgrade demo clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# re-resolve the newest versions pyproject.toml allows and record them (then run make test)
lock:
	rm -rf /tmp/sealhub-lock && $(PY) -m venv /tmp/sealhub-lock
	/tmp/sealhub-lock/bin/pip install -q --upgrade pip
	/tmp/sealhub-lock/bin/pip install -q -e ".[dev]"
	{ echo "# Tested versions (make lock refreshes this file); pyproject.toml holds the ranges."; \
	  /tmp/sealhub-lock/bin/pip freeze --exclude-editable | grep -v '^sealhub'; } > constraints.txt

venv: $(STAMP)

sealhub/api/static/index.html: $(shell find web/src web/index.html web/package.json web/vite.config.ts -type f 2>/dev/null)
	@if command -v npm >/dev/null 2>&1 && [ -f web/package.json ]; then \
		cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	else echo "npm not found: serving the API without the web console"; fi

web: sealhub/api/static/index.html

db-upgrade: $(STAMP)
	$(BIN)/sealhub db upgrade

demo: db-upgrade
	$(BIN)/sealhub demo

run: $(STAMP) web db-upgrade
	@$(BIN)/sealhub demo
	@echo "SealHub on http://127.0.0.1:8000  (API docs: /docs)"
	$(BIN)/sealhub serve

LINT_PATHS := sealhub tests $(wildcard benchmarks)

lint: $(STAMP)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy sealhub
	$(BIN)/lint-imports

# The session finds PostgreSQL, MariaDB and Redis on their usual local addresses (explicit
# SEALHUB_TEST_*_URL win; SEALHUB_TEST_NO_SERVICES=1 turns that off), starts its own
# SeaweedFS S3 server, and prints which backends it uses and which it skips, and why.
pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadgroup

# the whole suite on a fresh clone: checks, the console build (for the browser tests), pytest
test: lint web pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/api.py

migration: $(STAMP)
	$(BIN)/alembic revision --autogenerate -m "$(m)"

clean:
	rm -rf $(VENV) sealhub/api/static web/node_modules
