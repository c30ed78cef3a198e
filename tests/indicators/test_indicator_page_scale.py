"""An indicator with more results than its page shows: totals over all of them, the
latest ones listed, a link to the rest."""

import datetime
from decimal import Decimal
from unittest import mock

from django.core.cache import cache
from django.test import TestCase, override_settings

from indicators.models import Aggregation, ResultStatus
from tests.factories import make_indicator, make_result, make_staff_user


def year(y):
    return {
        "period_start": datetime.date(y, 1, 1),
        "period_end": datetime.date(y, 12, 31),
    }


class IndicatorPageAtScaleTests(TestCase):
    def make(self, aggregation):
        indicator = make_indicator(code=f"ind-{aggregation}", aggregation=aggregation)
        for y in (2020, 2021, 2022):
            make_result(indicator=indicator, actual_value=Decimal(y - 2010), **year(y))
        make_result(
            indicator=indicator,
            actual_value=Decimal("1000"),
            disaggregation="women",
            **year(2022),
        )
        make_result(
            indicator=indicator,
            actual_value=Decimal("5000"),
            status=ResultStatus.SUBMITTED,
            **year(2023),
        )
        return indicator

    def get(self, indicator):
        with mock.patch("indicators.views.INDICATOR_RESULTS_SHOWN", 2):
            return self.client.get(indicator.get_absolute_url())

    def test_the_sum_counts_every_result_not_only_those_shown(self):
        response = self.get(self.make(Aggregation.SUM))
        self.assertEqual(response.context["total"], Decimal("33"))
        self.assertEqual(response.context["result_count"], 4)
        shown = [
            (r.period_start.year, r.disaggregation) for r in response.context["results"]
        ]
        self.assertEqual(shown, [(2022, ""), (2022, "women")])
        self.assertContains(response, "The latest 2 of 4 results.")
        self.assertContains(response, "/results/?indicator=ind-sum")

    def test_latest_takes_the_last_whole_period(self):
        response = self.get(self.make(Aggregation.LATEST))
        self.assertEqual(response.context["total"], Decimal("12"))
        self.assertEqual(
            response.context["latest_period_end"], datetime.date(2022, 12, 31)
        )

    def test_not_summable_has_no_total(self):
        response = self.get(self.make(Aggregation.NONE))
        self.assertIsNone(response.context["total"])
        self.assertFalse(response.context["has_targets"])


@override_settings(PUBLIC_VALUE_CACHE_SECONDS=300)
class RememberedSummaryTests(TestCase):
    """The totals scan every result: remembered until the next write, and never shared
    between the public and a signed-in official (who also sees drafts)."""

    def setUp(self):
        cache.clear()
        self.indicator = make_indicator(code="ind-remembered")
        make_result(indicator=self.indicator, actual_value=Decimal("5"), **year(2021))
        make_result(
            indicator=self.indicator,
            actual_value=Decimal("7"),
            status=ResultStatus.SUBMITTED,
            **year(2022),
        )

    def total(self):
        return self.client.get(self.indicator.get_absolute_url()).context["total"]

    def test_remembered_until_the_next_write(self):
        self.assertEqual(self.total(), Decimal("5"))
        make_result(indicator=self.indicator, actual_value=Decimal("1"), **year(2023))
        self.assertEqual(self.total(), Decimal("6"))

    def test_the_staff_total_never_reaches_the_public(self):
        self.client.force_login(make_staff_user())
        self.assertEqual(self.total(), Decimal("12"))
        self.client.logout()
        self.assertEqual(self.total(), Decimal("5"))
        self.client.force_login(make_staff_user())
        self.assertEqual(self.total(), Decimal("12"))
