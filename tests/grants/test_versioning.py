import threading
from decimal import Decimal
from unittest import mock

from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from grants import admin as grants_admin
from grants import admin_workflow
from grants.models import Agreement, Amendment, Organization, PublicationState
from grants.versioning import StaleRecordError
from tests.admin_forms import admin_post_data
from tests.factories import make_agreement, make_amendment, make_user

STALE = "Someone else changed"


class ModelSaveTests(TestCase):
    def test_stale_save_raises_and_the_first_save_is_kept(self):
        agreement = make_agreement(title="Original")
        first = Agreement.objects.get(pk=agreement.pk)
        second = Agreement.objects.get(pk=agreement.pk)
        first.title = "First"
        first.save()
        second.title = "Second"
        with self.assertRaisesMessage(StaleRecordError, STALE):
            second.save()
        agreement.refresh_from_db()
        self.assertEqual(agreement.title, "First")
        self.assertEqual(agreement.version, 2)

    def test_each_save_moves_the_version_on(self):
        agreement = make_agreement()
        self.assertEqual(agreement.version, 1)
        agreement.save()
        agreement.save(update_fields=["title"])
        agreement.refresh_from_db()
        self.assertEqual(agreement.version, 3)

    def test_saving_a_deleted_row_raises(self):
        amendment = make_amendment()
        stale = Amendment.objects.get(pk=amendment.pk)
        amendment.delete()
        with self.assertRaises(StaleRecordError):
            stale.save()


class AdminStaleEditTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.reviewer = User.objects.create_superuser("admin", "a@example.org", "x")
        draft = PublicationState.DRAFT
        cls.agreement = make_agreement(title="Original", publication=draft)
        cls.amendment = make_amendment(
            agreement=cls.agreement, amount=Decimal("100"), publication=draft
        )
        cls.url = reverse("admin:grants_agreement_change", args=[cls.agreement.pk])

    def setUp(self):
        self.client.force_login(self.reviewer)

    def test_second_of_two_stale_change_forms_is_refused(self):
        page_a = self.client.get(self.url)
        page_b = self.client.get(self.url)
        first = self.client.post(self.url, admin_post_data(page_a, title_en="First"))
        self.assertEqual(first.status_code, 302)
        second = self.client.post(
            self.url,
            admin_post_data(
                page_b, title_en="Second", **{"amendments-0-title_en": "Changed too"}
            ),
        )
        self.assertEqual(second.status_code, 200)
        self.assertContains(second, STALE)
        self.assertContains(second, "Reload the current version")
        self.agreement.refresh_from_db()
        self.amendment.refresh_from_db()
        self.assertEqual(self.agreement.title, "First")
        self.assertEqual(self.amendment.title, "Amendment")
        self.assertEqual(self.agreement.history.count(), 2)  # created, first edit

    def test_stale_inline_row_refuses_the_whole_save(self):
        page = self.client.get(self.url)
        other = Amendment.objects.get(pk=self.amendment.pk)
        other.description = "Changed by someone else"
        other.save()
        response = self.client.post(
            self.url,
            admin_post_data(page, title_en="Mine", **{"amendments-0-amount": "150.00"}),
        )
        self.assertContains(response, STALE)
        self.agreement.refresh_from_db()
        self.amendment.refresh_from_db()
        self.assertEqual(self.agreement.title, "Original")
        self.assertEqual(self.amendment.amount, Decimal("100.00"))
        self.assertEqual(self.amendment.description, "Changed by someone else")

    def test_race_after_validation_is_refused_by_save_and_rolled_back(self):
        page = self.client.get(self.url)
        data = admin_post_data(
            page, title_en="Mine", **{"amendments-0-amount": "150.00"}
        )

        def someone_else_saves(form):
            # Passes validation, then another person saves the amendment before ours.
            if isinstance(form.instance, Amendment):
                other = Amendment.objects.get(pk=form.instance.pk)
                other.description = "Theirs"
                other.save()

        with mock.patch(
            "grants.admin_workflow.check_not_stale", side_effect=someone_else_saves
        ):
            response = self.client.post(self.url, data)
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        self.agreement.refresh_from_db()
        self.amendment.refresh_from_db()
        self.assertEqual(self.agreement.title, "Original")  # nothing partially saved
        self.assertEqual(self.amendment.amount, Decimal("100.00"))
        # (The other person's save ran on this test's one connection, inside the admin's
        # transaction, so it was rolled back too; in real use it is already committed.)
        followed = self.client.get(self.url)
        self.assertContains(followed, STALE)


