"""Free-text search that ignores case and accents: "peru" finds "Perú" and "PERU".

The database folds the column with `Fold()` and Python folds the search words with
`fold()` the same way: on PostgreSQL `grants_fold()`, an indexable `unaccent(lower(...))`
with trigram indexes on the large tables' text (grants migration 0006), on SQLite a
Python function registered on each connection.
"""

import functools
import operator
import unicodedata

from django.db.models import BooleanField, Case, CharField, F, Func, Q, Value, When
from django.db.models.lookups import Contains

from . import languages

MAX_SEARCH_WORDS = 10
# A related table's matching rows are looked up first and given to the database as a
# list of ids (which its foreign-key index serves) up to this many; beyond, a word
# common to most of them, the related table is joined (most rows match then, and the
# database stops reading once a page is full).
RELATED_IDS_LIMIT = 1000


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

    def as_grants_fold(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="grants_fold", **extra_context
        )

    # PostgreSQL: a migration's SQL function; SQLite: register_sqlite_fold.
    as_postgresql = as_sqlite = as_grants_fold


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


def search_in(queryset, fields, text):
    """`queryset` narrowed to rows where every word of `text` is found in one of
    `fields` (case and accents ignored), as `search_q`, planned for large tables.

    A field across a relation (`donor__name`) is not joined into one OR with the
    table's own columns, which would make the database read every row to find a rare
    word: the related rows matching any word are looked up first (one query per
    related table) and the condition becomes `donor_id IN (their ids)`, which the foreign
    key's index serves, and the own columns use their trigram indexes.

    A translated field (`title`) is searched in each of its languages' columns."""
    words = fold(text or "").split()[:MAX_SEARCH_WORDS]
    if not words:
        return queryset
    fields = languages.search_fields(queryset.model, fields)
    own = [field for field in fields if "__" not in field]
    # Relations to the same table searched on the same fields (an agreement's donor
    # and recipient) share one lookup.
    related = {}
    for field in fields:
        if "__" in field:
            relation, remote_field = field.split("__", 1)
            related.setdefault(relation, []).append(remote_field)
    lookups = {}
    for relation, remote_fields in related.items():
        remote = queryset.model._meta.get_field(relation).related_model
        lookups.setdefault((remote, tuple(remote_fields)), []).append(relation)
    arms = [[Q(Contains(Fold(F(field)), word)) for field in own] for word in words]
    for (remote, remote_fields), relations in lookups.items():
        per_word = [search_q(remote_fields, word) for word in words]
        matching = (
            remote._base_manager.filter(functools.reduce(operator.or_, per_word))
            .annotate(
                **{
                    f"word_{i}": Case(
                        When(condition, then=Value(True)),
                        default=Value(False),
                        output_field=BooleanField(),
                    )
                    for i, condition in enumerate(per_word)
                }
            )
            .order_by("pk")
            .values_list("pk", *(f"word_{i}" for i in range(len(words))))
        )
        rows = list(matching[: RELATED_IDS_LIMIT + 1])
        for i, word in enumerate(words):
            if len(rows) > RELATED_IDS_LIMIT:
                # Common to most related rows: joined, as search_q does; most rows
                # match, and the database stops reading once a page is full.
                arms[i] += [
                    search_q([f"{relation}__{f}" for f in remote_fields], word)
                    for relation in relations
                ]
                continue
            ids = [row[0] for row in rows if row[i + 1]]
            if ids:
                arms[i] += [Q(**{f"{relation}__in": ids}) for relation in relations]
    condition = Q()
    for word_arms in arms:
        # A word found nowhere matches no row (and costs no query).
        condition &= functools.reduce(operator.or_, word_arms, Q(pk__in=[]))
    return queryset.filter(condition)
