"""The result workflow and the roles, through the admin views themselves."""

from decimal import Decimal

from django.contrib.admin.sites import site
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.models import PublicationState
from indicators.models import Result, ResultStatus
from tests.admin_forms import admin_post_data
from tests.factories import make_agreement, make_indicator, make_result, make_user

CHANGELIST = "admin:indicators_result_changelist"


def change_url(result):
    return reverse("admin:indicators_result_change", args=[result.pk])


class RolesTests(TestCase):
    def test_the_three_groups_exist_with_their_permissions(self):
        def codenames(name):
            return set(
                Group.objects.get(name=name).permissions.values_list(
                    "codename", flat=True
                )
            )

        data_entry = codenames("Data entry")
        reviewer = codenames("Reviewer")
        self.assertIn("change_result", data_entry)
        self.assertNotIn("approve_result", data_entry)
        self.assertNotIn("publish_amendment", data_entry)
        self.assertTrue(
            {"approve_result", "publish_agreement", "publish_amendment"} <= reviewer
        )
        self.assertEqual(
            codenames("Administrator"),
            set(Permission.objects.values_list("codename", flat=True)),
        )


class ResultWorkflowTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.official = make_user(role="Data entry")
        cls.reviewer = make_user(role="Reviewer")
        cls.indicator = make_indicator()

    def act(self, user, action, results, **extra):
        self.client.force_login(user)
        return self.client.post(
            reverse(CHANGELIST),
            {"action": action, "_selected_action": [r.pk for r in results], **extra},
            follow=True,
        )

    def add_result_as_official(self, **fields):
        self.client.force_login(self.official)
        add_url = reverse("admin:indicators_result_add")
        data = admin_post_data(
            self.client.get(add_url),
            indicator=str(self.indicator.pk),
            period_start="2023-01-01",
            period_end="2023-12-31",
            actual_value="1500",
            **fields,
        )
        response = self.client.post(add_url, data)
        self.assertEqual(response.status_code, 302)
        return Result.objects.get(indicator=self.indicator)

    def test_the_whole_workflow_keeps_the_reason(self):
        # The official enters a draft; a status in the POST is ignored.
        result = self.add_result_as_official(status="approved")
        self.assertEqual(result.status, ResultStatus.DRAFT)
        self.assertEqual(result.entered_by, self.official)

        self.act(self.official, "submit_selected", [result])
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.SUBMITTED)

        # Returning asks for a reason first and changes nothing until it is given.
        page = self.act(self.reviewer, "return_selected", [result])
        self.assertContains(page, "Why return these results?")
        page = self.act(self.reviewer, "return_selected", [result], apply="1")
        self.assertContains(page, "This field is required")
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.SUBMITTED)
        self.act(
            self.reviewer,
            "return_selected",
            [result],
            apply="1",
            reason="El valor no coincide con el informe anual.",
        )
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.RETURNED)

        # The official sees why, in the list and on the form, and corrects it.
        self.client.force_login(self.official)
        listing = self.client.get(reverse(CHANGELIST))
        self.assertContains(listing, "El valor no coincide con el informe anual.")
        page = self.client.get(change_url(result))
        self.assertContains(page, "El valor no coincide con el informe anual.")
        response = self.client.post(
            change_url(result), admin_post_data(page, actual_value="1450")
        )
        self.assertEqual(response.status_code, 302)
        self.act(self.official, "submit_selected", [result])
        self.act(self.reviewer, "approve_selected", [result])
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.APPROVED)
        self.assertEqual(result.approved_by, self.reviewer)
        self.assertIsNotNone(result.approved_at)
        self.assertEqual(result.actual_value, Decimal("1450"))

        reasons = list(
            result.history.order_by("history_id").values_list(
                "history_change_reason", "history_user__username", "status"
            )
        )
        self.assertIn(
            (
                "Returned: El valor no coincide con el informe anual.",
                self.reviewer.username,
                ResultStatus.RETURNED,
            ),
            reasons,
        )
        self.assertEqual(reasons[-1], ("Approved", self.reviewer.username, "approved"))
        returned = result.history.get(status=ResultStatus.RETURNED, actual_value=1500)
        self.assertEqual(
            returned.return_reason, "El valor no coincide con el informe anual."
        )

    def test_approved_results_are_locked_for_data_entry(self):
        result = make_result(
            indicator=self.indicator, status=ResultStatus.APPROVED, actual_value=5
        )
        self.client.force_login(self.official)
        page = self.client.get(change_url(result))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "only a reviewer can change or reopen it")
        self.assertNotContains(page, 'name="_save"')
        response = self.client.post(change_url(result), {"actual_value": "999"})
        self.assertEqual(response.status_code, 403)
        delete = self.client.post(
            reverse("admin:indicators_result_delete", args=[result.pk]),
            {"post": "yes"},
        )
        self.assertEqual(delete.status_code, 403)
        self.act(self.official, "submit_selected", [result])
        result.refresh_from_db()
        self.assertEqual(result.actual_value, Decimal("5"))
        self.assertEqual(result.status, ResultStatus.APPROVED)

    def test_submitted_results_are_locked_for_data_entry_too(self):
        result = make_result(indicator=self.indicator, status=ResultStatus.SUBMITTED)
        self.client.force_login(self.official)
        response = self.client.post(change_url(result), {"actual_value": "999"})
        self.assertEqual(response.status_code, 403)

    def test_data_entry_cannot_approve_return_or_reopen_by_action(self):
        submitted = make_result(indicator=self.indicator, status=ResultStatus.SUBMITTED)
        approved = make_result(
            indicator=self.indicator,
            status=ResultStatus.APPROVED,
            period_start="2021-01-01",
            period_end="2021-12-31",
        )
        self.client.force_login(self.official)
        actions = self.client.get(reverse(CHANGELIST)).context["action_form"]
        offered = {value for value, _ in actions.fields["action"].choices}
        self.assertIn("submit_selected", offered)
        self.assertFalse(
            {"approve_selected", "return_selected", "reopen_selected"} & offered
        )
        for action in ["approve_selected", "return_selected", "reopen_selected"]:
            self.act(
                self.official, action, [submitted, approved], apply="1", reason="x"
            )
        submitted.refresh_from_db()
        approved.refresh_from_db()
        self.assertEqual(submitted.status, ResultStatus.SUBMITTED)
        self.assertEqual(approved.status, ResultStatus.APPROVED)

    def test_data_entry_cannot_change_status_fields_in_an_inline(self):
        indicator = make_indicator(publication=PublicationState.DRAFT)
        result = make_result(indicator=indicator, status=ResultStatus.DRAFT)
        self.client.force_login(self.official)
        url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
        page = self.client.get(url)
        response = self.client.post(
            url,
            admin_post_data(
                page, **{"results-0-status": "approved", "results-0-actual_value": "7"}
            ),
        )
        self.assertEqual(response.status_code, 302)
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.DRAFT)
        self.assertEqual(result.actual_value, Decimal("7"))

    def test_inline_refuses_changes_to_an_approved_result_for_data_entry(self):
        indicator = make_indicator(publication=PublicationState.DRAFT)
        result = make_result(
            indicator=indicator, status=ResultStatus.APPROVED, actual_value=5
        )
        self.client.force_login(self.official)
        url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
        page = self.client.get(url)
        response = self.client.post(
            url,
            admin_post_data(page, name_en="Renamed", **{"results-0-actual_value": "7"}),
        )
        self.assertContains(response, "is locked for you")
        result.refresh_from_db()
        indicator.refresh_from_db()
        self.assertEqual(result.actual_value, Decimal("5"))
        self.assertNotEqual(indicator.name, "Renamed")

    def test_the_official_cannot_approve_through_save_model(self):
        # Even a form that somehow carried a status is refused on save.
        result = make_result(indicator=self.indicator, status=ResultStatus.DRAFT)
        request = RequestFactory().post("/")
        request.user = self.official
        result.status = ResultStatus.APPROVED
        with self.assertRaises(PermissionDenied):
            site._registry[Result].save_model(request, result, form=None, change=True)
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.DRAFT)

    def test_reviewer_reopens_an_approved_result_with_a_reason(self):
        result = make_result(indicator=self.indicator, status=ResultStatus.APPROVED)
        page = self.act(self.reviewer, "reopen_selected", [result])
        self.assertContains(page, "Why reopen these results?")
        self.act(
            self.reviewer,
            "reopen_selected",
            [result],
            apply="1",
            reason="Corrección del informe 2022",
        )
        result.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.RETURNED)
        self.assertEqual(result.return_reason, "Corrección del informe 2022")
        last = result.history.latest("history_id")
        self.assertEqual(
            last.history_change_reason, "Reopened: Corrección del informe 2022"
        )
        self.assertEqual(last.history_user, self.reviewer)
        # Now the official can edit it again.
        self.client.force_login(self.official)
        page = self.client.get(change_url(result))
        self.assertContains(page, 'name="_save"')

    def test_wrong_state_in_a_batch_changes_nothing(self):
        submitted = make_result(indicator=self.indicator, status=ResultStatus.SUBMITTED)
        draft = make_result(
            indicator=self.indicator,
            status=ResultStatus.DRAFT,
            period_start="2021-01-01",
            period_end="2021-12-31",
        )
        page = self.act(self.reviewer, "approve_selected", [submitted, draft])
        self.assertContains(page, "Nothing was changed")
        self.assertContains(page, "only submitted results can be approved")
        submitted.refresh_from_db()
        self.assertEqual(submitted.status, ResultStatus.SUBMITTED)

    def test_reviewer_editing_an_approved_result_must_give_a_reason(self):
        result = make_result(indicator=self.indicator, status=ResultStatus.APPROVED)
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(result))
        response = self.client.post(
            change_url(result), admin_post_data(page, comment_en="Typo fixed")
        )
        self.assertContains(response, "say why you are changing it")
        result.refresh_from_db()
        self.assertEqual(result.comment, "")
        response = self.client.post(
            change_url(result),
            admin_post_data(
                page, comment_en="Typo fixed", change_reason="Errata del informe"
            ),
        )
        self.assertEqual(response.status_code, 302)
        result.refresh_from_db()
        self.assertEqual(result.comment, "Typo fixed")
        self.assertEqual(result.status, ResultStatus.APPROVED)
        last = result.history.latest("history_id")
        self.assertEqual(last.history_change_reason, "Errata del informe")
        self.assertEqual(last.history_user, self.reviewer)

    def test_changelist_shows_status_who_when_and_why_locked(self):
        make_result(
            indicator=self.indicator,
            status=ResultStatus.APPROVED,
            approved_by=self.reviewer,
            approved_at=timezone.now(),
            entered_by=self.official,
        )
        self.client.force_login(self.official)
        listing = self.client.get(reverse(CHANGELIST))
        self.assertContains(listing, "Approved: a reviewer must reopen it")
        self.assertContains(listing, self.official.username)
        self.assertContains(listing, self.reviewer.username)

    def test_history_page_shows_user_reason_and_changed_fields(self):
        result = make_result(indicator=self.indicator, status=ResultStatus.SUBMITTED)
        self.act(self.reviewer, "approve_selected", [result])
        self.client.force_login(self.reviewer)
        page = self.client.get(
            reverse("admin:indicators_result_history", args=[result.pk])
        )
        self.assertContains(page, "Approved")
        self.assertContains(page, self.reviewer.username)
        self.assertContains(page, "Workflow status")  # the field diff


