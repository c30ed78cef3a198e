# The two commands: `make run` and `make test`. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker test install install-test lint format clean messages loadtest two-servers replicas serve faulttest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# axe-core, the accessibility engine the browser tests run in each page
# (tests/e2e/test_responsive.py), from npm into the virtualenv; pinned.
AXE_CORE_VERSION := 4.14.1
AXE_CORE := $(VENV)/node/node_modules/axe-core/axe.min.js

$(AXE_CORE): | $(BIN)/python
	npm install --silent --no-audit --no-fund --no-save --prefix $(VENV)/node axe-core@$(AXE_CORE_VERSION)

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test $(AXE_CORE)

run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_seed
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_local_superuser
	@echo "Serving on http://$(HOST):$(PORT)/ (admin at http://$(HOST):$(PORT)/admin/)"
	@echo "One job worker runs beside it: watch imports at http://$(HOST):$(PORT)/admin/jobs/"
	DJANGO_DEBUG=1 $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# One job worker (README, "Jobs"); run as many as you like, on any machine, against
# the same database. Settings from the environment, as for `make serve`.
worker: install
	$(BIN)/python manage.py db_worker --no-reload

# Production server: DEBUG off, settings from the environment (README, "Deployment").
# gunicorn's settings (workers, logs, the one trusted proxy header): grants/project/gunicorn.conf.py.
serve: install
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=0 $(BIN)/gunicorn -c grants/project/gunicorn.conf.py grants.project.wsgi --bind $(HOST):$(PORT)

# Stops and starts the local PostgreSQL under a running gunicorn (needs root and
# DATABASE_URL=postgres://...): errors only during the outage, then 200s again.
faulttest: install
	$(BIN)/python scripts/faulttest.py --host $(HOST) --port $(PORT)

# On every core (pytest-xdist): each worker has its own test database, and a test
# class stays on one worker. TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
test: install-test
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the Spanish catalogue from the code and compile it (needs GNU gettext).
# Commit both locale/es/LC_MESSAGES/django.po and django.mo.
messages: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l es --no-location --ignore=.venv --ignore=staticfiles --ignore=tests
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages -l es --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info

loadtest: install
	scripts/loadtest.sh

two-servers: install
	.venv/bin/python scripts/two_servers.py

# A temporary PostgreSQL primary and a streaming replica of it (pg_basebackup), two app
# servers on both: writes on the primary, public pages from the replica, read-your-
# writes, the primary when the replica stops; all removed at the end (README).
replicas: install
	.venv/bin/python scripts/replicas.py
