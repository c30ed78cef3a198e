"""The API's OpenAPI schema: what it documents, and schemathesis fuzzing every
operation against it (stateless, a bounded number of examples per operation)."""

import re

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from django.test import TestCase
from django.urls import reverse

from grants.api.core import get_endpoints
from grants.reports import AGREEMENTS
from indicators.reports import RESULTS
from indicators.tables import ResultTable

from .api_support import make_record_with_drafts

# Examples per operation: enough to reach every parameter, few enough for `make test`
# (12 operations, about two seconds in all).
EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class SchemaTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def schema(self):
        response = self.client.get(reverse("api:schema"))
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_every_endpoint_has_a_list_and_a_detail_with_an_example(self):
        paths = self.schema()["paths"]
        for endpoint in get_endpoints():
            with self.subTest(endpoint=endpoint.name):
                listed = paths[f"/api/v1/{endpoint.name}/"]["get"]
                self.assertIn(f"GET /api/v1/{endpoint.name}/", listed["description"])
                self.assertEqual(set(listed["responses"]), {"200", "400", "429"})
                details = [
                    path
                    for path in paths
                    if path.startswith(f"/api/v1/{endpoint.name}/{{")
                ]
                self.assertEqual(len(details), 1)
                detail = paths[details[0]]["get"]
                self.assertEqual(set(detail["responses"]), {"200", "404", "429"})

    def test_field_descriptions_are_the_data_dictionarys(self):
        """Except where JSON gives a column another shape (a list for the CSV's
        semicolon-joined codes), which says so in its own words."""
        components = self.schema()["components"]["schemas"]
        endpoints = {endpoint.name: endpoint for endpoint in get_endpoints()}
        for report in (AGREEMENTS, RESULTS):
            properties = components[report.title]["properties"]
            own_words = endpoints[report.name].fields
            for column in report.columns:
                with self.subTest(report=report.name, column=column.name):
                    if column.text_of is not None:
                        # A text in every language: {"en": ..., "es": ...}, each
                        # described as its CSV column is.
                        texts = properties[column.text_of]["properties"]
                        description = texts[column.language]["description"]
                        self.assertEqual(description, str(column.description))
                        continue
                    description = properties[column.name]["description"]
                    if column.name in own_words:
                        self.assertTrue(description)
                        continue
                    self.assertTrue(description.startswith(str(column.description)))

    def test_filters_and_sorts_are_documented(self):
        parameters = {
            parameter["name"]: parameter
            for parameter in self.schema()["paths"]["/api/v1/results/"]["get"][
                "parameters"
            ]
        }
        self.assertLessEqual(
            {"q", "indicator", "agreement", "period_year", "location"}, set(parameters)
        )
        self.assertEqual(parameters["page_size"]["schema"]["maximum"], 100)
        # Every sortable column of the results list, each served by an index.
        columns = [
            name
            for name, column in ResultTable.base_columns.items()
            if column.orderable is not False and name not in ResultTable.staff_only
        ]
        self.assertEqual(
            sorted(parameters["sort"]["schema"]["enum"]),
            sorted(name for column in columns for name in (column, f"-{column}")),
        )

    def test_the_schema_is_served_in_the_visitors_language(self):
        spanish = self.client.get(
            reverse("api:schema"), headers={"accept-language": "es"}
        )
        self.assertIn("Convenios", spanish.content.decode())

    def test_schemathesis_finds_no_server_error_and_no_schema_violation(self):
        schema = schemathesis.openapi.from_dict(self.schema())
        operations = [result.ok() for result in schema.get_all_operations()]
        self.assertEqual(len(operations), 2 * len(get_endpoints()))
        sent = 0
        for operation in operations:
            with self.subTest(operation=operation.label):

                @settings(
                    max_examples=EXAMPLES_PER_OPERATION,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy())
                def check(case):
                    nonlocal sent
                    case.validate_response(self.call(case), checks=CHECKS)
                    sent += 1

                check()
        self.assertGreaterEqual(sent, len(operations) * 5)

    def call(self, case):
        """Send the case through Django's test client (inside the test's
        transaction) and give schemathesis the answer as it would have received it."""
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        prepared = requests.Request(
            method=kwargs["method"],
            url=kwargs["url"],
            params=kwargs.get("params"),
            headers=kwargs.get("headers"),
        ).prepare()
        response = self.client.generic(kwargs["method"], prepared.path_url)
        return schemathesis.Response(
            status_code=response.status_code,
            headers={name.lower(): [value] for name, value in response.items()},
            content=response.content,
            request=prepared,
            elapsed=0.0,
            verify=False,
        )


class DocumentationPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def test_the_page_names_every_endpoint_with_an_example_and_runs_no_inline_script(
        self,
    ):
        response = self.client.get(reverse("api:docs"))
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        for endpoint in get_endpoints():
            self.assertIn(f'href="/api/v1/{endpoint.name}/', html)
        self.assertIn(reverse("api:schema"), html)
        scripts = re.findall(r"<script\b[^>]*>", html)
        self.assertTrue(all(" src=" in tag for tag in scripts), scripts)
        self.assertIn("api/docs.js", " ".join(scripts))
        self.assertNotIn("<style", html)
        self.assertNotIn(" style=", html)
        self.assertIn("swagger-ui-dist/swagger-ui-bundle.js", html)
        self.assertNotIn("//cdn", html)
        self.assertIn("script-src 'self'", response["Content-Security-Policy"])

    def test_the_footer_and_the_reports_page_link_to_it(self):
        docs = reverse("api:docs")
        for page in (reverse("grants:home"), reverse("grants:reports")):
            with self.subTest(page=page):
                self.assertContains(self.client.get(page), f'href="{docs}"')


class SchemaLeavesThePagesAloneTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.record = make_record_with_drafts()

    def test_the_list_pages_filters_still_work_after_the_schema_is_generated(self):
        """Describing the filters once must not freeze the choices the pages set per
        request (donors, currencies, program areas) to none."""
        self.client.get(reverse("api:schema"))
        donor = self.record["public"].donor_id
        for path, params in [
            (reverse("grants:agreement-list"), {"donor": donor}),
            (reverse("grants:agreement-list"), {"currency": "EUR"}),
            (reverse("grants:agreement-list"), {"program_area": "public-area"}),
            (reverse("api:agreements-list"), {"donor": donor}),
        ]:
            with self.subTest(path=path, params=params):
                response = self.client.get(path, params)
                self.assertEqual(response.status_code, 200)
                count = (
                    response.json()["count"]
                    if path.startswith("/api/")
                    else response.context["matching_count"]
                )
                self.assertEqual(count, 1)
