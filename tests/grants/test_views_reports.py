"""The `?format=csv` hook, on a list view built the way the public list pages are."""

import csv
import io

import django_filters
import django_tables2 as tables
from django_filters.views import FilterView

from django.template.loader import render_to_string
from django.test import RequestFactory, TestCase, override_settings
from django.urls import path, reverse

from grants.models import Agreement, PublicationState
from grants.views_reports import CSVExportMixin
from tests.factories import make_agreement


class AgreementFilter(django_filters.FilterSet):
    class Meta:
        model = Agreement
        fields = ["currency"]


class AgreementTable(tables.Table):
    class Meta:
        model = Agreement
        fields = ["code", "title", "currency"]


class AgreementListView(CSVExportMixin, tables.SingleTableMixin, FilterView):
    model = Agreement
    table_class = AgreementTable
    filterset_class = AgreementFilter
    table_pagination = {"per_page": 2}
    template_name = "django_tables2/bootstrap5.html"
    csv_report_name = "agreements"

    def get_queryset(self):
        return Agreement.objects.public().order_by("code", "pk")


urlpatterns = [path("agreements/", AgreementListView.as_view())]


@override_settings(ROOT_URLCONF=__name__)
class CSVExportMixinTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        for code, currency in [("A-1", "USD"), ("A-2", "EUR"), ("A-3", "USD")]:
            make_agreement(code=code, currency=currency)
        make_agreement(code="A-4", currency="USD", publication=PublicationState.DRAFT)
        for number in range(5):
            make_agreement(code=f"B-{number}", currency="USD")

    def codes(self, query):
        response = self.client.get("/agreements/", query)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        data = b"".join(response.streaming_content).decode("utf-8-sig")
        return [row["code"] for row in csv.DictReader(io.StringIO(data, newline=""))]

    def test_whole_filtered_set_not_only_the_page(self):
        self.assertEqual(
            self.codes({"format": "csv", "currency": "USD", "page": 2}),
            ["A-1", "A-3", "B-0", "B-1", "B-2", "B-3", "B-4"],
        )

    def test_table_sorting_is_kept(self):
        self.assertEqual(
            self.codes({"format": "csv", "currency": "EUR", "sort": "-code"}), ["A-2"]
        )
        self.assertEqual(
            self.codes({"format": "csv", "sort": "-code"})[:3], ["B-4", "B-3", "B-2"]
        )


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
