from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The public search ignores accents; on PostgreSQL it uses `unaccent`. The
    operation does nothing on other databases (SQLite gets a Python function instead)."""

    dependencies = [("grants", "0002_agreement_iati_identifier_and_budget")]

    operations = [UnaccentExtension()]
