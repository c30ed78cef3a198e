"""Reconciliation is written in one set of words (grants/formatting.py) on every page
that shows it: the public lists, the agreement page and the admin."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from tests.factories import make_agreement, make_amendment

TWO_DIFFER = "2 stated totals differ from the computed totals"
ONE_DIFFERS = "differs from the computed total"


class ReconciliationWordingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agreement = make_agreement(code="AG-DIFF")
        for stated in ["5.00", "7.00"]:
            make_amendment(
                agreement=cls.agreement,
                amount=Decimal("1.00"),
                stated_cumulative_total=Decimal(stated),
            )
        cls.silent = make_agreement(code="AG-SILENT")
        make_amendment(agreement=cls.silent, amount=Decimal("1.00"))
        cls.user = get_user_model().objects.create_superuser("root", password="x")

    def test_the_public_list_and_the_admin_list_say_the_same(self):
        public = self.client.get(reverse("grants:agreement-list"))
        self.client.force_login(self.user)
        staff = self.client.get(reverse("admin:grants_agreement_changelist"))
        for response in [public, staff]:
            self.assertContains(response, TWO_DIFFER, count=1)
            self.assertContains(response, "nothing stated")

    def test_an_amendment_differs_in_the_same_words_everywhere(self):
        self.client.force_login(self.user)
        pages = [
            self.client.get(self.agreement.get_absolute_url()),
            self.client.get(reverse("grants:amendment-list")),
            self.client.get(
                reverse("admin:grants_agreement_change", args=[self.agreement.pk])
            ),
        ]
        for response in pages:
            self.assertContains(response, f"⚠ {ONE_DIFFERS}")
            self.assertNotContains(response, "differs from the stated total")

    def test_the_agreement_page_warns_with_the_count(self):
        response = self.client.get(self.agreement.get_absolute_url())
        self.assertContains(
            response,
            "2 amendments state a cumulative total that differs from the computed "
            "running total.",
        )

    def test_the_words_are_translated(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        response = self.client.get(reverse("grants:agreement-list"))
        self.assertContains(
            response, "2 totales declarados difieren de los totales calculados"
        )
