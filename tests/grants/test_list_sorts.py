"""Sorts no index serves are offered while few enough rows match."""

import csv
import io
from decimal import Decimal
from unittest import mock

from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.models import Agreement
from grants.tables import AgreementTable, AmendmentTable
from indicators.tables import ResultTable
from tests.factories import make_agreement, make_amendment, make_organization


def codes(response):
    return [row.record.code for row in response.context["table"].paginated_rows]


class CostlySortTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        zeta = make_organization(name="Zeta Fund")
        alpha = make_organization(name="Alpha Agency")
        make_agreement(code="AA-1", title="Water", donor=zeta)
        make_agreement(code="BB-1", title="Forests", donor=alpha)
        cls.url = reverse("grants:agreement-list")

    def test_offered_while_few_rows_match(self):
        response = self.client.get(self.url, {"sort": "donor"})
        self.assertEqual(codes(response), ["BB-1", "AA-1"])
        self.assertEqual(response.context["page_notice"], "")

    @mock.patch("grants.listing.COSTLY_SORT_MAX_ROWS", 1)
    def test_refused_with_a_notice_past_the_limit(self):
        response = self.client.get(self.url, {"sort": "-donor"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(codes(response), ["AA-1", "BB-1"])
        self.assertContains(response, "Sorting by “Donor” is offered once")
        self.assertContains(response, "(2 match now)")
        self.assertContains(response, "data-sort-refused")
        self.assertNotContains(response, 'aria-sort="descending"')

    @mock.patch("grants.listing.COSTLY_SORT_MAX_ROWS", 1)
    def test_an_indexed_sort_is_always_offered(self):
        response = self.client.get(self.url, {"sort": "title"})
        self.assertEqual(codes(response), ["BB-1", "AA-1"])
        self.assertEqual(response.context["page_notice"], "")

    @mock.patch("grants.listing.COSTLY_SORT_MAX_ROWS", 1)
    def test_a_filter_that_narrows_enough_brings_it_back(self):
        response = self.client.get(self.url, {"sort": "-donor", "q": "forests"})
        self.assertEqual(codes(response), ["BB-1"])
        self.assertEqual(response.context["page_notice"], "")

    @mock.patch("grants.listing.COSTLY_SORT_MAX_ROWS", 1)
    def test_the_csv_download_keeps_the_sort(self):
        response = self.client.get(self.url, {"sort": "donor", "format": "csv"})
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        self.assertEqual([row[0] for row in rows[1:]], ["BB-1", "AA-1"])

    @mock.patch("grants.listing.COSTLY_SORT_MAX_ROWS", 1)
    def test_unknown_or_unsortable_columns_are_not_named(self):
        for sort in ("nonsense", "-", "publication_state", "edit,title"):
            with self.subTest(sort=sort):
                response = self.client.get(self.url, {"sort": sort})
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, "is offered once")

    def test_declared_columns_exist_and_sort(self):
        for table in (AgreementTable, AmendmentTable, ResultTable):
            for name in table.indexed_sorts:
                with self.subTest(table=table.__name__, column=name):
                    self.assertIn(name, table.base_columns)
                    self.assertIsNot(table.base_columns[name].orderable, False)


# Remembered values on, whole pages not cached: each view computes its page.
@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0, PUBLIC_VALUE_CACHE_SECONDS=300)
class RememberedOrderTests(TestCase):
    """A sort no index serves: its first keys are remembered until the next write,
    and the pages read from them are the pages the database would give."""

    @classmethod
    def setUpTestData(cls):
        for n, name in enumerate(["D300", "D100", "D500", "D200", "D400"]):
            make_agreement(code=f"AG-{n}", donor=make_organization(name=name))
        cls.url = reverse("grants:agreement-list")

    def setUp(self):
        cache.clear()

    def page(self, **params):
        return codes(self.client.get(self.url, {"sort": "-donor", **params}))

    def live(self, **params):
        with override_settings(PUBLIC_VALUE_CACHE_SECONDS=0):
            return self.page(**params)

    def test_pages_are_those_of_the_live_sort(self):
        for page in (1, 2, 3):
            with self.subTest(page=page):
                self.assertEqual(
                    self.page(per_page=2, page=page), self.live(per_page=2, page=page)
                )
        self.assertEqual(self.page(per_page=2), ["AG-2", "AG-4"])

    def test_the_second_view_does_not_sort_again(self):
        self.page()
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.page(), ["AG-2", "AG-4", "AG-0", "AG-3", "AG-1"])
        # The public version, then the page's rows by their remembered keys.
        self.assertEqual(len(queries), 2)
        self.assertIn("grants_publicversion", queries[0]["sql"])
        self.assertIn("IN (", queries[1]["sql"])

    def test_pages_past_the_remembered_keys_sort_live(self):
        with mock.patch("grants.listing.REMEMBERED_ORDER_ROWS", 2):
            self.assertEqual(self.page(per_page=2, page=2), ["AG-0", "AG-3"])
            self.assertEqual(self.page(per_page=2, page=3), ["AG-1"])

    def test_a_page_running_past_the_remembered_keys_sorts_live(self):
        with mock.patch("grants.listing.REMEMBERED_ORDER_ROWS", 3):
            self.assertEqual(self.page(per_page=2, page=1), ["AG-2", "AG-4"])
            self.assertEqual(self.page(per_page=2, page=2), ["AG-0", "AG-3"])

    def test_a_write_gives_a_new_order(self):
        self.assertEqual(self.page(per_page=2), ["AG-2", "AG-4"])
        donor = Agreement.objects.get(code="AG-1").donor
        donor.name = "D999"
        donor.save()
        self.assertEqual(self.page(per_page=2), ["AG-1", "AG-2"])
        self.assertEqual(self.page(per_page=2), self.live(per_page=2))


class TotalAcrossCurrenciesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        for code, currency, amount in [
            ("WON-1", "KRW", "300000000000"),
            ("USD-1", "USD", "200000000"),
            ("USD-2", "USD", "5000"),
        ]:
            agreement = make_agreement(code=code, currency=currency)
            make_amendment(agreement=agreement, amount=Decimal(amount))
        cls.url = reverse("grants:agreement-list")

    def test_sorting_totals_of_several_currencies_says_they_are_not_converted(self):
        response = self.client.get(self.url, {"sort": "-total"})
        self.assertEqual(codes(response), ["WON-1", "USD-1", "USD-2"])
        self.assertContains(response, "are not converted")
        self.assertNotContains(response, "data-sort-refused")

    def test_one_currency_or_another_sort_says_nothing(self):
        for params in ({"sort": "-total", "currency": "USD"}, {"sort": "code"}):
            with self.subTest(params=params):
                response = self.client.get(self.url, params)
                self.assertNotContains(response, "are not converted")

    def test_in_spanish(self):
        response = self.client.get(
            self.url, {"sort": "total"}, headers={"accept-language": "es"}
        )
        self.assertContains(response, "no se convierten")
