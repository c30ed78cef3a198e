"""Measure the streamed IATI export (/iati/activities.xml) on the current database:

    python manage.py benchmark_iati

It writes the whole document as a visitor reads it (the response's chunks, counted
and thrown away) and prints its size, the time it took, the resident memory of the
process at its peak while writing (read from /proc after each chunk) against the
resident memory before, and the growth of the process's maximum resident size.
A tree built in memory would grow with the number of agreements; the streamed
document should not. The reporting organisation is set for the run when the
environment does not set it.
"""

import json
import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import override_settings

from grants.models import Agreement
from grants.project.management.commands.benchmark_csv import MIB, max_rss_bytes
from indicators.iati import export
from indicators.models import Result


def rss_bytes() -> int:
    """The process's resident memory now (Linux), else its maximum so far."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return max_rss_bytes()


def measure_iati(stdout=None) -> dict:
    reporting = {}
    if not settings.IATI_REPORTING_ORG_REF or not settings.IATI_REPORTING_ORG_NAME:
        reporting = {
            "IATI_REPORTING_ORG_REF": "XM-BENCHMARK",
            "IATI_REPORTING_ORG_NAME": "Benchmark",
        }
    connection.force_debug_cursor = False
    with override_settings(**reporting):
        before_rss, before_max = rss_bytes(), max_rss_bytes()
        peak = before_rss
        size = 0
        started = time.perf_counter()
        for number, chunk in enumerate(export.stream(export.public_agreements()), 1):
            size += len(chunk)
            if number % 16 == 0:
                peak = max(peak, rss_bytes())
                reset_queries()
        seconds = time.perf_counter() - started
        peak = max(peak, rss_bytes())
    figures = {
        "iati_agreements": Agreement.objects.public().count(),
        "iati_results": Result.objects.public().count(),
        "iati_mib": round(size / MIB, 1),
        "iati_seconds": round(seconds, 1),
        "iati_rss_before_mib": round(before_rss / MIB, 1),
        "iati_rss_peak_growth_mib": round((peak - before_rss) / MIB, 1),
        "iati_max_rss_growth_mib": round((max_rss_bytes() - before_max) / MIB, 1),
    }
    if stdout is not None:
        stdout.write(
            f"  /iati/activities.xml: {figures['iati_agreements']} public agreements, "
            f"{figures['iati_results']} public results: {figures['iati_mib']} MiB in "
            f"{figures['iati_seconds']} s; resident memory {figures['iati_rss_before_mib']}"
            f" MiB before, +{figures['iati_rss_peak_growth_mib']} MiB at the peak "
            f"(maximum resident size +{figures['iati_max_rss_growth_mib']} MiB)"
        )
    return figures


class Command(BaseCommand):
    help = "Measure the streamed IATI export's size, time and memory."

    def handle(self, *args, **options):
        figures = measure_iati(stdout=self.stdout)
        self.stdout.write(json.dumps(figures))
