"""Free-text search that ignores case and accents: "peru" finds "Perú" and "PERU".

The database folds the column with `Fold()` and Python folds the search words with
`fold()` the same way: on PostgreSQL `unaccent(lower(...))` (the `unaccent` extension is
created by a migration), on SQLite a Python function registered on each connection.
"""

import unicodedata

from django.db.models import CharField, F, Func, Q
from django.db.models.lookups import Contains

MAX_SEARCH_WORDS = 10


def fold(text):
    """Lower-case `text` and strip its accents ("Perú" -> "peru"); None stays None."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class Fold(Func):
    """The column, lower-cased and without accents, to compare with `fold()` output."""

    function = "LOWER"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="unaccent(lower(%(expressions)s))",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="grants_fold", **extra_context
        )


def register_sqlite_fold(sender, connection, **kwargs):
    """connection_created receiver: give SQLite the `grants_fold` function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "grants_fold", 1, fold, deterministic=True
        )


def search_q(fields, text):
    """A Q matching rows where every word of `text` is found in one of `fields`
    (case and accents ignored). An empty text matches everything."""
    words = fold(text or "").split()[:MAX_SEARCH_WORDS]
    condition = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            any_field |= Q(Contains(Fold(F(field)), word))
        condition &= any_field
    return condition
