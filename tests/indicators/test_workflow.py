"""The result review rules of indicators/workflow.py that the admin and the
spreadsheet import ask."""

from django.test import TestCase

from indicators import workflow
from indicators.models import Result, ResultStatus
from tests.factories import make_result, make_user


class ResultRuleTests(TestCase):
    def test_an_imported_result_goes_back_to_draft_without_the_return_reason(self):
        returned = make_result(status=ResultStatus.RETURNED, return_reason="Typo")
        importer = make_user(role="Data entry")
        workflow.result_as_imported(returned, user=importer)
        self.assertEqual(returned.status, ResultStatus.DRAFT)
        self.assertEqual(returned.return_reason, "")
        self.assertNotEqual(returned.entered_by, importer)  # not a new row

        new = Result(status=ResultStatus.SUBMITTED)
        workflow.result_as_imported(new, user=importer)
        self.assertEqual((new.status, new.entered_by), (ResultStatus.DRAFT, importer))

    def test_only_the_workflow_changes_the_review_fields(self):
        stored = make_result(status=ResultStatus.DRAFT)
        edited = Result.objects.get(pk=stored.pk)
        edited.location = "Cusco"
        self.assertIs(workflow.result_review_changed(edited, stored), False)
        edited.status = ResultStatus.APPROVED
        self.assertIs(workflow.result_review_changed(edited, stored), True)

    def test_a_new_result_starts_as_a_draft(self):
        self.assertIs(workflow.result_may_start_as(ResultStatus.DRAFT), True)
        for status in [ResultStatus.SUBMITTED, ResultStatus.APPROVED]:
            with self.subTest(status=status):
                self.assertIs(workflow.result_may_start_as(status), False)

    def test_the_note_says_who_holds_the_result(self):
        returned = make_result(status=ResultStatus.RETURNED, return_reason="Typo")
        self.assertEqual(workflow.result_state_note(returned), "Returned: Typo")
        self.assertEqual(workflow.result_locked_reason(returned), "")
        submitted = make_result(status=ResultStatus.SUBMITTED)
        self.assertEqual(
            workflow.result_state_note(submitted, short=True), "Waiting for review"
        )
        self.assertIn(
            "waiting for a reviewer", workflow.result_locked_reason(submitted)
        )
        self.assertEqual(
            workflow.result_state_note(make_result(status=ResultStatus.DRAFT)), ""
        )
