import datetime
from decimal import Decimal
from unittest import mock

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.models import (
    Agreement,
    AgreementKind,
    ParticipantRole,
    Participation,
    PublicationState,
)
from tests.factories import (
    make_agreement,
    make_amendment,
    make_organization,
    make_program_area,
    make_result,
    make_source_document,
    make_staff_user,
)


class SeededAgreementPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)

    def get(self, code="527-0427", **headers):
        return self.client.get(
            reverse("grants:agreement-detail", kwargs={"code": code}), headers=headers
        )

    def test_527_0427_shows_its_amounts_running_totals_and_reconciliation(self):
        response = self.get()
        self.assertEqual(response.status_code, 200)
        amendments = response.context["amendments"]
        self.assertEqual(
            [(a.amount, a.running_total) for a in amendments],
            [
                (Decimal("110400000.00"), Decimal("110400000.00")),
                (Decimal("92500000.00"), Decimal("202900000.00")),
            ],
        )
        self.assertEqual(response.context["total"], Decimal("202900000.00"))
        self.assertEqual(response.context["unreconciled"], [])
        self.assertContains(response, "92.5 million")
        self.assertContains(response, "110.4 million")
        self.assertContains(response, "202.9 million")
        self.assertContains(response, "reconciled")
        self.assertContains(response, "derived")
        self.assertNotContains(response, "differs from the computed")

    def test_parties_framework_and_results_are_shown(self):
        response = self.get()
        self.assertContains(response, "Government of Peru")
        self.assertContains(response, "USAID")
        self.assertContains(response, "General Agreement on Technical Cooperation")
        self.assertEqual(len(response.context["results"]), 9)
        self.assertContains(response, "Peru News")

    def test_the_framework_lists_the_agreement_signed_under_it(self):
        response = self.get("PE-US-1951")
        self.assertContains(
            response, reverse("grants:agreement-detail", args=["527-0427"])
        )

    def test_spanish_uses_the_decimal_comma(self):
        response = self.get(accept_language="es")
        self.assertContains(response, '<html lang="es">')
        self.assertContains(response, "202,9 millones")

    def test_unknown_code_is_a_404(self):
        self.assertEqual(self.get("no-such-agreement").status_code, 404)


class DraftAgreementPageTests(TestCase):
    def test_a_draft_agreement_answers_404(self):
        draft = make_agreement(publication=PublicationState.DRAFT)
        make_amendment(agreement=draft)
        response = self.client.get(draft.get_absolute_url())
        self.assertEqual(response.status_code, 404)

    def test_draft_amendments_stay_out_of_the_page_and_its_total(self):
        agreement = make_agreement()
        make_amendment(agreement=agreement, amount=Decimal("10.00"), title="Public one")
        make_amendment(
            agreement=agreement,
            amount=Decimal("5.00"),
            title="Secret draft",
            publication=PublicationState.DRAFT,
        )
        response = self.client.get(agreement.get_absolute_url())
        self.assertNotContains(response, "Secret draft")
        self.assertEqual(response.context["total"], Decimal("10.00"))

    def test_a_mismatch_is_flagged_on_the_page(self):
        agreement = make_agreement()
        make_amendment(
            agreement=agreement,
            amount=Decimal("10.00"),
            stated_cumulative_total=Decimal("11.00"),
        )
        response = self.client.get(agreement.get_absolute_url())
        self.assertContains(response, "differs from the computed")

    def test_the_home_page_totals_public_money_by_currency(self):
        usd = make_agreement(currency="USD")
        make_amendment(agreement=usd, amount=Decimal("10.00"))
        pen = make_agreement(currency="PEN")
        make_amendment(agreement=pen, amount=Decimal("7.00"))
        hidden = make_agreement(currency="EUR", publication=PublicationState.DRAFT)
        make_amendment(agreement=hidden, amount=Decimal("99.00"))
        response = self.client.get(reverse("grants:home"))
        totals = {row["currency"]: row["total"] for row in response.context["totals"]}
        self.assertEqual(totals, {"PEN": Decimal("7.00"), "USD": Decimal("10.00")})
        self.assertNotContains(response, hidden.code)
        self.assertEqual(Agreement.objects.count(), 3)


