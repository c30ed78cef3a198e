"""Periods with a target and no actual value yet (issue 18): stored as results that are
not reported, shown as such, counted in no total, imported from IATI files and exported
back as targets."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.charts import Bar, bar_chart
from indicators.iati.codelists import schema_errors
from indicators.iati.importer import import_files
from indicators.models import Aggregation, Result
from tests.factories import make_indicator, make_result
from tests.grants.test_csv_export import content, parse
from tests.indicators.iati_rules import ruleset_errors
from tests.indicators.test_iati_import import REPORTING, publish_everything
from tests.indicators.test_iati_lossless import activity, file_of, only


def year(value):
    return {
        "period_start": datetime.date(value, 1, 1),
        "period_end": datetime.date(value, 12, 31),
    }


class TheRecordTests(TestCase):
    def test_a_period_needs_an_actual_value_or_a_target(self):
        indicator = make_indicator()
        row = Result(indicator=indicator, actual_value=None, **year(2025))
        with self.assertRaises(ValidationError) as raised:
            row.full_clean()
        self.assertIn(
            "Give the actual value, or the target of a period not reported yet.",
            raised.exception.messages,
        )
        row.target_value = Decimal("10")
        row.full_clean()

    def test_a_target_alone_is_not_reported_and_has_no_share_of_target(self):
        row = make_result(actual_value=None, target_value=Decimal("10"))
        self.assertFalse(row.is_reported)
        self.assertIsNone(row.percent_of_target)
        self.assertEqual(list(Result.objects.reported()), [])


class PagesTests(TestCase):
    def make(self, aggregation):
        indicator = make_indicator(code=f"ind-{aggregation}", aggregation=aggregation)
        make_result(indicator=indicator, actual_value=Decimal("7"), **year(2023))
        make_result(indicator=indicator, actual_value=Decimal("5"), **year(2024))
        # The period still to come: its target only.
        make_result(
            indicator=indicator,
            actual_value=None,
            target_value=Decimal("90"),
            **year(2026),
        )
        return indicator

    def test_latest_value_is_the_last_reported_period_not_the_planned_one(self):
        response = self.client.get(self.make(Aggregation.LATEST).get_absolute_url())
        self.assertEqual(response.context["total"], Decimal("5"))
        self.assertEqual(
            response.context["latest_period_end"], datetime.date(2024, 12, 31)
        )

    def test_a_sum_leaves_the_target_out_and_the_page_says_not_reported(self):
        response = self.client.get(self.make(Aggregation.SUM).get_absolute_url())
        self.assertEqual(response.context["total"], Decimal("12"))
        self.assertEqual(response.context["result_count"], 3)
        self.assertTrue(response.context["has_targets"])
        self.assertContains(response, "not reported yet", count=2)  # table, chart

    def test_spanish_pages_say_it_in_spanish(self):
        indicator = self.make(Aggregation.SUM)
        response = self.client.get(
            indicator.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es"
        )
        self.assertContains(response, "aún no informado")

    def test_the_results_list_shows_the_planned_period(self):
        indicator = self.make(Aggregation.SUM)
        response = self.client.get(
            reverse("indicators:result-list"),
            {"indicator": indicator.code, "sort": "actual_value"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, ">not reported yet<", count=1)

    def test_the_reported_filter_tells_planned_periods_from_reported_ones(self):
        indicator = self.make(Aggregation.SUM)
        url = reverse("indicators:result-list")
        for value, years in (("true", [2024, 2023]), ("false", [2026]), ("", None)):
            with self.subTest(reported=value):
                response = self.client.get(
                    url, {"indicator": indicator.code, "reported": value}
                )
                shown = [
                    row.record.period_start.year
                    for row in response.context["table"].paginated_rows
                ]
                self.assertEqual(shown, years or [2026, 2024, 2023])

    def test_the_csv_has_an_empty_actual_value(self):
        indicator = self.make(Aggregation.SUM)
        response = self.client.get(
            reverse("indicators:result-list"),
            {"indicator": indicator.code, "format": "csv"},
        )
        rows = parse(content(response))
        planned = next(row for row in rows if row["period_start"] == "2026-01-01")
        self.assertEqual(planned["actual_value"], "")
        self.assertEqual(Decimal(planned["target_value"]), Decimal("90"))
        self.assertEqual(planned["percent_of_target"], "")
        self.assertEqual(len(rows), 3)

    def test_a_chart_bar_without_a_value_draws_nothing_and_says_why(self):
        chart = bar_chart(
            [
                Bar(label="2025", value=Decimal("4"), text="4"),
                Bar(label="2026", value=None, text="not reported yet", marker=9),
            ],
            chart_id="c",
            title="t",
            description="d",
        )
        planned = chart["rows"][1]
        self.assertIsNone(planned["bar_w"])
        self.assertEqual(planned["text"], "not reported yet")
        self.assertFalse(planned["value_inside"])
        self.assertEqual(planned["marker_x"], "270.0")


PLANNED = activity(
    """
    <participating-org ref="XM-DAC-928" type="40" role="1"><narrative>World Health Organization</narrative></participating-org>
    <recipient-country code="BR" percentage="100"/>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2022-02-01"/><value value-date="2022-02-01">1000</value></transaction>
    <result type="1" aggregation-status="1">
      <title><narrative>Clinics equipped</narrative></title>
      <indicator measure="1" ascending="1">
        <title><narrative>Clinics equipped</narrative></title>
        <period>
          <period-start iso-date="2025-01-01"/><period-end iso-date="2025-12-31"/>
          <target value="40"><comment><narrative>Work plan 2025</narrative></comment></target>
          <target value="25"><dimension name="sex" value="female"/></target>
        </period>
        <period>
          <period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/>
          <target value="30"/>
          <actual value="n/a"/>
          <actual value="12"><dimension name="sex" value="female"/></actual>
        </period>
      </indicator>
    </result>"""
)


@override_settings(**REPORTING)
class IatiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.report = only(import_files([("planned.xml", file_of(PLANNED))]))

    def rows(self):
        return sorted(
            (r.period_start.year, r.disaggregation, r.target_value, r.actual_value)
            for r in Result.objects.all()
        )

    def test_targets_are_kept_as_planned_periods(self):
        self.assertEqual(
            self.rows(),
            [
                # A group's actual is not measured against the whole's target, and
                # the whole's actual that is not a number leaves its target alone.
                (2024, "", Decimal("30"), None),
                (2024, "sex: female", None, Decimal("12")),
                (2025, "", Decimal("40"), None),
                (2025, "sex: female", Decimal("25"), None),
            ],
        )
        self.assertEqual(
            Result.objects.get(period_start__year=2025, disaggregation="").comment,
            "Work plan 2025",
        )
        [activity_report] = self.report.activities
        self.assertTrue(
            any("'n/a' is not a number" in note for note in activity_report.notes),
            activity_report.lines(),
        )

    def test_the_export_writes_them_as_targets_and_validates(self):
        publish_everything()
        document = self.client.get(reverse("iati:activities")).getvalue()
        self.assertEqual(schema_errors(document), [])
        self.assertEqual(ruleset_errors(document), [])
        text = document.decode()
        self.assertIn('<target value="40.00">', text)
        self.assertNotIn('<actual value=""', text)
        self.assertEqual(text.count("<actual "), 1)
