"""Settings for the test suite: production settings plus a throwaway secret key.

Tests run with DEBUG off, as production does; the key is set here because pytest-django
loads settings before any conftest runs.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
# The test client speaks plain HTTP: production's redirect to HTTPS would answer every
# request with a 301. Tests that need a secure request pass secure=True; the deploy
# check runs with the production defaults in tests/project/test_security.py.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from grants.project.settings import *  # noqa: E402, F403

# Hashing passwords slowly is a production virtue and a test suite's cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The manifest exists only after collectstatic, which a test run does not do.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# The IATI addresses are public pages the sweeps walk; they answer 503 until the
# publisher is configured (tested with these emptied).
IATI_REPORTING_ORG_REF = "XM-TEST"
IATI_REPORTING_ORG_NAME = "Test publisher"

# Both caches on, as in production, so every test runs the cached paths; the cache is
# emptied before each test (tests/conftest.py): a rolled-back test's writes leave
# entries under version numbers the next test's writes reach again.
PUBLIC_PAGE_CACHE_SECONDS = 300
PUBLIC_VALUE_CACHE_SECONDS = 300

# The file cache of this test run only (it is cleared by tests), removed at exit.
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):  # noqa: F405
    import atexit
    import shutil
    import tempfile

    CACHES = {
        "default": {
            **CACHES["default"],  # noqa: F405
            "LOCATION": tempfile.mkdtemp(prefix="grants-test-cache-"),
        }
    }
    atexit.register(shutil.rmtree, CACHES["default"]["LOCATION"], ignore_errors=True)

# The job tests start workers and servers as other processes, which must see the test
# database: on SQLite it is a file (in the checkout, ignored by git), not memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}  # noqa: F405
    # A test database need not survive a power cut: no fsync, as fast as memory.
    DATABASES["default"]["OPTIONS"]["init_command"] = (  # noqa: F405
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
    )

# Tests only: every job unit waits this long, so a test can stop a worker mid-job.
JOBS_UNIT_DELAY_SECONDS = float(os.environ.get("JOBS_UNIT_DELAY_SECONDS", "0") or 0)
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "0.2"))

# The suite sends hundreds of API requests from one address; the throttle's own tests
# (tests/grants/test_api.py) switch it on with a small rate.
API_THROTTLE_RATE = ""

# A read replica that is the test database itself (a mirror), for the tests of the
# replica router, which switch it on with DATABASE_REPLICAS=["replica1"].
DATABASES["replica1"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