class DeleteProtectedTests(TestCase):
    def test_deleting_an_indicator_with_results_is_refused_naming_them(self):
        reviewer = make_user(role="Reviewer")
        result = make_result(status=ResultStatus.DRAFT)
        self.client.force_login(reviewer)
        url = reverse("admin:indicators_indicator_delete", args=[result.indicator.pk])
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "protected related objects")
        self.assertContains(page, str(result))
        response = self.client.post(url, {"post": "yes"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            type(result.indicator).objects.filter(pk=result.indicator.pk).exists()
        )


class ResultDeleteTests(TestCase):
    def test_delete_selected_refuses_approved_results_for_data_entry(self):
        approved = make_result(status=ResultStatus.APPROVED)
        self.client.force_login(make_user(role="Data entry"))
        response = self.client.post(
            reverse(CHANGELIST),
            {
                "action": "delete_selected",
                "_selected_action": [approved.pk],
                "post": "yes",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Result.objects.filter(pk=approved.pk).exists())

    def test_data_entry_deletes_its_own_draft(self):
        draft = make_result(status=ResultStatus.DRAFT)
        self.client.force_login(make_user(role="Data entry"))
        response = self.client.post(
            reverse("admin:indicators_result_delete", args=[draft.pk]), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Result.objects.filter(pk=draft.pk).exists())
        self.assertEqual(
            Result.history.filter(id=draft.pk, history_type="-").count(), 1
        )


class ResultChangelistQueriesTests(TestCase):
    def test_query_count_stays_flat_as_results_grow(self):
        reviewer = make_user(role="Reviewer")
        indicator = make_indicator()

        def add_results(years):
            for year in years:
                make_result(
                    indicator=indicator,
                    period_start=f"{year}-01-01",
                    period_end=f"{year}-12-31",
                    status=ResultStatus.APPROVED,
                    approved_by=reviewer,
                    approved_at=timezone.now(),
                    entered_by=reviewer,
                    agreement=make_agreement(),
                )

        self.client.force_login(reviewer)
        add_results(range(2001, 2003))
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse(CHANGELIST))
        add_results(range(2003, 2013))
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(reverse(CHANGELIST))
        self.assertContains(response, "2012-01-01")
        self.assertEqual(len(many), len(few))


class IndicatorPublicationTests(TestCase):
    def test_reviewer_publishes_an_indicator_and_data_entry_cannot(self):
        indicator = make_indicator(publication=PublicationState.DRAFT)
        changelist = reverse("admin:indicators_indicator_changelist")
        data = {"action": "publish_selected", "_selected_action": [indicator.pk]}
        self.client.force_login(make_user(role="Data entry"))
        self.client.post(changelist, data)
        indicator.refresh_from_db()
        self.assertEqual(indicator.publication, PublicationState.DRAFT)
        self.client.force_login(make_user(role="Reviewer"))
        self.client.post(changelist, data)
        indicator.refresh_from_db()
        self.assertEqual(indicator.publication, PublicationState.PUBLISHED)
        self.assertIsNotNone(indicator.published_at)


class AdministratorTests(TestCase):
    def test_an_administrator_can_approve_and_publish_without_being_superuser(self):
        administrator = make_user(role="Administrator")
        self.assertFalse(administrator.is_superuser)
        indicator = make_indicator(publication=PublicationState.DRAFT)
        result = make_result(indicator=indicator, status=ResultStatus.SUBMITTED)
        self.client.force_login(administrator)
        self.client.post(
            reverse(CHANGELIST),
            {"action": "approve_selected", "_selected_action": [result.pk]},
        )
        self.client.post(
            reverse("admin:indicators_indicator_changelist"),
            {"action": "publish_selected", "_selected_action": [indicator.pk]},
        )
        result.refresh_from_db()
        indicator.refresh_from_db()
        self.assertEqual(result.status, ResultStatus.APPROVED)
        self.assertEqual(result.approved_by, administrator)
        self.assertEqual(indicator.publication, PublicationState.PUBLISHED)
