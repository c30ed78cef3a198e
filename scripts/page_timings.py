"""p50 and query count of whole pages through Django's test client, as JSON.

Run from a checkout (its code is used), against the database of DATABASE_URL:

    DJANGO_DEBUG=1 PUBLIC_PAGE_CACHE_SECONDS=0 python scripts/page_timings.py /agreements/ /results/

Each page: two warm-ups, seven timed requests (p50), then one more to count its
queries. Two checkouts run in turn against the same database compare two versions of
the code (docs/performance.md, issue 16). It stands apart from `manage.py benchmark`
(whose `measure` does the same per page) because it must run unchanged in checkouts
older than any option that command could gain for choosing pages.
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grants.project.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = 7


def main(urls):
    setup_test_environment()
    client = Client()
    figures = {}
    for url in urls:
        client.get(url)
        client.get(url)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        figures[url] = (round(statistics.median(times), 1), len(queries))
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
