import csv
import datetime
import io
from decimal import Decimal
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from grants.csv_export import csv_response
from grants.models import PublicationState
from grants.reports import get_reports
from indicators.models import Aggregation, Measure, Result, ResultStatus, Unit
from indicators.reports import INDICATORS, RESULTS
from tests.factories import (
    make_agreement,
    make_indicator,
    make_program_area,
    make_result,
    make_source_document,
)

BOM = b"\xef\xbb\xbf"


def parse(response) -> list[dict]:
    data = b"".join(response.streaming_content)
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode(), newline="")))


class ResultReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        area = make_program_area(code="natural-resources", name="Recursos naturales")
        cls.indicator = make_indicator(
            code="forest-area",
            name="Superficie de bosque",
            program_area=area,
            unit=Unit.HECTARES,
            measure=Measure.NUMBER,
            aggregation=Aggregation.LATEST,
        )
        agreement = make_agreement(code="527-0427")
        source = make_source_document(title="Peru News", url="https://example.org/n")
        make_result(
            indicator=cls.indicator,
            agreement=agreement,
            period_start=datetime.date(2022, 1, 1),
            period_end=datetime.date(2022, 12, 31),
            baseline_value=Decimal("1000.00"),
            baseline_year=2017,
            target_value=Decimal("3.00"),
            actual_value=Decimal("1.00"),
            location="Región Ñuñoa",
            disaggregation="=mujeres",
            source=source,
        )
        make_result(
            indicator=cls.indicator,
            period_start=datetime.date(2021, 1, 1),
            period_end=datetime.date(2021, 12, 31),
            actual_value=Decimal("-2000000.00"),
            target_value=Decimal("0.00"),
        )
        # None of these is public.
        make_result(
            indicator=cls.indicator, status=ResultStatus.SUBMITTED, location="a"
        )
        make_result(indicator=cls.indicator, status=ResultStatus.DRAFT, location="b")
        make_result(
            indicator=cls.indicator,
            agreement=make_agreement(publication=PublicationState.DRAFT),
        )
        make_result(indicator=make_indicator(publication=PublicationState.DRAFT))

    def download(self):
        return parse(self.client.get(reverse("grants:report-csv", args=["results"])))

    def test_header_and_exactly_the_public_rows_in_order(self):
        rows = self.download()
        self.assertEqual(list(rows[0]), RESULTS.header())
        self.assertEqual(
            [(r["period_start"], r["agreement_code"]) for r in rows],
            [("2021-01-01", ""), ("2022-01-01", "527-0427")],
        )

    def test_columns_carry_codes_labels_values_and_percent_of_target(self):
        row = self.download()[1]
        expected = {
            "indicator_code": "forest-area",
            "indicator_en": "Superficie de bosque",
            "unit": "hectares",
            "measure": "number",
            "aggregation": "latest",
            "program_area_code": "natural-resources",
            "program_area_en": "Recursos naturales",
            "agreement_code": "527-0427",
            "period_start": "2022-01-01",
            "period_end": "2022-12-31",
            "baseline_value": "1000.00",
            "baseline_year": "2017",
            "target_value": "3.00",
            "actual_value": "1.00",
            "percent_of_target": "33.33",
            "location": "Región Ñuñoa",
            "disaggregation_en": "'=mujeres",
            "source_en": "Peru News",
            "source_url": "https://example.org/n",
        }
        self.assertEqual({key: row[key] for key in expected}, expected)

    def test_no_target_or_zero_target_leaves_percent_empty_and_numbers_alone(self):
        row = self.download()[0]
        self.assertEqual(row["percent_of_target"], "")
        self.assertEqual(row["target_value"], "0.00")
        self.assertEqual(row["actual_value"], "-2000000.00")
        self.assertEqual(row["baseline_value"], "")

    def test_filtered_queryset_gives_exactly_the_filtered_rows(self):
        queryset = Result.objects.public().filter(agreement__isnull=False)
        rows = parse(csv_response(RESULTS, queryset))
        self.assertEqual([r["agreement_code"] for r in rows], ["527-0427"])

    def test_indicators_report_counts_public_results(self):
        rows = parse(self.client.get(reverse("grants:report-csv", args=["indicators"])))
        self.assertEqual(list(rows[0]), INDICATORS.header())
        self.assertEqual(
            [(r["code"], r["results"], r["aggregation"]) for r in rows],
            [("forest-area", "2", "latest")],
        )


class ResultAdminExportTests(TestCase):
    def test_action_exports_selected_results_with_drafts_marked(self):
        staff = get_user_model().objects.create_superuser("boss", "b@example.org", "x")
        indicator = make_indicator(code="people-trained")
        approved = make_result(indicator=indicator, location="Cusco")
        draft = make_result(indicator=indicator, status=ResultStatus.DRAFT)
        make_result(indicator=indicator, location="not selected")
        self.client.force_login(staff)
        response = self.client.post(
            reverse("admin:indicators_result_changelist"),
            {
                "action": "export_selected_csv",
                "_selected_action": [approved.pk, draft.pk],
            },
        )
        rows = parse(response)
        self.assertEqual(list(rows[0]), RESULTS.header(include_drafts=True))
        self.assertEqual(
            sorted((r["location"], r["status"], r["is_public"]) for r in rows),
            [("", "draft", "false"), ("Cusco", "approved", "true")],
        )


class EveryReportOnDemoDataTests(TestCase):
    """All six reports over generated data with drafts: exactly the public rows,
    unfiltered and filtered."""

    KEYS = {
        "agreements": (["code"], ["code"]),
        "amendments": (
            ["agreement_code", "sequence"],
            ["agreement__code", "sequence"],
        ),
        "disbursements": (
            ["agreement_code", "kind", "date", "amount"],
            ["agreement__code", "kind", "date", "amount"],
        ),
        "program-areas": (["code"], ["code"]),
        "indicators": (["code"], ["code"]),
        "results": (
            ["indicator_code", "agreement_code", "period_start", "location", "disaggregation_en"],
            ["indicator__code", "agreement__code", "period_start", "location", "disaggregation_en"],
        ),
    }  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        call_command(
            "generate_demo", agreements=15, results=400, seed=5, stdout=StringIO()
        )

    def keys_in_csv(self, rows, columns):
        return sorted(tuple(row[column] for column in columns) for row in rows)

    def keys_in_database(self, queryset, paths):
        return sorted(
            tuple("" if value is None else str(value) for value in values)
            for values in queryset.values_list(*paths)
        )

    def test_unfiltered_and_filtered_rows_are_exactly_the_public_ones(self):
        for report in get_reports():
            csv_columns, paths = self.KEYS[report.name]
            public = report.public_queryset()
            if report.name != "program-areas":  # reference data, never drafts
                self.assertLess(public.count(), report.model.objects.count())
            with self.subTest(report=report.name, filtered=False):
                rows = parse(
                    self.client.get(reverse("grants:report-csv", args=[report.name]))
                )
                self.assertEqual(len(rows), public.count())
                self.assertEqual(
                    self.keys_in_csv(rows, csv_columns),
                    self.keys_in_database(public, paths),
                )
            with self.subTest(report=report.name, filtered=True):
                every_other = list(public.values_list("pk", flat=True))[::2]
                filtered = public.filter(pk__in=every_other)
                rows = parse(csv_response(report, filtered))
                self.assertEqual(len(rows), len(every_other))
                self.assertEqual(
                    self.keys_in_csv(rows, csv_columns),
                    self.keys_in_database(filtered, paths),
                )
