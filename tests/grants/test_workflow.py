"""The publication rules of grants/workflow.py, which the admin, the spreadsheet
import and the ledger ask."""

from django.test import TestCase
from django.utils import timezone

from grants import workflow
from grants.models import Amendment, PublicationState
from tests.factories import make_agreement, make_amendment, make_user

DRAFT, PUBLISHED = PublicationState.DRAFT, PublicationState.PUBLISHED


class PublicationRuleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.official = make_user(role="Data entry")
        cls.reviewer = make_user(role="Reviewer")

    def test_only_a_reviewer_may_create_or_leave_a_record_published(self):
        cases = [
            (self.official, None, DRAFT, True),
            (self.official, None, PUBLISHED, False),
            (self.official, DRAFT, PUBLISHED, False),
            (self.official, PUBLISHED, PUBLISHED, True),
            (self.official, PUBLISHED, DRAFT, False),
            (self.reviewer, None, PUBLISHED, True),
            (self.reviewer, PUBLISHED, DRAFT, True),
        ]
        for user, before, after, allowed in cases:
            with self.subTest(user=user.groups.get().name, before=before, after=after):
                self.assertIs(
                    workflow.publication_may_set(
                        user, Amendment, before=before, after=after
                    ),
                    allowed,
                )

    def test_a_published_row_is_locked_for_data_entry_and_imports_only(self):
        published = make_amendment(publication=PUBLISHED)
        draft = make_amendment(publication=DRAFT)
        self.assertIs(workflow.publication_is_locked(published), True)
        self.assertIs(workflow.publication_is_locked(draft), False)
        self.assertIs(
            workflow.publication_is_locked_for(published, self.official), True
        )
        self.assertIs(
            workflow.publication_is_locked_for(published, self.reviewer), False
        )
        self.assertIs(workflow.publication_needs_reason(published), True)
        self.assertIs(workflow.publication_needs_reason(draft), False)

    def test_an_imported_row_is_a_draft_with_no_publication_time(self):
        row = Amendment(publication=PUBLISHED, published_at=timezone.now())
        workflow.publication_as_imported(row)
        self.assertEqual(row.publication, DRAFT)
        self.assertIsNone(row.published_at)

    def test_the_public_state_is_read_from_any_value(self):
        self.assertIs(workflow.is_public_state("published"), True)
        for value in ["draft", "", None]:
            with self.subTest(value=value):
                self.assertIs(workflow.is_public_state(value), False)

    def test_publishing_a_published_agreement_with_drafts_publishes_the_drafts(self):
        agreement = make_agreement(publication=PUBLISHED)
        make_amendment(agreement=agreement, publication=DRAFT)
        workflow.agreement_publish(
            agreement=agreement, user=self.reviewer, with_drafts=True
        )
        self.assertEqual(agreement.amendments.drafts().count(), 0)
        with self.assertRaisesMessage(workflow.WorkflowError, "already published"):
            workflow.agreement_publish(
                agreement=agreement, user=self.reviewer, with_drafts=False
            )
