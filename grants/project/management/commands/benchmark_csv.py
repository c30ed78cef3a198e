"""Measure the results CSV export against the database's own speed, on the current
database:

    python manage.py benchmark_csv [--repeat 3]

It reads the same rows three ways, in the same run, alternating: "raw" is PostgreSQL's
COPY of the report's query read through psycopg with nothing done to the rows (on
SQLite: a plain cursor fetching the rows in chunks), "plain" (PostgreSQL only) is COPY
of a plain SELECT of the same rows (the results table's own columns, no joins for
labels: the floor), "export" is the whole download as a visitor gets it (the streamed
response's bytes). It prints rows per second for both, their
ratio, and the memory the export allocates at its peak (tracemalloc, measured in a
separate export, because tracing slows Python down) and the growth of the process's
maximum resident size.
"""

import resource
import sys
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection

from grants.csv_export import compiled_sql, copy_statement, csv_response
from indicators.reports import RESULTS

MIB = 1024 * 1024


def max_rss_bytes() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else usage * 1024


def raw_read(rows, chunk_rows) -> int:
    """The database's own speed for the same query: bytes read (COPY) or 0."""
    if connection.vendor == "postgresql":
        total = 0
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(copy_statement(rows)) as copy,
        ):
            for data in copy:
                total += len(data)
        return total
    sql, params = compiled_sql(rows)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while cursor.fetchmany(chunk_rows):
            pass
    return 0


def plain_read(queryset) -> int:
    """COPY of a plain SELECT of the same rows: the table's own columns, in the
    report's order; bytes read."""
    columns = [field.attname for field in queryset.model._meta.concrete_fields]
    total = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(copy_statement(queryset.values_list(*columns))) as copy,
    ):
        for data in copy:
            total += len(data)
    return total


def export(queryset, method=None) -> int:
    response = csv_response(RESULTS, queryset, method=method)
    total = 0
    # Read to the end, which finishes the stream. No response.close(): it would send
    # request_finished, whose handler closes a connection found inside a transaction
    # (always, in a TestCase), though no request is being served here.
    for chunk in response.streaming_content:
        total += len(chunk)
    return total


def measure_export(*, stdout, repeat=3, chunk_rows=2000, method=None) -> dict | None:
    """Run the raw read and the export alternately `repeat` times, print the figures
    and return them (None when there is nothing to export)."""
    queryset = RESULTS.public_queryset()
    rows = RESULTS.rows_queryset(queryset)
    count = queryset.count()
    vendor = connection.vendor
    raw_name = "raw COPY" if vendor == "postgresql" else "raw cursor read"
    stdout.write(
        f"{connection.vendor}: {count} public results "
        f"({queryset.model.objects.count()} in all), best of {repeat} runs"
    )
    if count == 0:
        stdout.write("Nothing to export: run generate_demo first.")
        return None

    raw_times, export_times, plain_times = [], [], []
    export_bytes = raw_bytes = 0
    rss_before = max_rss_bytes()
    for _ in range(repeat):
        started = time.perf_counter()
        raw_bytes = raw_read(rows, chunk_rows)
        raw_times.append(time.perf_counter() - started)
        if vendor == "postgresql":
            started = time.perf_counter()
            plain_read(queryset)
            plain_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        export_bytes = export(queryset, method)
        export_times.append(time.perf_counter() - started)
    rss_growth = max_rss_bytes() - rss_before

    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    export(queryset, method)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()

    raw_rate = count / min(raw_times)
    export_rate = count / min(export_times)
    ratio = export_rate / raw_rate
    plain_rate = count / min(plain_times) if plain_times else None
    plain_ratio = export_rate / plain_rate if plain_rate else None
    target = 0.8 if vendor == "postgresql" else 0.5
    lines = [
        f"{raw_name:>16}: {min(raw_times):8.2f} s  {raw_rate:12,.0f} rows/s"
        + (f"  {raw_bytes / MIB:8.1f} MiB" if raw_bytes else ""),
        f"{'export (' + (method or 'default') + ')':>16}: {min(export_times):8.2f} s  {export_rate:12,.0f} rows/s"
        f"  {export_bytes / MIB:8.1f} MiB",
        f"{'ratio':>16}: {ratio:.2f} x {raw_name} (target >= {target})",
        *(
            [
                f"{'plain COPY':>16}: {min(plain_times):8.2f} s  {plain_rate:12,.0f} "
                f"rows/s  (export {plain_ratio:.2f} x plain COPY, target >= 0.9)"
            ]
            if plain_rate
            else []
        ),
        f"{'memory':>16}: peak allocation during one export {peak / MIB:.1f} MiB "
        "(target <= 50 MiB); "
        f"max RSS growth over all runs {rss_growth / MIB:.1f} MiB",
    ]
    for line in lines:
        stdout.write(line)
    return {
        "rows": count,
        "raw_rows_per_s": round(raw_rate),
        "export_rows_per_s": round(export_rate),
        "ratio": round(ratio, 3),
        "plain_rows_per_s": round(plain_rate) if plain_rate else None,
        "plain_ratio": round(plain_ratio, 3) if plain_ratio else None,
        "peak_growth_mib": round(peak / MIB, 1),
        "rss_growth_mib": round(rss_growth / MIB, 1),
    }


class Command(BaseCommand):
    help = "Benchmark the results CSV export against a raw read of the same query."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--chunk-rows", type=int, default=2000)
        parser.add_argument(
            "--method",
            choices=["copy", "python"],
            help="Force the export's writer (default: COPY on PostgreSQL, else Python).",
        )

    def handle(self, *args, repeat, chunk_rows, method, **options):
        measure_export(
            stdout=self.stdout, repeat=repeat, chunk_rows=chunk_rows, method=method
        )
