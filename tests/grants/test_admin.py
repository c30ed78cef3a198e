from decimal import Decimal

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.models import Amendment
from tests.factories import make_agreement, make_amendment

PROJECT_APPS = {"grants", "indicators"}


class AdminPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)
        cls.user = get_user_model().objects.create_superuser("root", password="x")

    def setUp(self):
        self.client.force_login(self.user)

    def test_every_changelist_add_and_change_page_answers_200(self):
        checked = 0
        for model in admin.site._registry:
            if model._meta.app_label not in PROJECT_APPS:
                continue
            opts = model._meta
            base = f"admin:{opts.app_label}_{opts.model_name}"
            urls = [reverse(f"{base}_changelist"), reverse(f"{base}_add")]
            obj = model.objects.first()
            if obj is not None:
                urls.append(reverse(f"{base}_change", args=[obj.pk]))
            for url in urls:
                with self.subTest(url=url):
                    self.assertEqual(self.client.get(url).status_code, 200)
                    checked += 1
        self.assertGreaterEqual(checked, 21)

    def test_agreement_list_shows_the_total_and_reconciliation(self):
        response = self.client.get(reverse("admin:grants_agreement_changelist"))
        self.assertContains(response, "USD 202,900,000.00")

    def test_an_inline_de_obligation_below_zero_is_refused_with_a_message(self):
        agreement = make_agreement()
        first = make_amendment(agreement=agreement, amount=Decimal("100.00"))
        url = reverse("admin:grants_agreement_change", args=[agreement.pk])
        data = {
            "code": agreement.code,
            "title_en": agreement.title,
            "kind": agreement.kind,
            "status": agreement.status,
            "donor": agreement.donor_id,
            "recipient": agreement.recipient_id,
            "currency": "USD",
            "publication": agreement.publication,
            "participations-TOTAL_FORMS": "0",
            "participations-INITIAL_FORMS": "0",
            "disbursements-TOTAL_FORMS": "0",
            "disbursements-INITIAL_FORMS": "0",
            "amendments-TOTAL_FORMS": "2",
            "amendments-INITIAL_FORMS": "1",
            "amendments-0-id": first.pk,
            "amendments-0-agreement": agreement.pk,
            "amendments-0-sequence": "1",
            "amendments-0-title_en": first.title,
            "amendments-0-amount": "100.00",
            "amendments-0-publication": "published",
            "amendments-1-agreement": agreement.pk,
            "amendments-1-sequence": "2",
            "amendments-1-title_en": "Refund",
            "amendments-1-amount": "-150.00",
            "amendments-1-publication": "draft",
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "would fall below zero at amendment #2")
        self.assertEqual(agreement.amendments.count(), 1)

        data["amendments-1-amount"] = "-100.00"
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        agreement.refresh_from_db()
        self.assertEqual(agreement.total, Decimal("0.00"))

    def test_deleting_an_amendment_that_would_leave_a_negative_total_is_refused(self):
        agreement = make_agreement()
        first = make_amendment(agreement=agreement, amount=Decimal("100.00"))
        make_amendment(agreement=agreement, amount=Decimal("-40.00"))
        url = reverse("admin:grants_amendment_delete", args=[first.pk])
        response = self.client.get(url)
        self.assertContains(response, "would fall below zero")
        response = self.client.post(url, {"post": "yes"})
        self.assertTrue(Amendment.objects.filter(pk=first.pk).exists())

    def test_a_bulk_delete_that_would_leave_a_negative_total_is_refused(self):
        agreement = make_agreement()
        first = make_amendment(agreement=agreement, amount=Decimal("100.00"))
        make_amendment(agreement=agreement, amount=Decimal("-40.00"))
        response = self.client.post(
            reverse("admin:grants_amendment_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [first.pk],
                "post": "yes",
            },
        )
        self.assertContains(response, "would fall below zero")
        self.assertTrue(Amendment.objects.filter(pk=first.pk).exists())


class AdminQueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = get_user_model().objects.create_superuser("root", password="x")

    def count_changelist_queries(self):
        self.client.force_login(self.user)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(reverse("admin:grants_agreement_changelist"))
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def add_agreements(self, n):
        for _ in range(n):
            agreement = make_agreement()
            make_amendment(agreement=agreement, stated_cumulative_total=Decimal("1.00"))

    def test_agreement_changelist_queries_do_not_grow_with_rows(self):
        self.add_agreements(2)
        small = self.count_changelist_queries()
        self.add_agreements(48)
        large = self.count_changelist_queries()
        self.assertEqual(small, large)

    def test_amendment_changelist_queries_do_not_grow_with_rows(self):
        self.client.force_login(self.user)
        url = reverse("admin:grants_amendment_changelist")
        self.add_agreements(2)
        with CaptureQueriesContext(connection) as small:
            self.client.get(url)
        self.add_agreements(48)
        with CaptureQueriesContext(connection) as large:
            self.client.get(url)
        self.assertEqual(len(small), len(large))
