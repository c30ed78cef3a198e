"""The review rule for public facts without a publication of their own (issue 13,
finding 4): organizations, source documents and program areas, and the budgets and
participants of a published agreement, are changed by reviewers only, with a reason
kept in the history; data entry adds them. And the versions of finding 5."""

import datetime
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse

from grants.models import (
    Budget,
    Organization,
    ParticipantRole,
    Participation,
    ProgramArea,
    PublicationState,
    SourceDocument,
)
from grants.versioning import StaleRecordError
from tests.admin_forms import admin_post_data
from tests.factories import (
    make_agreement,
    make_organization,
    make_program_area,
    make_source_document,
    make_user,
)

YEAR = {
    "period_start": datetime.date(2024, 1, 1),
    "period_end": datetime.date(2024, 12, 31),
}


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def make_budget(agreement):
    return Budget.objects.create(
        agreement=agreement, amount=Decimal("10.00"), currency="USD", **YEAR
    )


class ReviewRuleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.official = make_user(role="Data entry")
        cls.reviewer = make_user(role="Reviewer")
        cls.published = make_agreement()
        cls.draft = make_agreement(publication=PublicationState.DRAFT)

    def public_facts(self):
        """(record, a field to change, a new value) for each kind of public fact."""
        return [
            (make_organization(), "name_en", "Renamed organization"),
            (make_source_document(), "title_en", "Renamed source"),
            (make_program_area(), "name_en", "Renamed area"),
            (make_budget(self.published), "amount", "20.00"),
        ]

    def test_data_entry_cannot_change_or_delete_a_public_fact(self):
        self.client.force_login(self.official)
        for record, field, value in self.public_facts():
            with self.subTest(model=type(record).__name__):
                page = self.client.get(change_url(record))
                self.assertEqual(page.status_code, 200)  # read-only view
                self.assertNotContains(page, 'name="_save"')
                data = {field: value, "change_reason": "because"}
                response = self.client.post(change_url(record), data)
                self.assertEqual(response.status_code, 403)
                record.refresh_from_db()
                self.assertNotEqual(str(getattr(record, field)), value)

    def test_a_reviewer_changes_a_public_fact_only_with_a_reason_kept_in_history(self):
        self.client.force_login(self.reviewer)
        for record, field, value in self.public_facts():
            with self.subTest(model=type(record).__name__):
                page = self.client.get(change_url(record))
                refused = self.client.post(
                    change_url(record), admin_post_data(page, **{field: value})
                )
                self.assertContains(refused, "say why you are changing it")
                self.client.post(
                    change_url(record),
                    admin_post_data(page, **{field: value}, change_reason="Typo"),
                )
                record.refresh_from_db()
                self.assertEqual(str(getattr(record, field)), value)
                last = record.history.latest("history_id")
                self.assertEqual(last.history_change_reason, "Typo")
                self.assertEqual(last.history_user, self.reviewer)

    def test_data_entry_still_adds_reference_data(self):
        self.client.force_login(self.official)
        response = self.client.post(
            reverse("admin:grants_sourcedocument_add"), {"title_en": "New source"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(SourceDocument.objects.filter(title="New source").exists())

    def test_budgets_of_a_draft_agreement_stay_with_data_entry(self):
        budget = make_budget(self.draft)
        self.client.force_login(self.official)
        page = self.client.get(change_url(budget))
        self.client.post(change_url(budget), admin_post_data(page, amount="30.00"))
        budget.refresh_from_db()
        self.assertEqual(budget.amount, Decimal("30.00"))

    def test_data_entry_cannot_add_or_move_a_budget_to_a_published_agreement(self):
        self.client.force_login(self.official)
        response = self.client.post(
            reverse("admin:grants_budget_add"),
            {
                "agreement": self.published.pk,
                "budget_type": "1",
                "status": "1",
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
                "amount": "5.00",
                "currency": "USD",
            },
        )
        self.assertContains(response, "Only a reviewer can add or move a budget")
        self.assertFalse(Budget.objects.exists())

    def test_participants_of_a_published_agreement_need_a_reviewer_and_a_reason(self):
        organization = make_organization()
        participation = Participation.objects.create(
            agreement=self.published,
            organization=organization,
            role=ParticipantRole.IMPLEMENTING,
        )
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(self.published))
        changed = admin_post_data(
            page, **{"participations-0-role": ParticipantRole.EXTENDING}
        )
        refused = self.client.post(change_url(self.published), changed)
        self.assertContains(refused, "give a reason for this change")
        participation.refresh_from_db()
        self.assertEqual(participation.role, ParticipantRole.IMPLEMENTING)

        self.client.post(
            change_url(self.published), {**changed, "change_reason": "Role"}
        )
        participation.refresh_from_db()
        self.assertEqual(participation.role, ParticipantRole.EXTENDING)
        self.assertEqual(
            participation.history.latest("history_id").history_change_reason, "Role"
        )

    def test_adding_a_participant_to_a_published_agreement_needs_a_reason(self):
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(self.published))
        data = admin_post_data(
            page,
            **{
                "participations-TOTAL_FORMS": "1",
                "participations-0-agreement": str(self.published.pk),
                "participations-0-organization": str(make_organization().pk),
                "participations-0-role": ParticipantRole.FUNDING,
            },
        )
        refused = self.client.post(change_url(self.published), data)
        self.assertContains(refused, "give a reason for adding a participant")
        self.assertFalse(Participation.objects.exists())


