# Quick start on a fresh Debian machine: `make demo`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_test
export AIGUILLAGE_TEST_POSTGRES_URL ?= $(shell tools/postgis-test-url $(PG_TEST_URL))

.PHONY: demo test system venv lint schema bench clean

# System packages: SpatiaLite for the embedded default; PostGIS for the production backend's tests.
system:
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

demo: venv
	$(VENV)/bin/aiguillage demo

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Generates the bench databases on first use (PostGIS at 127.0.0.1, SpatiaLite under var/), then measures.
bench: venv
	PYTHONPATH=. $(PY) -m bench.all --reuse

schema: venv
	$(VENV)/bin/aiguillage schema export -o schema.graphql

clean:
	rm -rf $(VENV) var
