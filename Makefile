# Quick start on a fresh Debian machine: `make demo`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_test
export AIGUILLAGE_TEST_POSTGRES_URL ?= $(shell tools/postgis-test-url $(PG_TEST_URL))

.PHONY: demo test system venv web lint schema bench bench-pages screenshots clean

# System packages: SpatiaLite for the embedded default; PostGIS for the production backend's tests;
# Node/npm for the pages' front-end packages; Debian's Chromium for the browser tests (never a downloaded one).
system:
	@if ! command -v npm >/dev/null || ! command -v chromium >/dev/null; then \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    $$(command -v npm >/dev/null || echo nodejs npm) $$(command -v chromium >/dev/null || echo chromium) >/dev/null; fi
	@$(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	@if ! ls /usr/lib/*/mod_spatialite.so >/dev/null 2>&1 || { command -v pg_config >/dev/null && ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }; then \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-mod-spatialite \
	    $$(command -v pg_config >/dev/null && echo postgresql-15-postgis-3) ; fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: system $(VENV)/.installed

# The pages' packages (DSFR, Leaflet, axe-core), exactly as the committed lockfile says; install scripts off.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

web: system node_modules/.installed

demo: venv web
	$(VENV)/bin/aiguillage demo

test: venv web
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Generates the bench databases on first use (PostGIS at 127.0.0.1, SpatiaLite under var/), then measures.
bench: venv web
	PYTHONPATH=. $(PY) -m bench.all --reuse

# Page weight and time to the first markers of the web pages (the demo territory, headless Chromium).
bench-pages: venv web
	PYTHONPATH=. $(PY) -m bench.pages

# PNGs of the map, the console's tabs and the reorient dialog, shown in the README.
screenshots: venv web
	PYTHONPATH=. $(PY) tools/screenshots.py docs/screenshots

schema: venv
	$(VENV)/bin/aiguillage schema export -o schema.graphql

clean:
	rm -rf $(VENV) var node_modules
