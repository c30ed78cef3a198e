import os

# Settings refuse to start without a secret key unless DEBUG is on; tests run with DEBUG
# off, as production does, so they get a key of their own.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
