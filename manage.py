#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import secrets
import sys

# Commands that only read the models' code: they neither serve nor sign anything, so
# without DJANGO_SECRET_KEY (which the settings otherwise require) they get a key
# made for this process alone, and a checkout can be checked for missing migrations
# with no configuration.
KEYLESS_COMMANDS = {"makemigrations"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grants.project.settings")
    keyless = sys.argv[1:2] and sys.argv[1] in KEYLESS_COMMANDS
    if keyless and not os.environ.get("DJANGO_SECRET_KEY", "").strip():
        os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
