"""The CSV download link the list pages include (the downloads themselves are tested
in test_list_csv.py and test_csv_export.py)."""

from django.template.loader import render_to_string
from django.test import RequestFactory, TestCase
from django.urls import reverse


class CSVDownloadLinkTests(TestCase):
    def test_link_keeps_filters_and_sorting_and_drops_the_page(self):
        request = RequestFactory().get(
            "/agreements/", {"currency": "USD", "sort": "-code", "page": "3"}
        )
        html = render_to_string(
            "grants/includes/csv_download_link.html", request=request
        )
        self.assertIn('href="?currency=USD&amp;sort=-code&amp;format=csv"', html)
        self.assertIn(f'href="{reverse("grants:reports")}"', html)
