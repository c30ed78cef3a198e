from decimal import Decimal

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from grants.models import Agreement, PublicationState
from tests.factories import make_agreement, make_amendment


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
