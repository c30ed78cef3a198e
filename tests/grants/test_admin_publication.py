"""Publication of agreements and amendments, by role, through the admin views."""

from decimal import Decimal

from django.test import TestCase
from django.urls import reverse

from grants.models import Agreement, Amendment, PublicationState
from tests.admin_forms import admin_post_data
from tests.factories import (
    make_agreement,
    make_amendment,
    make_organization,
    make_user,
)

DRAFT = PublicationState.DRAFT
PUBLISHED = PublicationState.PUBLISHED


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


class PublicationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.official = make_user(role="Data entry")
        cls.reviewer = make_user(role="Reviewer")

    def act(self, user, model, action, objects, **extra):
        self.client.force_login(user)
        return self.client.post(
            reverse(f"admin:grants_{model}_changelist"),
            {"action": action, "_selected_action": [o.pk for o in objects], **extra},
            follow=True,
        )

    def test_data_entry_cannot_publish_by_editing_the_field(self):
        agreement = make_agreement(publication=DRAFT)
        self.client.force_login(self.official)
        page = self.client.get(change_url(agreement))
        self.assertNotContains(page, 'name="publication"')
        response = self.client.post(
            change_url(agreement),
            admin_post_data(page, title_en="Nuevo título", publication=PUBLISHED),
        )
        self.assertEqual(response.status_code, 302)
        agreement.refresh_from_db()
        self.assertEqual(agreement.title, "Nuevo título")
        self.assertEqual(agreement.publication, DRAFT)
        self.assertIsNone(agreement.published_at)

    def test_data_entry_cannot_publish_by_action(self):
        agreement = make_agreement(publication=DRAFT)
        amendment = make_amendment(agreement=agreement, publication=DRAFT)
        self.act(self.official, "agreement", "publish_selected", [agreement])
        self.act(self.official, "amendment", "publish_selected", [amendment])
        agreement.refresh_from_db()
        amendment.refresh_from_db()
        self.assertEqual(agreement.publication, DRAFT)
        self.assertEqual(amendment.publication, DRAFT)

    def test_data_entry_cannot_edit_or_delete_a_published_amendment(self):
        amendment = make_amendment(publication=PUBLISHED)
        self.client.force_login(self.official)
        page = self.client.get(change_url(amendment))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')
        response = self.client.post(
            change_url(amendment), {"title_en": "x", "amount": "1", "sequence": "1"}
        )
        self.assertEqual(response.status_code, 403)
        delete = self.client.post(
            reverse("admin:grants_amendment_delete", args=[amendment.pk]),
            {"post": "yes"},
        )
        self.assertEqual(delete.status_code, 403)
        self.assertTrue(Amendment.objects.filter(pk=amendment.pk).exists())

    def test_data_entry_cannot_change_a_published_amendment_in_the_inline(self):
        agreement = make_agreement(publication=DRAFT)
        amendment = make_amendment(
            agreement=agreement, publication=PUBLISHED, amount=Decimal("100")
        )
        self.client.force_login(self.official)
        page = self.client.get(change_url(agreement))
        response = self.client.post(
            change_url(agreement),
            admin_post_data(page, **{"amendments-0-amount": "999.00"}),
        )
        self.assertContains(response, "it is published; only a reviewer")
        response = self.client.post(
            change_url(agreement),
            admin_post_data(page, **{"amendments-0-DELETE": "on"}),
        )
        self.assertContains(response, "it is published; only a reviewer")
        amendment.refresh_from_db()
        self.assertEqual(amendment.amount, Decimal("100.00"))

    def test_data_entry_can_add_a_draft_amendment_in_the_inline(self):
        agreement = make_agreement(publication=DRAFT)
        self.client.force_login(self.official)
        page = self.client.get(change_url(agreement))
        response = self.client.post(
            change_url(agreement),
            admin_post_data(
                page,
                **{
                    "amendments-TOTAL_FORMS": "1",
                    "amendments-0-agreement": str(agreement.pk),
                    "amendments-0-sequence": "1",
                    "amendments-0-title_en": "Obligación inicial",
                    "amendments-0-amount": "500.00",
                    "amendments-0-publication": PUBLISHED,  # read-only: ignored
                },
            ),
        )
        self.assertEqual(response.status_code, 302)
        amendment = agreement.amendments.get()
        self.assertEqual(amendment.publication, DRAFT)
        self.assertEqual(amendment.history.get().history_user, self.official)

    def test_reviewer_publishes_and_unpublishes_with_a_reason(self):
        agreement = make_agreement(publication=DRAFT)
        page = self.act(self.reviewer, "agreement", "publish_selected", [agreement])
        self.assertContains(page, "Published 1 record")
        agreement.refresh_from_db()
        self.assertEqual(agreement.publication, PUBLISHED)
        self.assertIsNotNone(agreement.published_at)
        published = agreement.history.latest("history_id")
        self.assertEqual(published.history_change_reason, "Published")
        self.assertEqual(published.history_user, self.reviewer)

        page = self.act(self.reviewer, "agreement", "unpublish_selected", [agreement])
        self.assertContains(page, "Why unpublish?")
        agreement.refresh_from_db()
        self.assertEqual(agreement.publication, PUBLISHED)
        self.act(
            self.reviewer,
            "agreement",
            "unpublish_selected",
            [agreement],
            apply="1",
            reason="Monto en revisión",
        )
        agreement.refresh_from_db()
        self.assertEqual(agreement.publication, DRAFT)
        self.assertIsNone(agreement.published_at)
        self.assertEqual(
            agreement.history.latest("history_id").history_change_reason,
            "Unpublished: Monto en revisión",
        )

    def test_reviewer_publishing_in_the_form_sets_the_date(self):
        amendment = make_amendment(publication=DRAFT)
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(amendment))
        response = self.client.post(
            change_url(amendment), admin_post_data(page, publication=PUBLISHED)
        )
        self.assertEqual(response.status_code, 302)
        amendment.refresh_from_db()
        self.assertEqual(amendment.publication, PUBLISHED)
        self.assertIsNotNone(amendment.published_at)

    def test_changing_a_published_agreement_needs_a_reason(self):
        agreement = make_agreement(publication=PUBLISHED, title="Antes")
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(agreement))
        response = self.client.post(
            change_url(agreement), admin_post_data(page, title_en="Después")
        )
        self.assertContains(response, "say why you are changing it")
        agreement.refresh_from_db()
        self.assertEqual(agreement.title, "Antes")
        response = self.client.post(
            change_url(agreement),
            admin_post_data(page, title_en="Después", change_reason="Título oficial"),
        )
        self.assertEqual(response.status_code, 302)
        last = Agreement.objects.get(pk=agreement.pk).history.latest("history_id")
        self.assertEqual(last.title, "Después")
        self.assertEqual(last.history_change_reason, "Título oficial")
        self.assertEqual(last.history_user, self.reviewer)

    def test_organization_edits_are_in_the_history_with_user_and_reason(self):
        # Organizations are public facts: reviewers change them (tests/grants/
        # test_review_rule.py).
        organization = make_organization(name="Agencia")
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(organization))
        self.client.post(
            change_url(organization),
            admin_post_data(page, name_en="Agencia Peruana", change_reason="Nombre"),
        )
        last = organization.history.latest("history_id")
        self.assertEqual(last.name, "Agencia Peruana")
        self.assertEqual(last.history_user, self.reviewer)
        self.assertEqual(last.history_change_reason, "Nombre")
        history = self.client.get(
            reverse("admin:grants_organization_history", args=[organization.pk])
        )
        self.assertContains(history, "Agencia Peruana")

    def test_deleting_an_organization_in_use_names_the_agreements(self):
        agreement = make_agreement(publication=DRAFT)
        self.client.force_login(make_user(role="Reviewer"))
        url = reverse("admin:grants_organization_delete", args=[agreement.donor.pk])
        response = self.client.post(url, {"post": "yes"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "protected related objects")
        self.assertContains(response, agreement.code)


class RoleBoundariesTests(TestCase):
    def test_only_administrators_manage_users(self):
        users = reverse("admin:auth_user_changelist")
        for role, status in [
            ("Data entry", 403),
            ("Reviewer", 403),
            ("Administrator", 200),
        ]:
            with self.subTest(role=role):
                self.client.force_login(make_user(role=role))
                self.assertEqual(self.client.get(users).status_code, status)

    def test_delete_selected_refuses_published_amendments_for_data_entry(self):
        amendment = make_amendment(publication=PUBLISHED)
        self.client.force_login(make_user(role="Data entry"))
        response = self.client.post(
            reverse("admin:grants_amendment_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [amendment.pk],
                "post": "yes",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Amendment.objects.filter(pk=amendment.pk).exists())

    def test_reviewer_changing_a_published_amendment_inline_gives_a_reason(self):
        agreement = make_agreement(publication=DRAFT)
        amendment = make_amendment(
            agreement=agreement, publication=PUBLISHED, amount=Decimal("100")
        )
        self.client.force_login(make_user(role="Reviewer"))
        page = self.client.get(change_url(agreement))
        response = self.client.post(
            change_url(agreement),
            admin_post_data(page, **{"amendments-0-amount": "120.00"}),
        )
        self.assertContains(response, "give a reason for this change")
        response = self.client.post(
            change_url(agreement),
            admin_post_data(
                page,
                change_reason="Monto corregido según el convenio firmado",
                **{"amendments-0-amount": "120.00"},
            ),
        )
        self.assertEqual(response.status_code, 302)
        amendment.refresh_from_db()
        self.assertEqual(amendment.amount, Decimal("120.00"))
        self.assertEqual(
            amendment.history.latest("history_id").history_change_reason,
            "Monto corregido según el convenio firmado",
        )
