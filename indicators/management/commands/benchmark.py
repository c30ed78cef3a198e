"""Measure the public pages, the admin and the CSV export on the current database.

Timings are in-process (Django's test client, no network), the median of many runs after
a warm-up, with the public-page cache off unless stated. Query counts are compared at two
scales of the *same* page: a list shown 5 rows at a time and 50 at a time, and the detail
page of the smallest and of the largest agreement (by amendments and results). A count
that grows with the rows shown is an N+1. Each page is requested once before its
queries are counted, so remembered counts and choices (grants/cache.py) are warm, as on
every view but the first after a write. The last line printed is one JSON object.
"""

import json
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from grants.cache import bump_public_version
from grants.models import Agreement, Amendment, ProgramArea
from indicators.models import Indicator, Result

LIST_PATHS = [
    "/agreements/",
    "/amendments/",
    "/program-areas/",
    "/indicators/",
    "/results/",
]
ADMIN_PATHS = [
    "/admin/grants/agreement/",
    "/admin/grants/agreement/?publication__exact=published",
    "/admin/grants/amendment/",
    "/admin/grants/amendment/?publication__exact=draft",
    "/admin/indicators/result/",
    "/admin/indicators/result/?status__exact=approved",
]


def benchmark_host() -> str:
    """A host name the site answers to (the first plain entry of ALLOWED_HOSTS)."""
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith("."):
            return host
    return "localhost"


class Command(BaseCommand):
    help = "Times public pages, admin changelists and the CSV export; prints JSON last."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=15, help="Timed runs per page.")
        parser.add_argument(
            "--skip-csv", action="store_true", help="Leave out the CSV export."
        )
        parser.add_argument(
            "--csv-repeat", type=int, default=2, help="CSV runs (best kept)."
        )

    def handle(self, *args, runs, skip_csv, csv_repeat, **options):
        self.runs = runs
        self.csv_repeat = csv_repeat
        self.host = benchmark_host()
        self.client = Client(HTTP_HOST=self.host)
        summary = {
            "db": connection.vendor,
            "agreements": Agreement.objects.count(),
            "amendments": Amendment.objects.count(),
            "results": Result.objects.count(),
        }
        self.stdout.write(
            f"database {summary['db']}: {summary['agreements']} agreements, "
            f"{summary['amendments']} amendments, {summary['results']} results"
        )
        with override_settings(PUBLIC_PAGE_CACHE_SECONDS=0):
            summary["trivial_p50_ms"] = self.time_path("/robots.txt")["p50_ms"]
            lists = [self.measure(path) for path in self.list_variants()]
            details = [self.measure(path) for path in self.detail_paths()]
        with override_settings(PUBLIC_PAGE_CACHE_SECONDS=300):
            bump_public_version()
            cached = [self.time_path(path) for path in self.list_variants()[:5]]
        flat = self.query_growth()
        admin_times = self.admin_timings()

        pages = lists + details
        summary.update(
            max_list_queries=max(p["queries"] for p in pages),
            queries_flat=all(f["flat"] for f in flat),
            max_list_p50_ms=max(p["p50_ms"] for p in lists),
            max_detail_p50_ms=max((p["p50_ms"] for p in details), default=0),
            cached_max_p50_ms=max(p["p50_ms"] for p in cached),
            admin_max_p50_ms=max(a["p50_ms"] for a in admin_times),
        )
        if not skip_csv:
            summary.update(self.csv_figures())
        self.stdout.write(json.dumps(summary))

    # -- what is measured ---------------------------------------------------------------

    def list_variants(self):
        agreement = Agreement.objects.public().order_by("pk").first()
        term = agreement.code[:4] if agreement else "a"
        variants = []
        for path in LIST_PATHS:
            variants += [
                path,
                f"{path}?q={term}",
                f"{path}?sort=-pk",
                f"{path}?page=50",
            ]
        return variants

    def detail_paths(self):
        paths = []
        by_size = (
            Agreement.objects.public()
            .annotate(n=Count("amendments"))
            .order_by("n", "pk")
        )
        for agreement in (by_size.first(), by_size.last()):
            if agreement:
                paths.append(agreement.get_absolute_url())
        for model in (ProgramArea, Indicator):
            obj = model.objects.public().first()
            if obj is not None and hasattr(obj, "get_absolute_url"):
                paths.append(obj.get_absolute_url())
        return paths

    def query_growth(self):
        rows = []
        for path in LIST_PATHS:
            small = self.count_queries(f"{path}?per_page=5")
            large = self.count_queries(f"{path}?per_page=50")
            rows.append(
                {
                    "path": path,
                    "5 rows": small,
                    "50 rows": large,
                    "flat": small == large,
                }
            )
        details = self.detail_paths()[:2]
        if len(details) == 2:
            small, large = (self.count_queries(p) for p in details)
            rows.append(
                {
                    "path": "agreement detail, smallest vs largest",
                    "5 rows": small,
                    "50 rows": large,
                    "flat": small == large,
                }
            )
        self.stdout.write("\nqueries per page at two scales (5 and 50 rows shown):")
        for row in rows:
            self.stdout.write(
                f"  {row['path']:<40} {row['5 rows']:>3} {row['50 rows']:>3}  "
                f"{'flat' if row['flat'] else 'GROWS'}"
            )
        return rows

    def admin_timings(self):
        User = get_user_model()
        user, _ = User.objects.get_or_create(
            username="benchmark-admin",
            defaults={"is_staff": True, "is_superuser": True},
        )
        client = Client(HTTP_HOST=self.host)
        client.force_login(user)
        self.stdout.write("\nadmin changelists (superuser):")
        timings = []
        try:
            for path in ADMIN_PATHS:
                timing = self.time_path(path, client=client)
                timings.append(timing)
                self.stdout.write(f"  {path:<58} p50 {timing['p50_ms']:8.1f} ms")
        finally:
            client.logout()
            user.delete()
        return timings

    def csv_figures(self):
        from indicators.management.commands.benchmark_csv import measure_export

        self.stdout.write("\nCSV export of the results report against the raw read:")
        figures = measure_export(stdout=self.stdout, repeat=self.csv_repeat)
        if figures is None:
            return {"csv_vs_copy": None, "csv_peak_growth_mib": None}
        return {
            "csv_vs_copy": figures["ratio"],
            "csv_peak_growth_mib": figures["peak_growth_mib"],
            "csv_rows_per_s": figures["export_rows_per_s"],
        }

    # -- helpers --------------------------------------------------------------------------

    def measure(self, path):
        timing = self.time_path(path)
        timing["queries"] = self.count_queries(path)
        self.stdout.write(
            f"  {path:<58} p50 {timing['p50_ms']:8.1f} ms  {timing['queries']:>2} queries"
            f"  ({timing['status']})"
        )
        return timing

    def time_path(self, path, client=None):
        client = client or self.client
        status = None
        for _ in range(2):
            status = client.get(path).status_code
        if status != 200:
            # A figure for an error page would be a figure for the wrong thing.
            raise CommandError(
                f"{path} answered {status}, not 200: nothing to measure."
            )
        samples = []
        for _ in range(self.runs):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        return {
            "path": path,
            "status": status,
            "p50_ms": round(statistics.median(samples), 2),
        }

    def count_queries(self, path):
        # Warm first: a list's matching count and filter choices are remembered until
        # the next write (grants/cache.py), so the first view after a write runs up
        # to three more queries; every later view runs the number counted here.
        with override_settings(PUBLIC_PAGE_CACHE_SECONDS=0):
            self.client.get(path)
            with CaptureQueriesContext(connection) as queries:
                self.client.get(path)
        return len(queries)
