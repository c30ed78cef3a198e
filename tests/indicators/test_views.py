import datetime
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from grants.models import Agreement, ProgramArea
from indicators.models import Aggregation, Indicator, Measure, Unit
from tests.factories import make_agreement, make_indicator, make_result


def rows(response):
    return [row.record for row in response.context["table"].paginated_rows]


class IndicatorListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())

    def codes(self, **params):
        response = self.client.get(reverse("indicators:indicator-list"), params)
        return sorted(indicator.code for indicator in rows(response))

    def test_each_filter_narrows(self):
        self.assertEqual(len(self.codes()), 9)
        self.assertEqual(
            self.codes(program_area="migrant-integration"),
            ["migrants-employability-business"],
        )
        self.assertEqual(self.codes(unit=Unit.HECTARES), ["forest-area-better-managed"])
        self.assertEqual(
            self.codes(measure=Measure.PERCENTAGE), ["rural-families-income-increase"]
        )
        self.assertEqual(self.codes(q="GREENHOUSE"), ["ghg-emissions-reduced"])


class ResultListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())
        cls.other = make_agreement(code="OTHER-2")
        cls.indicator = Indicator.objects.get(code="people-trained-natural-resources")
        cls.lima = make_result(
            indicator=cls.indicator,
            agreement=cls.other,
            period_start=datetime.date(2024, 1, 1),
            period_end=datetime.date(2024, 12, 31),
            location="Región Junín",
            actual_value=Decimal("12"),
        )

    def results(self, **params):
        response = self.client.get(reverse("indicators:result-list"), params)
        self.assertEqual(response.status_code, 200)
        return rows(response)

    def test_each_filter_narrows(self):
        self.assertEqual(len(self.results()), 10)
        by_indicator = self.results(indicator="people-trained-natural-resources")
        self.assertEqual(len(by_indicator), 2)
        self.assertEqual(len(self.results(program_area="natural-resources")), 4)
        self.assertEqual(self.results(agreement="OTHER-2"), [self.lima])
        self.assertEqual(len(self.results(agreement="527-0427")), 9)
        self.assertEqual(self.results(period_year="2024"), [self.lima])
        self.assertEqual(len(self.results(period_year="2020")), 5)
        self.assertEqual(len(self.results(period_year="2022")), 9)
        self.assertEqual(self.results(location="junin"), [self.lima])
        self.assertEqual(self.results(q="JUNÍN"), [self.lima])

    def test_newest_first_by_default_and_marked_on_the_period_column(self):
        response = self.client.get(reverse("indicators:result-list"))
        ends = [(r.period_end, r.period_start) for r in rows(response)]
        self.assertEqual(ends[0][0], datetime.date(2024, 12, 31))
        self.assertEqual(ends, sorted(ends, reverse=True))
        self.assertContains(response, 'aria-sort="descending"', count=1)
        # The header's link turns it round: oldest first.
        oldest = self.results(sort="period_start")
        self.assertEqual(oldest[-1], self.lima)
        self.assertEqual([(r.period_end, r.period_start) for r in oldest], sorted(ends))

    def test_the_same_period_keeps_a_stable_order(self):
        twin = make_result(
            indicator=self.indicator,
            period_start=self.lima.period_start,
            period_end=self.lima.period_end,
            location="Cusco",
        )
        # Equal periods: the latest entered first, on every page.
        self.assertEqual(self.results()[:2], [twin, self.lima])
        self.assertEqual(self.results(per_page=1, page=2), [self.lima])

    def test_values_are_written_for_the_language(self):
        response = self.client.get(
            reverse("indicators:result-list"), {"indicator": "ghg-emissions-reduced"}
        )
        self.assertContains(response, "17,100,000")
        response = self.client.get(
            reverse("indicators:result-list"),
            {"indicator": "ghg-emissions-reduced"},
            headers={"accept-language": "es"},
        )
        self.assertContains(response, "17\xa0100\xa0000")


class IndicatorDetailTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())
        cls.seed = Agreement.objects.get(code="527-0427")
        cls.area = ProgramArea.objects.get(code="natural-resources")

    def test_sum_of_periods_adds_periods_but_not_groups(self):
        indicator = make_indicator(program_area=self.area, aggregation=Aggregation.SUM)
        for year, value in [(2021, "10"), (2022, "15")]:
            make_result(
                indicator=indicator,
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                actual_value=Decimal(value),
                target_value=Decimal("20"),
            )
        make_result(
            indicator=indicator,
            period_start=datetime.date(2022, 1, 1),
            period_end=datetime.date(2022, 12, 31),
            actual_value=Decimal("7"),
            disaggregation="women",
        )
        response = self.client.get(indicator.get_absolute_url())
        self.assertEqual(response.context["total"], Decimal("25"))
        self.assertContains(response, "The sum of all periods")
        self.assertContains(response, "A vertical line marks the target.")
        self.assertContains(response, 'class="chart-marker"', count=2)
        self.assertContains(response, "75 %")

    def test_latest_value_takes_the_most_recent_period(self):
        indicator = make_indicator(
            program_area=self.area, aggregation=Aggregation.LATEST
        )
        for year, value in [(2021, "100"), (2022, "80")]:
            make_result(
                indicator=indicator,
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                actual_value=Decimal(value),
            )
        response = self.client.get(indicator.get_absolute_url())
        self.assertEqual(response.context["total"], Decimal("80"))
        self.assertContains(response, "The value of the most recent period")

    def test_a_percentage_is_never_summed(self):
        indicator = Indicator.objects.get(code="rural-families-income-increase")
        response = self.client.get(indicator.get_absolute_url())
        self.assertIsNone(response.context["total"])
        self.assertContains(response, "cannot be combined across periods")
        self.assertContains(response, "97.5")

    def test_the_aggregation_is_explained_in_plain_words(self):
        indicator = Indicator.objects.get(code="forest-area-better-managed")
        response = self.client.get(indicator.get_absolute_url())
        self.assertContains(response, "Each period restates the situation")
