from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from grants.migrations import _postgres

# The folded column `grants.search.Fold` compares on PostgreSQL. unaccent() is only
# STABLE (its dictionary could change), so it cannot be indexed; this wrapper names
# the dictionary and is declared IMMUTABLE, which is the documented way to index it.
FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION grants_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, lower($1)) $$
"""

# (index, table, column): the searched text columns of the large tables. The small
# ones (organizations, indicators, program areas) are searched by a plain scan.
TRIGRAM_INDEXES = [
    ("grants_agreement_code_trgm", "grants_agreement", "code"),
    ("grants_agreement_title_trgm", "grants_agreement", "title"),
    ("grants_amendment_title_trgm", "grants_amendment", "title"),
]


def create_fold_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FOLD_FUNCTION)


def drop_fold_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS grants_fold(text)")


class Migration(migrations.Migration):
    """Search (`q`) ignores case and accents and finds words inside codes and titles:
    on PostgreSQL, trigram indexes over the folded text let a rare word be found
    without reading every row. Nothing happens on other databases."""

    dependencies = [("grants", "0005_history_follows_iati_fields")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_fold_function, drop_fold_function),
        _postgres.create_trigram_indexes(TRIGRAM_INDEXES),
        _postgres.analyze("grants_agreement", "grants_amendment"),
    ]
