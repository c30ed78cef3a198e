"""Measure the public pages, the admin and the CSV export on the current database.

Timings are in-process (Django's test client, no network), the median of many runs after
a warm-up, with the public-page cache off unless stated. Each list is timed as it comes,
searched for a word most rows contain and for one only a few contain, filtered, sorted
by a column, and at page 50. Every sortable column of the three large lists is then
timed both ways, once a sort is refused past grants.listing.COSTLY_SORT_MAX_ROWS it says
so. Query counts are compared at two scales of the *same* page: a list shown 5 rows at
a time and 50 at a time, and the detail page of the smallest and of the largest
agreement (by amendments); each API list at 5 and 50 rows a page too. The API
(/api/v1/) is timed per endpoint: as it comes, its documented example, sorted, past
1,200 rows by cursor, and one row. A count that grows with the rows shown is an N+1. Pages are
warm: remembered counts, choices and totals (grants/cache.py) are kept until the next
write, as on every view but the first after a write; "cold" figures time that first
view (the remembered values dropped before each run). The filter form of each list is
rendered with Django's own form templates and with the site's renderer
(grants/project/form_renderer.py), alternating, and their ratio printed. The last line
printed is one JSON object.
"""

import contextlib
import json
import statistics
import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    connection,
    connections,
    transaction,
)
from django.db.models import Count
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.http import QueryDict
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils.module_loading import import_string

from grants.api.core import get_endpoints
from grants.cache import bump_public_version, bump_tables
from grants.listing import COSTLY_SORT_MAX_ROWS
from grants.models import (
    Agreement,
    Amendment,
    Disbursement,
    ProgramArea,
    PublicVersion,
    public_rows,
)
from indicators.models import Indicator, Result

