"""WSGI entry point: gunicorn grants.project.wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grants.project.settings")
# Web requests get a statement timeout on PostgreSQL (a slow query answers 503
# instead of holding a worker); manage.py commands, which may run long, do not.
os.environ.setdefault("DJANGO_DB_STATEMENT_TIMEOUT_MS", "10000")

application = get_wsgi_application()
