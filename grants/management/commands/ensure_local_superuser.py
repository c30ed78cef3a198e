"""Create a superuser for a newcomer's local database, once, and say how to log in.

Refuses to run unless DEBUG is on, so production never gets a known account. The
generated password is kept in `.local-superuser` (ignored by git) so later runs can
print it again.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Creates a local superuser once (DEBUG only) and prints its name and password."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create a local superuser when DEBUG is off."
            )
        credentials = settings.BASE_DIR / ".local-superuser"
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            if credentials.exists():
                self.stdout.write(f"Admin login: {credentials.read_text().strip()}")
            else:
                self.stdout.write(
                    "A superuser already exists; no local account was created."
                )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(USERNAME, email="", password=password)
        credentials.write_text(f"user {USERNAME} / password {password}\n")
        credentials.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created local superuser: user {USERNAME} / password {password}"
            )
        )
