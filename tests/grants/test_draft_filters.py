"""Filters reveal nothing about drafts: on every filter of every public list, a draft's
code (or name, or id) finds exactly what an unknown one finds (issue 13, finding 3)."""

from decimal import Decimal

import django_filters

from django.test import TestCase
from django.urls import resolve

from grants.listing import ListPageView
from grants.models import PublicationState
from indicators.models import ResultStatus
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_program_area,
    make_result,
)
from tests.public_pages import public_urls

DRAFT = PublicationState.DRAFT


class DraftValuesInFiltersTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        area = make_program_area(code="public-area")
        draft_framework = make_agreement(code="DRAFT-FW", publication=DRAFT)
        hidden_donor = make_organization(name="Only in drafts")
        draft = make_agreement(
            code="DRAFT-AG", donor=hidden_donor, currency="JPY", publication=DRAFT
        )
        make_amendment(agreement=draft, amount=Decimal("5.00"))
        public = make_agreement(code="PUBLIC-AG", framework=draft_framework)
        public.program_areas.add(area)
        make_amendment(agreement=public)
        draft_indicator = make_indicator(
            code="draft-indicator", program_area=area, publication=DRAFT
        )
        indicator = make_indicator(code="public-indicator", program_area=area)
        make_result(indicator=indicator, agreement=public)
        make_result(indicator=draft_indicator, agreement=public)
        make_result(
            indicator=indicator,
            agreement=public,
            location="Submitted only",
            status=ResultStatus.SUBMITTED,
        )
        # What a visitor might guess, each with an unknown value of the same shape:
        # codes and names typed into a text filter, values of a choice.
        cls.typed = [
            ("DRAFT-FW", "NO-SUCH-FW"),
            ("draft-fw", "no-such-fw"),
            ("DRAFT-AG", "NO-SUCH-AG"),
            ("Only in drafts", "Nobody at all"),
        ]
        cls.chosen = [
            ("draft-indicator", "no-such-indicator"),
            (str(hidden_donor.pk), "999999"),
            ("JPY", "XYZ"),
        ]
        cls.lists = {
            url: resolve(url).func.view_class
            for url in public_urls().values()
            if issubclass(
                getattr(resolve(url).func, "view_class", object), ListPageView
            )
        }

    def answer(self, url, name, value):
        response = self.client.get(url, {name: value})
        self.assertLess(response.status_code, 500)
        context = response.context or {}
        form = context["filter"].form if "filter" in context else None
        return (
            response.status_code,
            context.get("matching_count"),
            sorted(form.errors) if form is not None else None,
        )

    def test_lists_were_found(self):
        self.assertEqual(len(self.lists), 6)

    def test_a_draft_value_answers_like_an_unknown_value_on_every_filter(self):
        checked = 0
        for url, view in self.lists.items():
            for name, filter_ in view.filterset_class.base_filters.items():
                if isinstance(filter_, django_filters.NumberFilter):
                    continue  # years and amounts name no record
                guesses = (
                    self.typed
                    if isinstance(filter_, django_filters.CharFilter)
                    else self.chosen
                )
                for draft_value, unknown_value in guesses:
                    with self.subTest(url=url, filter=name, value=draft_value):
                        self.assertEqual(
                            self.answer(url, name, draft_value),
                            self.answer(url, name, unknown_value),
                        )
                        checked += 1
        self.assertGreater(checked, 40)

    def test_the_framework_filter_still_finds_a_public_framework(self):
        framework = make_agreement(code="PUBLIC-FW")
        make_agreement(code="UNDER-PUBLIC", framework=framework)
        url = next(url for url in self.lists if url.startswith("/agreements/"))
        self.assertEqual(self.answer(url, "framework", "public-fw")[1], 1)
