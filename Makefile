# Two promises (see README): `make run` serves a working GraphiQL on a fresh machine with only
# Python 3.11; `make test` runs ruff, mypy and the whole test suite.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_ORDERS ?= 3000

.PHONY: run test test-latest lock install dev lint typecheck pytest node-client schema migrate seed bench bench-explain graphiql-assets clean


$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

# Installs come from the hash-locked files in requirements/ (made by `make lock`), never from the
# ranges in pyproject.toml: a fresh machine gets exactly what CI tested. The project itself is
# installed editable on top, without dependencies and with the locked setuptools (again whenever
# pyproject.toml changes: the editable install maps each top-level package by name).
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes --no-deps
PIP_PROJECT := PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

$(VENV)/.installed: $(BIN)/python requirements/runtime.txt pyproject.toml
	$(PIP_LOCKED) -r requirements/runtime.txt
	$(PIP_PROJECT)
	touch $@

$(VENV)/.installed-dev: $(BIN)/python requirements/dev.txt pyproject.toml
	$(PIP_LOCKED) -r requirements/dev.txt
	$(PIP_PROJECT)
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

# Logs as text lines on a terminal (JSON lines in production: LOG_FORMAT=json).
RUN_ENV := LOG_FORMAT=$${LOG_FORMAT:-text}

run: install
	$(RUN_ENV) $(BIN)/mallgraph migrate
	$(RUN_ENV) $(BIN)/mallgraph seed --if-empty --orders $(DEMO_ORDERS)
	$(RUN_ENV) $(BIN)/mallgraph cheatsheet
	$(RUN_ENV) $(BIN)/mallgraph serve

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy .

# The graphql-ws npm client for tests/api/test_graphql_ws_node_client.py (skipped without node).
node-client:
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/node --silent --no-audit --no-fund; \
	else echo "npm not found: the graphql-ws npm client test will skip"; fi

# Every core runs tests (pytest-xdist; each worker has its own PostgreSQL and Redis database):
# `make pytest PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto
pytest: dev node-client
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck pytest

# Refresh the locks from pyproject.toml's ranges (universal: Linux, macOS and Windows markers).
UV_VERSION := 0.13.9
LOCK := $(BIN)/uv pip compile pyproject.toml requirements/build.in --universal --python-version 3.11 \
	--generate-hashes --quiet
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(LOCK) --upgrade -o requirements/runtime.txt
	$(LOCK) --upgrade --extra dev -o requirements/dev.txt

# The newest releases pyproject.toml's ranges allow, in a venv of its own: finds an upstream break
# on purpose (README: run it weekly and before `make lock`).
LATEST := .venv-latest
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	$(LATEST)/bin/ruff check . && $(LATEST)/bin/mypy . && $(LATEST)/bin/pytest

schema: dev
	$(BIN)/mallgraph export-schema --output schema.graphql

# GraphiQL's browser files, vendored in gql/static/graphiql/ (the app serves them; no CDN): the pinned
# npm packages' files and licences, byte for byte, and their SHA256SUMS. Needs npm; commit the result.
GRAPHIQL_STATIC := gql/static/graphiql
GRAPHIQL_PACKAGES := react@18.3.1 react-dom@18.3.1 graphiql@3.8.3 @graphiql/plugin-explorer@3.2.5 \
	graphiql-explorer@0.9.0
graphiql-assets:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent $(GRAPHIQL_PACKAGES) >/dev/null) && \
	for t in "$$tmp"/*.tgz; do d="$${t%.tgz}"; mkdir "$$d" && tar -xzf "$$t" -C "$$d"; done && \
	cp "$$tmp"/react-1*/package/umd/react.production.min.js $(GRAPHIQL_STATIC)/ && \
	cp "$$tmp"/react-1*/package/LICENSE $(GRAPHIQL_STATIC)/LICENSE.react && \
	cp "$$tmp"/react-dom-*/package/umd/react-dom.production.min.js $(GRAPHIQL_STATIC)/ && \
	cp "$$tmp"/react-dom-*/package/LICENSE $(GRAPHIQL_STATIC)/LICENSE.react-dom && \
	cp "$$tmp"/graphiql-3*/package/graphiql.min.js "$$tmp"/graphiql-3*/package/graphiql.min.css $(GRAPHIQL_STATIC)/ && \
	cp "$$tmp"/graphiql-3*/package/LICENSE $(GRAPHIQL_STATIC)/LICENSE.graphiql && \
	cp "$$tmp"/graphiql-plugin-explorer-*/package/dist/index.umd.js $(GRAPHIQL_STATIC)/plugin-explorer.umd.js && \
	cp "$$tmp"/graphiql-plugin-explorer-*/package/dist/style.css $(GRAPHIQL_STATIC)/plugin-explorer.css && \
	cp "$$tmp"/graphiql-explorer-*/package/LICENSE $(GRAPHIQL_STATIC)/LICENSE.graphiql-explorer && \
	cd $(GRAPHIQL_STATIC) && sha256sum react.production.min.js react-dom.production.min.js graphiql.min.js \
		graphiql.min.css plugin-explorer.umd.js plugin-explorer.css LICENSE.* > SHA256SUMS

migrate: install
	$(BIN)/mallgraph migrate

seed: install
	$(BIN)/mallgraph seed --orders $(DEMO_ORDERS)

# The HTTP benchmark suite (bench/README.md) on PostgreSQL (BENCH_DATABASE_URL, default database
# `bench`, seeded with 100k orders if empty). BENCH_ARGS="--compare-postgraphile" adds PostGraphile v5.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# EXPLAIN ANALYZE of the order list filters on PostgreSQL (DATABASE_URL), seeding 100k orders if empty

bench-explain: install
	$(BIN)/python -m bench.explain_order_list

clean:
	rm -rf $(VENV) $(LATEST) tests/node/node_modules var/*.db var/*.db-wal var/*.db-shm .mypy_cache .pytest_cache .ruff_cache