class RobotsTxtTests(TestCase):
    def test_robots_keep_crawlers_out_of_the_admin_only(self):
        with self.assertNumQueries(0):
            response = self.client.get(reverse("grants:robots-txt"))
        self.assertEqual(response["Content-Type"], "text/plain")
        self.assertEqual(
            response.content.decode().splitlines(),
            ["User-agent: *", "Disallow: /admin/"],
        )


# Counts the queries of a page computed afresh, as after a write: both caches off.
@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0, PUBLIC_VALUE_CACHE_SECONDS=0)
class AgreementPageQueryTests(TestCase):
    """The page runs four queries however much an agreement holds (its short lists
    come with the agreement), five when it must count the agreements signed under
    it."""

    @classmethod
    def setUpTestData(cls):
        cls.small = make_agreement(code="AG-SMALL")
        cls.framework = make_agreement(code="FW-BIG", kind=AgreementKind.FRAMEWORK)
        cls.add_rows(cls.framework, 2)

    @classmethod
    def add_rows(cls, agreement, count):
        """`count` more of everything the page lists."""
        start = agreement.amendments.count()
        for n in range(count):
            role = ParticipantRole.IMPLEMENTING if n % 2 else ParticipantRole.FUNDING
            Participation.objects.create(
                agreement=agreement,
                organization=make_organization(name=f"Partner {start + n}"),
                role=role,
            )
            agreement.program_areas.add(
                make_program_area(
                    name=f"Area {start + n}", display_order=100 - start - n
                )
            )
            agreement.source_documents.add(
                make_source_document(
                    title=f"Report {start + n}",
                    url=f"https://example.org/report-{start + n}",
                    published_on=datetime.date(2021, 5, 1 + n),
                    notes="Page 4 states the amount.",
                )
            )
            make_amendment(agreement=agreement, source=make_source_document())
            make_result(agreement=agreement)
            make_agreement(framework=agreement)
        make_agreement(framework=agreement, publication=PublicationState.DRAFT)

    def get(self, agreement):
        return self.client.get(agreement.get_absolute_url())

    def test_an_agreement_with_nothing_under_it_takes_four_queries(self):
        with self.assertNumQueries(4):
            response = self.get(self.small)
        self.assertEqual(response.context["agreements_under"], [])
        self.assertNotContains(response, "Agreements signed under this framework")

    def test_a_framework_with_more_under_it_than_shown_takes_five_at_any_size(self):
        with mock.patch("grants.views.FRAMEWORK_AGREEMENTS_SHOWN", 1):
            with self.assertNumQueries(5):
                self.get(self.framework)
            self.add_rows(self.framework, 6)
            with self.assertNumQueries(5):
                response = self.get(self.framework)
        self.assertEqual(len(response.context["participations"]), 8)
        self.assertEqual(len(response.context["program_areas"]), 8)
        self.assertEqual(len(response.context["amendments"]), 8)
        self.assertEqual(len(response.context["results"]), 8)
        self.assertEqual(len(response.context["sources"]), 16)
        self.assertEqual(response.context["agreements_under_count"], 8)
        self.assertContains(response, "The first 1 of 8 agreements")

    def test_a_framework_with_few_agreements_under_it_is_not_counted_again(self):
        with self.assertNumQueries(4):
            response = self.get(self.framework)
        self.assertEqual(response.context["agreements_under_count"], 2)

    def test_the_short_lists_show_every_field_in_order(self):
        response = self.get(self.framework)
        self.assertEqual(
            [
                (p.get_role_display(), str(p.organization))
                for p in response.context["participations"]
            ],
            [("Funding", "Partner 0"), ("Implementing", "Partner 1")],
        )
        self.assertEqual(
            [area.name for area in response.context["program_areas"]],
            ["Area 1", "Area 0"],
        )
        self.assertContains(
            response,
            '<a href="https://example.org/report-1" rel="noopener noreferrer">'
            "Report 1</a>, Peru News, May 2, 2021<br><small>Page 4 states the amount."
            "</small>",
            html=True,
        )
        area = response.context["program_areas"][0]
        self.assertContains(response, f'<a href="{area.get_absolute_url()}">Area 1</a>')

    def test_staff_see_the_drafts_signed_under_a_framework(self):
        self.client.force_login(make_staff_user())
        response = self.get(self.framework)
        self.assertEqual(response.context["agreements_under_count"], 3)
        self.assertContains(response, '<span class="badge-draft">Not public</span>')
        public = self.client.get(self.framework.get_absolute_url(), {"view": "public"})
        self.assertEqual(public.context["agreements_under_count"], 2)
