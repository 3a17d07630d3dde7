# Two commands: `make run` (the whole service on this machine) and `make test` (lint, types,
# tests). Tools run from .venv/bin, so no virtualenv needs to be activated.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMEDRIVER := /usr/bin/chromedriver
COMPOSE := /usr/bin/docker-compose
# Web server port: `PORT=9000 make run`.
PORT ?= 8000

.PHONY: install migrate demo-key warehouse-token run test test-databricks lint fmt

install: $(STAMP) .env $(CHROMEDRIVER) $(COMPOSE)

# Debian's packages the tests use: chromium and its chromedriver for the browser check of the
# admin and the API docs (project/tests/test_browser.py), docker-compose to check the compose
# file (project/tests/test_deploy_files.py; no daemon needed). apt-get as root, else via sudo.
APT_INSTALL = $$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get install -y --no-install-recommends $(1) \
	|| (apt-get update && apt-get install -y --no-install-recommends $(1))'
$(CHROMEDRIVER):
	$(call APT_INSTALL,chromium chromium-driver)
$(COMPOSE):
	$(call APT_INSTALL,docker-compose)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when a requirements file changed since the last install.
$(STAMP): $(wildcard requirements/*.txt) | $(BIN)/python
	$(BIN)/python -m pip install -r requirements/dev.txt
	touch $@

# Development settings (DEBUG, dev secret key); never overwrites an existing .env.
.env:
	cp .env.example .env

migrate: install
	$(BIN)/python manage.py migrate --noinput

# honcho gives every process its own PORT (base + 100 per Procfile line), so the web
# server's port travels as WEB_PORT instead.
# A demo API client for trying the API; its key is kept in var/demo_api_key (git-ignored). It
# holds ALL_PRIVILEGES on the demo schema only (README, "Security model", says how to grant more).
DEMO_SCHEMA ?= oil_gas_catalog.production_schema
demo-key: migrate
	$(BIN)/python manage.py createapiclient demo --if-missing --save-key var/demo_api_key \
		--grant ALL_PRIVILEGES $(DEMO_SCHEMA)

# The local warehouse's access token (var/local-warehouse-token, unless LOCAL_WAREHOUSE_TOKEN
# is set): made before any process starts, so the web and the worker find it at once.
warehouse-token: install
	$(BIN)/python -m warehouse.local.token var/local-warehouse-token

run: install migrate demo-key warehouse-token
	@echo ""
	@echo "  API          http://127.0.0.1:$(PORT)/api/v1/  (endpoints: see the API docs)"
	@echo "  Healthcheck  http://127.0.0.1:$(PORT)/api/v1/healthcheck"
	@echo "  API docs     http://127.0.0.1:$(PORT)/api/docs/  (Redoc: /api/redoc/, schema: /api/schema/)"
	@echo "  Admin        http://127.0.0.1:$(PORT)/admin/  (python manage.py createsuperuser)"
	@echo "  Demo API key $$(cat var/demo_api_key)  (header: Authorization: Api-Key <key>)"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" WEB_PORT=$(PORT) $(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

# The statement builders' contract tests (records/tests/contract/, which `make test` runs on the
# local warehouse) on the Databricks SQL warehouse of DATABRICKS_HOST and DATABRICKS_WAREHOUSE_ID
# (databricks-sdk unified auth), in a scratch schema they create and drop; skipped, saying why,
# when no workspace is configured.
test-databricks: install
	RECORDS_CONTRACT_WAREHOUSE=databricks $(BIN)/pytest records/tests/contract -v
