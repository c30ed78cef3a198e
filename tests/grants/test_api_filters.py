"""The API's filters are the list pages' filters: for the same query string, a list
and its page count the same rows (one FilterSet, one gate)."""

from django.test import TestCase
from django.urls import reverse

from grants.api.core import get_endpoints

from .api_support import make_record_with_drafts

# Endpoint -> its list page.
LIST_PAGES = {
    "agreements": "grants:agreement-list",
    "amendments": "grants:amendment-list",
    "disbursements": "grants:disbursement-list",
    "program-areas": "grants:programarea-list",
    "indicators": "indicators:indicator-list",
    "results": "indicators:result-list",
}

QUERIES = {
    "agreements": [
        "",
        "q=public",
        "currency=EUR",
        "currency=JPY",  # only a draft's: not a choice, on the page as here
        "program_area=public-area",
        "amount_min=1000",
        "amount_max=300",
        "active_in=2022",
        "kind=grant&status=active",
        "q=second&currency=EUR",
    ],
    "amendments": [
        "",
        "agreement=PUBLIC-1",
        "agreement=public-1",
        "agreement=DRAFT-1",
        "signed_year=2023",
        "amount_min=400&amount_max=600",
        "reconciliation=yes",
        "reconciliation=none",
        "q=first",
    ],
    "disbursements": [
        "",
        "agreement=PUBLIC-1",
        "agreement=DRAFT-1",
        "kind=disbursement",
        "kind=expenditure",
        "year=2023",
        "amount_min=100",
        "amount_max=-1",
    ],
    "program-areas": ["", "q=public", "q=nothing-like-it"],
    "indicators": ["", "unit=people", "program_area=public-area", "q=indicator"],
    "results": [
        "",
        "indicator=public-indicator",
        "agreement=PUBLIC-1",
        "agreement=DRAFT-1",
        "period_year=2021",
        "location=lima",
        "program_area=public-area",
        "q=cusco",
    ],
}


class FiltersAgreeWithListPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def test_every_list_endpoint_has_a_page_and_queries_here(self):
        names = {endpoint.name for endpoint in get_endpoints()}
        # Organizations have no list page of their own (they are on the agreements').
        self.assertEqual(names - {"organizations"}, set(LIST_PAGES))
        self.assertEqual(set(QUERIES), set(LIST_PAGES))

    def test_the_same_query_string_counts_the_same_rows(self):
        for name, queries in QUERIES.items():
            for query in queries:
                with self.subTest(endpoint=name, query=query):
                    page = self.client.get(f"{reverse(LIST_PAGES[name])}?{query}")
                    api = self.client.get(f"{reverse(f'api:{name}-list')}?{query}")
                    self.assertEqual(page.status_code, 200)
                    if api.status_code == 400:
                        # A value the filter refuses: the page says so and lists
                        # nothing; the API names the same parameters.
                        errors = page.context["filter"].errors
                        self.assertEqual(set(api.json()), set(errors))
                        self.assertEqual(page.context["matching_count"], 0)
                        continue
                    self.assertEqual(api.status_code, 200, api.content)
                    self.assertEqual(
                        api.json()["count"], page.context["matching_count"]
                    )

    def test_some_queries_narrow(self):
        """So that the comparison above is not only of empty lists."""
        counts = {
            query: self.client.get(f"{reverse('api:results-list')}?{query}").json()[
                "count"
            ]
            for query in QUERIES["results"]
        }
        self.assertEqual(counts[""], 2)
        self.assertEqual(counts["period_year=2021"], 1)
        self.assertEqual(counts["agreement=DRAFT-1"], 0)