LIST_PATHS = [
    "/agreements/",
    "/amendments/",
    "/disbursements/",
    "/program-areas/",
    "/indicators/",
    "/results/",
]
# Lists whose every column sort is timed (the large tables).
SORTED_LISTS = {
    "/agreements/": "grants.tables.AgreementTable",
    "/amendments/": "grants.tables.AmendmentTable",
    "/disbursements/": "grants.tables.DisbursementTable",
    "/results/": "indicators.tables.ResultTable",
}
ADMIN_PATHS = [
    "/admin/grants/agreement/",
    "/admin/grants/agreement/?publication__exact=published",
    "/admin/grants/amendment/",
    "/admin/grants/amendment/?publication__exact=draft",
    "/admin/grants/disbursement/",
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
            "--warmups",
            type=int,
            default=2,
            help="Untimed requests before a page's timed runs.",
        )
        parser.add_argument(
            "--skip-iati",
            action="store_true",
            help="Leave out the streamed IATI export (benchmark_iati).",
        )
        parser.add_argument(
            "--skip-csv", action="store_true", help="Leave out the CSV export."
        )
        parser.add_argument(
            "--csv-repeat", type=int, default=2, help="CSV runs (best kept)."
        )

    def handle(self, *args, **options):
        # Hundreds of requests from one address in a minute: the API's throttle
        # would answer most of them 429, and the figures would be the throttle's.
        with override_settings(API_THROTTLE_RATE=""):
            self.measure_all(**options)

    def measure_all(
        self, *, runs, skip_csv, csv_repeat, skip_iati=False, warmups=2, **options
    ):
        self.runs = runs
        self.warmups = warmups
        self.csv_repeat = csv_repeat
        self.host = benchmark_host()
        self.client = Client(HTTP_HOST=self.host)
        summary = {
            "db": connection.vendor,
            "agreements": Agreement.objects.count(),
            "amendments": Amendment.objects.count(),
            "disbursements": Disbursement.objects.count(),
            "results": Result.objects.count(),
        }
        self.stdout.write(
            f"database {summary['db']}: {summary['agreements']} agreements, "
            f"{summary['amendments']} amendments, {summary['disbursements']} "
            f"disbursements, {summary['results']} results"
        )
        variants = self.list_variants()
        with self.static_files(), override_settings(PUBLIC_PAGE_CACHE_SECONDS=0):
            summary["trivial_p50_ms"] = self.time_path("/robots.txt")["p50_ms"]
            self.stdout.write(
                "\npublic lists (page cache off, remembered values warm):"
            )
            lists = [self.measure(path) for path in variants]
            self.stdout.write("\ndetail pages:")
            details = [self.measure(path) for path in self.detail_paths()]
            self.stdout.write(
                "\nAPI (/api/v1/: each list, filtered, sorted, deep, a row):"
            )
            api = self.api_timings()
            self.stdout.write("\nfirst view after a write (remembered values cold):")
            cold = [
                self.time_path(path, cold=True, show=True)
                for path in [*LIST_PATHS, *self.detail_paths()]
            ]
            sorts = self.sort_timings()
        with self.static_files(), override_settings(PUBLIC_PAGE_CACHE_SECONDS=300):
            bump_public_version()
            self.stdout.write("\npage cache on (anonymous visitors):")
            cached = [self.time_path(path, show=True) for path in LIST_PATHS]
        with self.static_files():
            flat = self.query_growth()
            admin_times = self.admin_timings()
        forms_ratio = self.form_figures()

        pages = lists + details
        offered = [s for s in sorts if not s["refused"]]
        summary.update(
            max_list_queries=max(p["queries"] for p in pages),
            queries_flat=all(f["flat"] for f in flat),
            max_list_p50_ms=max(p["p50_ms"] for p in lists),
            max_detail_p50_ms=max((p["p50_ms"] for p in details), default=0),
            api_max_p50_ms=max((p["p50_ms"] for p in api), default=0),
            api_max_queries=max((p["queries"] for p in api), default=0),
            api_endpoints=self.per_endpoint(api),
            cold_max_p50_ms=max(p["p50_ms"] for p in cold),
            max_sort_p50_ms=max((p["p50_ms"] for p in offered), default=0),
            sorts_over_50_ms=sorted({p["path"] for p in offered if p["p50_ms"] > 50}),
            sorts_refused=len(sorts) - len(offered),
            cached_max_p50_ms=max(p["p50_ms"] for p in cached),
            admin_max_p50_ms=max(a["p50_ms"] for a in admin_times),
            forms_vs_django=forms_ratio,
        )
        summary["replica"] = self.replica_figures()
        if not skip_csv:
            summary.update(self.csv_figures())
        if not skip_iati:
            summary.update(self.iati_figures())
        self.stdout.write(json.dumps(summary))

    # -- what is measured ---------------------------------------------------------------

    def list_variants(self):
        """Each list as it comes; searched for a word most rows contain ("common")
        and for a whole agreement code, which few rows contain ("rare"); filtered on
        a field of its own; sorted by a column, descending; and at page 50."""
        public = Agreement.objects.public().order_by("pk")
        agreement = public[public.count() // 2] if public.exists() else None
        common = agreement.code[:4] if agreement else "a"
        rare = agreement.code if agreement else "zzzz"
        indicator = Indicator.objects.public().order_by("pk").first()
        area = ProgramArea.objects.all().order_by("pk").first()
        filters = {
            "/agreements/": f"currency={agreement.currency if agreement else 'USD'}",
            "/amendments/": f"agreement={rare}",
            "/disbursements/": "kind=expenditure",
            "/program-areas/": f"q={area.name.split()[0] if area else 'a'}",
            "/indicators/": f"unit={indicator.unit if indicator else 'people'}",
            "/results/": f"indicator={indicator.code if indicator else 'none'}",
        }
        sorts = {
            "/agreements/": "-title",
            "/amendments/": "-amount",
            "/disbursements/": "-amount",
            "/program-areas/": "-agreement_count",
            "/indicators/": "-name",
            "/results/": "period_start",
        }
        variants = []
        for path in LIST_PATHS:
            variants += [
                path,
                f"{path}?q={quote(common)}",
                f"{path}?q={quote(rare)}",
                f"{path}?{filters[path]}",
                f"{path}?sort={sorts[path]}",
                f"{path}?page=50",
            ]
        # The agreements that have disbursed less than a quarter of their total.
        variants.append("/agreements/?share_max=25")
        return variants

    def api_paths(self):
        """Per endpoint: the list as it comes, the documentation's example request, the
        last sort descending, the page after 1,200 rows (a cursor, however deep) and
        the first row's detail."""
        paths = []
        for endpoint in get_endpoints():
            base = f"/api/v1/{endpoint.name}/"
            paths.append(base)
            if endpoint.example:
                paths.append(f"{base}?{endpoint.example}")
            sorts = endpoint.sort_names()
            if sorts:
                paths.append(f"{base}?sort={sorts[-1]}")
            deepest, following = None, f"{base}?page_size=100"
            for _ in range(12):
                following = self.client.get(following).json().get("next")
                if not following:
                    break
                deepest = following
            if deepest:
                paths.append(deepest.replace("page_size=100", "page_size=25"))
            first = self.client.get(base).json().get("results")
            if first:
                paths.append(first[0]["url"])
        return paths

    def api_timings(self):
        """Each API path timed and its queries counted; a path that does not answer
        200 on this data (an example naming a code it lacks) is named and skipped."""
        timings = []
        for path in self.api_paths():
            try:
                timings.append(self.measure(path))
            except CommandError as error:
                self.stdout.write(f"  {path:<58} skipped: {error}")
        return timings

    @staticmethod
    def per_endpoint(timings):
        """The API's figures per endpoint: the slowest p50 and most queries of its
        paths (list, example, sort, deep page, one row)."""
        endpoints = {}
        for timing in timings:
            name = timing["path"].removeprefix("/api/v1/").split("/")[0].split("?")[0]
            figures = endpoints.setdefault(name, {"max_p50_ms": 0, "max_queries": 0})
            figures["max_p50_ms"] = max(figures["max_p50_ms"], timing["p50_ms"])
            figures["max_queries"] = max(figures["max_queries"], timing["queries"])
        return endpoints

    def replica_figures(self):
        """With DATABASE_REPLICA_URLS: which database served each public list (the
        X-Read-Database header), and each replica's lag: the time until a version
        row written on the primary is read on it. None without replicas."""
        if not settings.DATABASE_REPLICAS:
            return None
        self.stdout.write("\nread replicas:")
        served = [
            self.client.get(path).get("X-Read-Database", "primary")
            for path in LIST_PATHS
        ]
        scope = "benchmark-replica-check"
        lag_ms = {}
        for alias in settings.DATABASE_REPLICAS:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                bump_tables([scope], using=DEFAULT_DB_ALIAS)
            number = PublicVersion.objects.using(DEFAULT_DB_ALIAS).get(scope=scope)
            started = time.perf_counter()
            lag_ms[alias] = None
            while time.perf_counter() - started < 10:
                try:
                    row = PublicVersion.objects.using(alias).filter(scope=scope).first()
                except DatabaseError as error:
                    self.stdout.write(f"  {alias}: not answering ({error})")
                    break
                if row is not None and row.number >= number.number:
                    lag_ms[alias] = round((time.perf_counter() - started) * 1000, 2)
                    break
                time.sleep(0.001)
            self.stdout.write(f"  {alias}: a write seen after {lag_ms[alias]} ms")
        PublicVersion.objects.using(DEFAULT_DB_ALIAS).filter(scope=scope).delete()
        from_replica = sum(database != "primary" for database in served)
        self.stdout.write(
            f"  public lists read from a replica: {from_replica} of {len(served)}"
        )
        return {
            "lists": len(served),
            "lists_from_replica": from_replica,
            "lag_ms": lag_ms,
        }

    def sort_timings(self):
        """Every sortable column of the large lists, both ways (fewer runs)."""
        self.stdout.write(
            "\nevery column sort of the large lists (refused: past "
            f"{COSTLY_SORT_MAX_ROWS:,} matching rows, the usual order instead):"
        )
        rows = []
        for path, dotted in SORTED_LISTS.items():
            table = import_string(dotted)
            for name, column in table.base_columns.items():
                if column.orderable is False or name in table.staff_only:
                    continue
                for sort in (name, f"-{name}"):
                    timing = self.time_path(
                        f"{path}?sort={sort}", runs=min(3, self.runs)
                    )
                    timing["refused"] = b"data-sort-refused" in timing.pop("content")
                    rows.append(timing)
                    self.stdout.write(
                        f"  {timing['path']:<58} p50 {timing['p50_ms']:8.1f} ms"
                        + ("  refused" if timing["refused"] else "")
                    )
        return rows

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
        # The agreement with the most payments (hundreds in generate_demo's data).
        most_paid = Agreement.objects.public().order_by(
            "-public_disbursement_count", "pk"
        )
        agreement = most_paid.first()
        if agreement is not None and agreement.public_disbursement_count:
            paths.append(agreement.get_absolute_url())
        for model in (ProgramArea, Indicator):
            obj = public_rows(model).first()
            if obj is not None and hasattr(obj, "get_absolute_url"):
                paths.append(obj.get_absolute_url())
        return paths

    def query_growth(self):
        rows = []
        api_lists = [f"/api/v1/{endpoint.name}/" for endpoint in get_endpoints()]
        for path in LIST_PATHS + api_lists:
            size = "page_size" if path.startswith("/api/") else "per_page"
            small = self.count_queries(f"{path}?{size}=5")
            large = self.count_queries(f"{path}?{size}=50")
            rows.append(
                {
                    "path": path,
                    "5 rows": small,
                    "50 rows": large,
                    "flat": small == large,
                }
            )
        # Two agreements alike but for their size: the fewest and the most
        # amendments among those with published payments (a page with payments
        # reads them in two more queries, whatever their number).
        paid = (
            Agreement.objects.public()
            .filter(public_disbursement_count__gt=0)
            .annotate(n=Count("amendments"))
            .order_by("n", "public_disbursement_count", "pk")
        )
        details = [a.get_absolute_url() for a in (paid.first(), paid.last()) if a]
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

    def form_figures(self, rounds=5):
        """Each list's filter form (every field and its label, as list_page.html
        renders them) with Django's own form templates and with the site's renderer,
        in alternating rounds of `--runs` renders; prints the medians and returns the
        ratio of their sums (site / Django)."""
        renders = self.runs
        self.stdout.write("\nfilter forms: Django's form templates against the site's:")
        stock, site = DjangoTemplates(), get_default_renderer()
        totals = {"django": 0.0, "site": 0.0}
        for path in LIST_PATHS:
            filterset_class = resolve(path).func.view_class.filterset_class
            form = filterset_class(
                QueryDict("country=PE&q=a"),
                queryset=filterset_class.base_queryset(include_drafts=False),
            ).form
            times = {"django": [], "site": []}
            for _ in range(rounds):
                for name, renderer in (("django", stock), ("site", site)):
                    form.renderer = renderer
                    for _ in range(renders):
                        started = time.perf_counter()
                        "".join(f"{field.label_tag()}{field}" for field in form)
                        times[name].append(time.perf_counter() - started)
            medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
            for name, median in medians.items():
                totals[name] += median
            self.stdout.write(
                f"  {path:<18} {len(form.fields):>2} fields  Django {medians['django']:6.2f}"
                f" ms  site {medians['site']:6.2f} ms"
            )
        ratio = round(totals["site"] / totals["django"], 3)
        self.stdout.write(f"  site / Django: {ratio}")
        return ratio

    def csv_figures(self):
        from grants.project.management.commands.benchmark_csv import measure_export

        self.stdout.write("\nCSV export of the results report against the raw read:")
        figures = measure_export(stdout=self.stdout, repeat=self.csv_repeat)
        if figures is None:
            return {
                "csv_vs_copy": None,
                "csv_vs_plain_copy": None,
                "csv_peak_growth_mib": None,
            }
        return {
            "csv_vs_copy": figures["ratio"],
            # None on SQLite, which has no COPY.
            "csv_vs_plain_copy": figures["plain_ratio"],
            "csv_peak_growth_mib": figures["peak_growth_mib"],
            "csv_rows_per_s": figures["export_rows_per_s"],
        }

    def iati_figures(self):
        from grants.project.management.commands.benchmark_iati import measure_iati

        self.stdout.write("\nIATI export, streamed (size, time, memory):")
        return measure_iati(stdout=self.stdout)

    # -- helpers --------------------------------------------------------------------------

    def measure(self, path):
        timing = self.time_path(path)
        # The timed runs have just warmed the remembered values.
        timing["queries"] = self.count_queries(path, warm=True)
        self.stdout.write(
            f"  {path:<58} p50 {timing['p50_ms']:8.1f} ms  {timing['queries']:>2} queries"
            f"  ({timing['status']})"
        )
        return timing

    def time_path(self, path, client=None, *, runs=None, cold=False, show=False):
        client = client or self.client
        for _ in range(self.warmups):
            client.get(path)
        samples = []
        for _ in range(max(runs or self.runs, 1)):
            if cold:
                bump_public_version()
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            # A figure for an error page would be a figure for the wrong thing.
            raise CommandError(
                f"{path} answered {response.status_code}, not 200: nothing to measure."
            )
        timing = {
            "path": path,
            "status": response.status_code,
            "p50_ms": round(statistics.median(samples), 2),
            "content": getattr(response, "content", b""),
        }
        if show:
            self.stdout.write(f"  {path:<58} p50 {timing['p50_ms']:8.1f} ms")
        return timing

    @contextlib.contextmanager
    def static_files(self):
        """Pages name their CSS through the static files storage; with DEBUG off
        that is the manifest `collectstatic` writes. Without it, the plain storage
        (the same URLs less the hash), so a benchmark needs no collectstatic."""
        try:
            staticfiles_storage.url("css/site.css")
        except ValueError:
            if not getattr(self, "said_no_manifest", False):
                self.said_no_manifest = True
                self.stdout.write(
                    "(no static files manifest: run collectstatic for the production "
                    "storage; measuring with the plain one)"
                )
            storages = {
                **settings.STORAGES,
                "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                },
            }
            with override_settings(STORAGES=storages):
                yield
            return
        yield

    def count_queries(self, path, *, warm=False):
        # Warm first: a list's matching count and filter choices are remembered until
        # the next write (grants/cache.py), so the first view after a write runs up
        # to three more queries; every later view runs the number counted here.
        # Counted on every database: with read replicas the pages read one of them.
        with override_settings(PUBLIC_PAGE_CACHE_SECONDS=0):
            if not warm:
                self.client.get(path)
            with contextlib.ExitStack() as stack:
                captured = [
                    stack.enter_context(CaptureQueriesContext(connections[alias]))
                    for alias in [DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS]
                ]
                self.client.get(path)
        return sum(len(queries) for queries in captured)
