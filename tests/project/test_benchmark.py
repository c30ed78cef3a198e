import json
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase, override_settings

from grants.api.core import get_endpoints

KEYS = {
    "db",
    "agreements",
    "results",
    "max_list_queries",
    "queries_flat",
    "max_list_p50_ms",
    "trivial_p50_ms",
    "csv_vs_copy",
    "csv_vs_plain_copy",
    "csv_peak_growth_mib",
    "admin_max_p50_ms",
    "cached_max_p50_ms",
    "cold_max_p50_ms",
    "max_sort_p50_ms",
    "sorts_refused",
    "api_max_p50_ms",
    "api_max_queries",
    "api_endpoints",
    "replica",
    "iati_mib",
    "iati_seconds",
    "iati_rss_peak_growth_mib",
    "forms_vs_django",
}


# As in production: counts, choices and totals remembered until the next write (the
# benchmark counts queries on warm pages; the first view after a write runs more).
@override_settings(PUBLIC_VALUE_CACHE_SECONDS=300)
class BenchmarkCommandTests(TestCase):
    """The command's figures are for people to read; the test holds it to its promises:
    it runs, its last line is the JSON summary, and the query counts it reports are flat
    and small (the same pages the view tests check one by one)."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)
        call_command(
            "generate_demo", agreements=30, results=200, seed=3, stdout=StringIO()
        )

    def setUp(self):
        cache.clear()

    # The throttle as production has it, or tighter: the benchmark is not throttled.
    @override_settings(API_THROTTLE_RATE="5/minute")
    def test_prints_a_json_summary_last_with_flat_small_query_counts(self):
        out = StringIO()
        call_command("benchmark", runs=1, warmups=0, csv_repeat=1, stdout=out)
        lines = out.getvalue().strip().splitlines()
        summary = json.loads(lines[-1])
        self.assertLessEqual(KEYS, set(summary))
        self.assertEqual(summary["agreements"], 32)
        self.assertIs(summary["queries_flat"], True)
        # The results list's 5, plus the public version read from the database.
        self.assertLessEqual(summary["max_list_queries"], 6)
        self.assertGreater(summary["csv_vs_copy"], 0)
        self.assertGreater(summary["forms_vs_django"], 0)
        self.assertIn("/agreements/       14 fields", out.getvalue())
        self.assertIn("queries per page at two scales", out.getvalue())
        # Every column of the three large lists, both ways; none refused at this size.
        self.assertIn("/results/?sort=-actual_value", out.getvalue())
        self.assertEqual(summary["sorts_refused"], 0)
        # A line per API endpoint, its lists among the flat query counts.
        for name in ("agreements", "amendments", "results", "organizations"):
            self.assertIn(f"/api/v1/{name}/ ", out.getvalue())
        self.assertIn("/api/v1/results/?cursor=", out.getvalue())
        self.assertLessEqual(summary["api_max_queries"], 6)
        self.assertGreater(summary["api_max_queries"], 0)
        self.assertNotIn("answered 429", out.getvalue())
        self.assertEqual(
            set(summary["api_endpoints"]), {e.name for e in get_endpoints()}
        )
        self.assertIsNone(summary["replica"])  # none configured