class ActionStaleTests(TestCase):
    def test_action_meeting_a_concurrent_change_changes_nothing(self):
        reviewer = make_user(role="Reviewer")
        first = make_agreement(publication=PublicationState.DRAFT)
        second = make_agreement(publication=PublicationState.DRAFT)
        real = admin_workflow.run_all_or_nothing

        def someone_edits_second_first(modeladmin, request, objects, *args):
            # The action has read its rows; another person saves one of them now.
            other = Agreement.objects.get(pk=second.pk)
            other.summary = "Edited meanwhile"
            other.save()
            return real(modeladmin, request, objects, *args)

        self.client.force_login(reviewer)
        # The agreements' publish action is grants.admin's own (it may publish the
        # drafts too); it runs through the same run_all_or_nothing.
        with mock.patch.object(
            grants_admin, "run_all_or_nothing", someone_edits_second_first
        ):
            response = self.client.post(
                reverse("admin:grants_agreement_changelist"),
                {
                    "action": "publish_selected",
                    "_selected_action": [first.pk, second.pk],
                },
                follow=True,
            )
        self.assertContains(response, "Nothing was changed")
        self.assertContains(response, STALE)
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertEqual(first.publication, PublicationState.DRAFT)  # rolled back
        self.assertIsNone(first.published_at)
        self.assertEqual(second.publication, PublicationState.DRAFT)
        self.assertEqual(second.summary, "Edited meanwhile")


class UnchangedSaveTests(TestCase):
    def test_saving_an_unchanged_form_writes_no_history_and_keeps_the_version(self):
        agreement = make_agreement(publication=PublicationState.DRAFT)
        url = reverse("admin:grants_agreement_change", args=[agreement.pk])
        self.client.force_login(make_user(role="Data entry"))
        response = self.client.post(url, admin_post_data(self.client.get(url)))
        self.assertEqual(response.status_code, 302)
        agreement.refresh_from_db()
        self.assertEqual(agreement.version, 1)
        self.assertEqual(agreement.history.count(), 1)


class ListEditingTests(TestCase):
    def test_no_changelist_edits_rows_without_a_version_check(self):
        # Editing in the list cannot carry each row's version, so it is not offered.
        for model_admin in admin_site._registry.values():
            if isinstance(model_admin, admin_workflow.WorkflowAdminMixin):
                with self.subTest(model=model_admin.model.__name__):
                    self.assertEqual(list(model_admin.list_editable), [])


class TwoConnectionsTests(TransactionTestCase):
    """The same refusal when the other save is a separate, committed transaction on its
    own database connection (another app server), not just an earlier save in ours."""

    # No serialized_rollback: pytest-django runs every TestCase (the ones that need the
    # staff roles) before the transaction tests, and restoring serialized rows after
    # another transaction test's flush collides with regenerated content types.

    def test_a_save_committed_elsewhere_makes_ours_stale(self):
        agreement = make_agreement(title="Original")
        ours = Agreement.objects.get(pk=agreement.pk)

        def someone_else():
            try:
                theirs = Agreement.objects.get(pk=agreement.pk)
                theirs.title = "Theirs"
                with transaction.atomic():
                    theirs.save()
            finally:
                connections.close_all()

        worker = threading.Thread(target=someone_else)
        worker.start()
        worker.join()
        ours.title = "Ours"
        with self.assertRaises(StaleRecordError), transaction.atomic():
            ours.save()
        agreement.refresh_from_db()
        self.assertEqual(agreement.title, "Theirs")
        self.assertEqual(agreement.version, 2)


class DatabaseDefaultTests(TestCase):
    def test_a_row_inserted_by_raw_sql_starts_at_version_1(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO grants_organization "
                "(name, name_en, acronym, kind, country) "
                "VALUES ('Raw', 'Raw', '', 'ngo', '')"
            )
        organization = Organization.objects.get(name="Raw")
        self.assertEqual(organization.version, 1)
        organization.name = "Raw, saved"
        organization.save()
        self.assertEqual(Organization.objects.get(pk=organization.pk).version, 2)
