"""`?format=csv` on every public list page: exactly the rows the page's filters select,
all pages at once, published rows only."""

import csv
import io
from decimal import Decimal

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from grants.models import PublicationState
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_result,
    make_staff_user,
)

LISTS = {
    "grants:agreement-list": "code",
    "grants:amendment-list": "agreement_code",
    "grants:programarea-list": "code",
    "indicators:indicator-list": "code",
    "indicators:result-list": "indicator_code",
}


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


class ListCSVTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)
        cls.draft = make_agreement(code="DRAFT-1", publication=PublicationState.DRAFT)
        make_amendment(agreement=cls.draft, amount=Decimal("5.00"))
        for n in range(30):
            agreement = make_agreement(
                code=f"BULK-{n:02d}", title=f"Bulk agreement {n}"
            )
            make_amendment(agreement=agreement, amount=Decimal(n + 1))
        hidden = make_indicator(
            code="hidden-indicator", publication=PublicationState.DRAFT
        )
        make_result(indicator=hidden)

    def test_each_list_gives_every_matching_public_row_not_only_the_page(self):
        for name, key in LISTS.items():
            with self.subTest(name=name):
                url = reverse(name)
                page = self.client.get(url, {"per_page": 5})
                response = self.client.get(
                    url, {"per_page": 5, "page": 2, "format": "csv"}
                )
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
                rows = read_csv(response)
                self.assertEqual(len(rows), page.context["matching_count"])
                codes = {row[key] for row in rows}
                self.assertNotIn("DRAFT-1", codes)
                self.assertNotIn("hidden-indicator", codes)

    def test_the_file_keeps_the_filters_and_the_sort(self):
        url = reverse("grants:agreement-list")
        rows = read_csv(
            self.client.get(url, {"q": "bulk", "sort": "-code", "format": "csv"})
        )
        self.assertEqual(len(rows), 30)
        self.assertEqual(rows[0]["code"], "BULK-29")
        self.assertEqual(rows[-1]["code"], "BULK-00")
        rows = read_csv(self.client.get(url, {"q": "527-0427", "format": "csv"}))
        self.assertEqual([row["code"] for row in rows], ["527-0427"])
        self.assertEqual(rows[0]["total"], "202900000.00")

    def test_the_page_links_to_its_csv_with_its_filters(self):
        response = self.client.get(
            reverse("grants:agreement-list"), {"q": "bulk", "page": 2}
        )
        self.assertContains(response, "format=csv")
        self.assertContains(response, "q=bulk&amp;format=csv")

    def test_filters_that_do_not_validate_get_a_clear_400(self):
        response = self.client.get(
            reverse("grants:agreement-list"), {"amount_min": "abc", "format": "csv"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("amount_min", response.content.decode())

    def test_staff_download_the_public_rows_only(self):
        self.client.force_login(make_staff_user())
        url = reverse("grants:agreement-list")
        self.assertContains(self.client.get(url, {"q": "draft"}), "DRAFT-1")
        rows = read_csv(self.client.get(url, {"q": "draft", "format": "csv"}))
        self.assertEqual(rows, [])
