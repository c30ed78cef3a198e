"""Settings for the test suite: production's own, plus the two things tests need.

pytest-django imports the settings before any conftest.py runs, so the environment
is prepared here rather than in tests/conftest.py.
"""

import os

# Settings refuse to start without a secret key unless DEBUG is on; tests run with DEBUG
# off, as production does, so they get a key of their own.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)

# The test client speaks plain HTTP: production's redirect to HTTPS would answer every
# request with a 301. Tests that need a secure request pass secure=True; the deploy
# check runs with the production defaults in tests/grants/test_security.py.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from grants.settings import *  # noqa: E402, F403

# Each test client builds its own middleware; whitenoise would index collected static
# files every time. Tests look files up on demand instead.
WHITENOISE_AUTOREFRESH = True
# Password hashing is deliberately slow; the tests log in and fail logins many times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
