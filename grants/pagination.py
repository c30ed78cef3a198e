"""A paginator for admin changelists over tables of a million rows."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from .cache import cached_count

# Below this many rows the exact count is cheap, and an estimate would be noticed.
ESTIMATE_ABOVE = 50_000


def estimated_rows(queryset):
    """PostgreSQL's own estimate of the rows of `queryset`'s table (pg_class.reltuples,
    kept by ANALYZE and autovacuum), or None where there is none (another database,
    a table never analysed)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except an unfiltered changelist of a large PostgreSQL table: there
    COUNT(*) reads the whole table on every page view, and the planner's estimate (a
    fraction of a millisecond) is close enough for the page links. Any filter or search
    gives back the exact count, remembered until the next write."""

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and not query.distinct:
            estimate = estimated_rows(queryset)
            if estimate is not None and estimate > ESTIMATE_ABOVE:
                return estimate
        if query is not None:
            # Exact, and remembered until the next write (grants/cache.py).
            return cached_count(queryset)
        return super().count
