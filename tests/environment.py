"""Loaded as a pytest plugin (`-p tests.environment` in pyproject.toml) so that it runs
before pytest-django imports the settings, which happens before any conftest.py.

Settings refuse to start without a secret key unless DEBUG is on; tests run with DEBUG
off, as production does, so they get a key of their own."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
