"""PostgreSQL-only operations the migrations share (trigram indexes over folded
text, statistics for new expression indexes); nothing happens on other databases.

Kept apart from the migrations that use it; the loader skips modules named "_...".
"""

from django.db import migrations


def postgres_indexes(indexes, definition):
    """(name, table, column) indexes created on PostgreSQL only, each as
    `definition(column)` (the part after ON "table"), dropped going back."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, table, column in indexes:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition(column)}'
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _table, _column in indexes:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forwards, backwards, elidable=False)


def create_trigram_indexes(indexes):
    return postgres_indexes(
        indexes, lambda column: f'USING gin (grants_fold("{column}") gin_trgm_ops)'
    )


def analyze(*tables):
    """ANALYZE `tables`: PostgreSQL gathers statistics on an expression index's
    expression only then, and plans with guesses until autovacuum gets to it (a
    filter on UPPER(code) read every agreement, 4.6 s for a results page)."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f'ANALYZE "{table}"')

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)


def create_nulls_first_sort_indexes(indexes):
    """`(column ASC NULLS FIRST, id)` indexes: a sort that takes an empty value as the
    smallest (SQLite's order, kept on PostgreSQL too: grants.listing.nulls_smallest)
    read from the index in both directions. SQLite's own indexes already order so."""
    return postgres_indexes(indexes, lambda column: f'("{column}" ASC NULLS FIRST, "id" ASC)')


def drop_trigram_indexes(indexes):
    """The reverse of `create_trigram_indexes`: drops them, and creates them again
    when the migration is unapplied."""
    create = create_trigram_indexes(indexes)
    return migrations.RunPython(create.reverse_code, create.code, elidable=False)


def copy_into_language(fields_by_model, language):
    """Copies each model's existing text (the original field) into its column of
    `language`, where that column is still empty: the record written before it was
    kept per language is in that language."""

    def forwards(apps, schema_editor):
        from django.db.models import F, Q

        for label, fields in fields_by_model.items():
            model = apps.get_model(label)
            for field in fields:
                column = f"{field}_{language}"
                model._base_manager.filter(
                    Q(**{f"{column}__isnull": True}) | Q(**{column: ""})
                ).update(**{column: F(field)})

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)