class StaleSavesTests(TestCase):
    """Two people save the same record from the same starting point: the second
    save is refused, for every kind of record (finding 5)."""

    def test_the_second_of_two_stale_saves_is_refused(self):
        agreement = make_agreement()
        records = [
            make_organization(),
            make_source_document(),
            make_program_area(),
            make_budget(agreement),
            Participation.objects.create(
                agreement=agreement,
                organization=make_organization(),
                role=ParticipantRole.FUNDING,
            ),
        ]
        for record in records:
            model = type(record)
            with self.subTest(model=model.__name__):
                first = model.objects.get(pk=record.pk)
                second = model.objects.get(pk=record.pk)
                first.save()
                with self.assertRaises(StaleRecordError):
                    second.save()
                self.assertEqual(model.objects.get(pk=record.pk).version, 2)

    def test_a_stale_participant_row_in_the_agreement_form_is_refused(self):
        reviewer = make_user(role="Reviewer")
        agreement = make_agreement(publication=PublicationState.DRAFT)
        participation = Participation.objects.create(
            agreement=agreement,
            organization=make_organization(),
            role=ParticipantRole.FUNDING,
        )
        self.client.force_login(reviewer)
        page = self.client.get(change_url(agreement))
        # Someone else changes the row after the page was opened.
        Participation.objects.get(pk=participation.pk).save()
        response = self.client.post(
            change_url(agreement),
            admin_post_data(
                page, **{"participations-0-role": ParticipantRole.ACCOUNTABLE}
            ),
        )
        self.assertContains(response, "Someone else changed")
        participation.refresh_from_db()
        self.assertEqual(participation.role, ParticipantRole.FUNDING)

    def test_a_stale_change_of_an_agreements_program_areas_is_refused(self):
        reviewer = make_user(role="Reviewer")
        agreement = make_agreement(publication=PublicationState.DRAFT)
        area = make_program_area()
        self.client.force_login(reviewer)
        page = self.client.get(change_url(agreement))
        agreement.title = "Changed elsewhere"
        agreement.save()
        response = self.client.post(
            change_url(agreement),
            admin_post_data(page, program_areas=[str(area.pk)]),
        )
        self.assertContains(response, "Someone else changed")
        self.assertFalse(agreement.program_areas.exists())
        self.assertTrue(ProgramArea.objects.filter(pk=area.pk).exists())
        self.assertTrue(Organization.objects.exists())
