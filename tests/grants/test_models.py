import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.test import TestCase

from grants import ledger
from grants.models import (
    Agreement,
    Amendment,
    Organization,
    ProgramArea,
    PublicationState,
)
from indicators.models import Indicator, Result, ResultStatus
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_program_area,
    make_result,
)


class ConstraintAssertions:
    def assertRefused(self, obj, message, *, save=None):
        """`obj` fails full_clean() with `message`, and the database refuses it too."""
        with self.assertRaises(ValidationError) as caught:
            obj.full_clean()
        self.assertIn(message, caught.exception.messages)
        with self.assertRaises(IntegrityError), transaction.atomic():
            (save or obj.save)()


class AgreementConstraintTests(ConstraintAssertions, TestCase):
    def test_duplicate_code_is_refused(self):
        existing = make_agreement(code="527-0427")
        duplicate = Agreement(
            code="527-0427",
            title="Copy",
            donor=existing.donor,
            recipient=existing.recipient,
        )
        self.assertRefused(duplicate, "An agreement with this code already exists.")

    def test_end_before_start_is_refused(self):
        agreement = make_agreement()
        agreement.start_on = datetime.date(2024, 1, 1)
        agreement.end_on = datetime.date(2023, 12, 31)
        self.assertRefused(agreement, "The end date cannot be before the start date.")

    def test_invalid_status_is_refused(self):
        agreement = make_agreement()
        agreement.status = "finished"
        with self.assertRaises(ValidationError) as caught:
            agreement.full_clean()
        self.assertIn("status", caught.exception.message_dict)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=agreement.pk).update(status="finished")

    def test_invalid_publication_state_is_refused_by_the_database(self):
        agreement = make_agreement()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=agreement.pk).update(publication="public")

    def test_currency_must_be_iso_4217(self):
        agreement = make_agreement()
        agreement.currency = "usd"
        self.assertRefused(
            agreement,
            "Use the three-letter ISO 4217 code in capitals, e.g. USD or PEN.",
        )

    def test_code_must_be_usable_in_a_web_address(self):
        agreement = make_agreement()
        agreement.code = "527/0427"
        with self.assertRaises(ValidationError) as caught:
            agreement.full_clean()
        self.assertIn("code", caught.exception.message_dict)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=agreement.pk).update(code="527/0427")

    def test_donor_and_recipient_must_differ(self):
        agreement = make_agreement()
        agreement.recipient = agreement.donor
        self.assertRefused(agreement, "The donor and the recipient must be different.")

    def test_an_agreement_cannot_be_its_own_framework(self):
        agreement = make_agreement()
        agreement.framework = agreement
        with self.assertRaises(ValidationError):
            agreement.full_clean()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=agreement.pk).update(framework=agreement)

    def test_framework_loops_are_refused(self):
        parent = make_agreement()
        child = make_agreement(framework=parent)
        parent.framework = child
        with self.assertRaisesMessage(
            ValidationError, "This framework would make the agreements a loop."
        ):
            parent.full_clean()

    def test_deleting_a_party_with_agreements_is_refused(self):
        agreement = make_agreement()
        from django.db.models import ProtectedError

        with self.assertRaises(ProtectedError):
            agreement.donor.delete()
        self.assertTrue(Organization.objects.filter(pk=agreement.donor_id).exists())


class OrganizationConstraintTests(ConstraintAssertions, TestCase):
    def test_country_must_be_an_iso_code(self):
        organization = make_organization()
        organization.country = "Peru"
        with self.assertRaises(ValidationError):
            organization.full_clean()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Organization.objects.filter(pk=organization.pk).update(country="pe")

    def test_blank_iati_identifiers_do_not_collide(self):
        make_organization(iati_identifier="")
        second = make_organization(iati_identifier="")
        self.assertIsNone(second.iati_identifier)

    def test_duplicate_iati_identifier_is_refused(self):
        make_organization(iati_identifier="US-GOV-1")
        duplicate = Organization(
            name="Copy", kind="bilateral", iati_identifier="US-GOV-1"
        )
        self.assertRefused(
            duplicate, "Another organization already has this IATI identifier."
        )


class ProgramAreaConstraintTests(ConstraintAssertions, TestCase):
    def test_duplicate_code_is_refused(self):
        make_program_area(code="natural-resources")
        duplicate = ProgramArea(code="natural-resources", name="Copy")
        self.assertRefused(duplicate, "A program area with this code already exists.")

    def test_dac_code_must_have_five_digits(self):
        area = make_program_area()
        area.dac_sector_code = "1515"
        self.assertRefused(area, "The DAC sector code must be 5 digits, e.g. 15150.")

    def test_parent_loops_are_refused(self):
        top = make_program_area()
        child = make_program_area(parent=top)
        top.parent = child
        with self.assertRaisesMessage(
            ValidationError, "This parent would make the areas a loop."
        ):
            top.full_clean()


class AmendmentConstraintTests(ConstraintAssertions, TestCase):
    def setUp(self):
        self.agreement = make_agreement()
        self.first = make_amendment(agreement=self.agreement, amount=Decimal("100.00"))

    def test_duplicate_sequence_is_refused(self):
        duplicate = Amendment(
            agreement=self.agreement, sequence=1, title="Again", amount=Decimal("1.00")
        )
        self.assertRefused(
            duplicate,
            "This agreement already has an amendment with this sequence number.",
        )

    def test_period_end_before_start_is_refused(self):
        self.first.period_start = datetime.date(2024, 1, 1)
        self.first.period_end = datetime.date(2023, 1, 1)
        self.assertRefused(self.first, "The period cannot end before it starts.")

    def test_amount_out_of_range_is_refused(self):
        with self.assertRaises(ValidationError):
            Amendment(
                agreement=self.agreement,
                sequence=2,
                title="Too big",
                amount=Decimal("100000000000000000"),
            ).full_clean()
        # SQLite checks the range constraint; PostgreSQL's numeric(18, 2) overflows first.
        with self.assertRaises((IntegrityError, DataError)), transaction.atomic():
            Amendment.objects.filter(pk=self.first.pk).update(
                amount=Decimal("-99999999999999999")
            )

    def test_negative_stated_total_is_refused(self):
        self.first.stated_cumulative_total = Decimal("-1.00")
        self.assertRefused(
            self.first,
            "The stated cumulative total cannot be negative or out of range.",
        )

    def test_a_de_obligation_within_the_total_is_accepted(self):
        refund = Amendment(
            agreement=self.agreement,
            sequence=2,
            title="Refund",
            amount=Decimal("-100.00"),
        )
        refund.full_clean()
        refund.save()
        self.agreement.refresh_from_db()
        self.assertEqual(self.agreement.total, Decimal("0.00"))

    def test_a_negative_running_total_is_refused_before_anything_is_written(self):
        refund = ledger.Entry(sequence=2, amount=Decimal("-100.01"), published=False)
        with self.assertRaisesMessage(
            ValidationError, "would fall below zero at amendment #2 (USD -0.01)"
        ):
            ledger.check_changes(self.agreement, entries=[refund])

    def test_a_negative_running_total_is_refused_on_save_and_nothing_is_kept(self):
        refund = Amendment(
            agreement=self.agreement,
            sequence=2,
            title="Refund",
            amount=Decimal("-500.00"),
        )
        with self.assertRaisesMessage(ValidationError, "would fall below zero"):
            refund.save()
        self.assertEqual(self.agreement.amendments.count(), 1)

    def test_an_earlier_de_obligation_cannot_precede_the_money(self):
        # The running total is checked in sequence order, not only at the end.
        early = Amendment(
            agreement=self.agreement,
            sequence=0,
            title="Too early",
            amount=Decimal("-1.00"),
        )
        with self.assertRaises(ValidationError):
            early.full_clean()
        late = make_amendment(agreement=self.agreement, amount=Decimal("50.00"))
        late.amount = Decimal("-150.00")
        with self.assertRaisesMessage(ValidationError, "would fall below zero"):
            late.save()
        late.refresh_from_db()
        self.assertEqual(late.amount, Decimal("50.00"))

    def test_deleting_the_money_behind_a_de_obligation_is_refused(self):
        make_amendment(agreement=self.agreement, amount=Decimal("-60.00"))
        pk = self.first.pk
        with self.assertRaisesMessage(ValidationError, "would fall below zero"):
            self.first.delete()
        self.assertTrue(Amendment.objects.filter(pk=pk).exists())

    def test_deleting_an_agreement_with_amendments_is_refused(self):
        from django.db.models import ProtectedError

        with self.assertRaises(ProtectedError):
            self.agreement.delete()


class ResultConstraintTests(ConstraintAssertions, TestCase):
    def test_period_end_before_start_is_refused(self):
        result = make_result()
        result.period_end = datetime.date(2021, 12, 31)
        self.assertRefused(result, "The period cannot end before it starts.")

    def test_invalid_status_is_refused(self):
        result = make_result()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Result.objects.filter(pk=result.pk).update(status="published")

    def test_returning_needs_a_reason(self):
        result = make_result(status=ResultStatus.SUBMITTED)
        result.status = ResultStatus.RETURNED
        self.assertRefused(result, "Give a reason when returning a result.")

    def test_duplicate_fact_is_refused(self):
        agreement = make_agreement()
        first = make_result(agreement=agreement)
        duplicate = Result(
            indicator=first.indicator,
            agreement=agreement,
            period_start=first.period_start,
            period_end=first.period_end,
            actual_value=Decimal("1"),
        )
        self.assertRefused(
            duplicate,
            "A result for this indicator, agreement, period, location and "
            "disaggregation already exists.",
        )

    def test_duplicate_indicator_code_is_refused(self):
        indicator = make_indicator(code="forest-area")
        duplicate = Indicator(
            code="forest-area",
            name="Copy",
            program_area=indicator.program_area,
            unit="hectares",
        )
        self.assertRefused(duplicate, "An indicator with this code already exists.")

    def test_invalid_unit_is_refused(self):
        indicator = make_indicator()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Indicator.objects.filter(pk=indicator.pk).update(unit="acres")


class TotalsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agreement = make_agreement(currency="USD")
        cls.amounts = [Decimal("100.00"), Decimal("250.50"), Decimal("-50.25")]
        cls.amendments = [
            make_amendment(agreement=cls.agreement, amount=amount)
            for amount in cls.amounts
        ]
        cls.amendments[2].stated_cumulative_total = Decimal("300.25")
        cls.amendments[2].save()
        cls.amendments[1].stated_cumulative_total = Decimal("999.00")
        cls.amendments[1].save()

    def test_total_is_the_sum_of_amendments_including_de_obligations(self):
        self.agreement.refresh_from_db()
        self.assertEqual(self.agreement.public_total, Decimal("300.25"))
        self.assertEqual(self.agreement.total, Decimal("300.25"))

    def test_running_totals_are_stored_in_sequence_order(self):
        expected = [Decimal("100.00"), Decimal("350.50"), Decimal("300.25")]
        timeline = self.agreement.amendment_timeline(include_drafts=False)
        self.assertEqual([a.shown_running_total for a in timeline], expected)
        self.assertEqual([a.running_total for a in timeline], expected)

    def test_the_timeline_is_one_query_for_the_whole_agreement(self):
        with self.assertNumQueries(1):
            list(self.agreement.amendment_timeline(include_drafts=False))

    def test_running_total_survives_a_later_filter(self):
        last = (
            Amendment.objects.with_figures(include_drafts=False)
            .filter(amount__lt=0)
            .get()
        )
        self.assertEqual(last.shown_running_total, Decimal("300.25"))

    def test_reconciliation_flags_the_mismatch_only(self):
        states = {
            a.sequence: a.reconciled
            for a in self.agreement.amendment_timeline(include_drafts=False)
        }
        self.assertEqual(states, {1: None, 2: False, 3: True})
        self.agreement.refresh_from_db()
        self.assertEqual(self.agreement.public_unreconciled_count, 1)
        self.assertEqual(self.agreement.public_stated_count, 2)

    def test_reconciliation_can_be_filtered(self):
        mismatched = Amendment.objects.with_figures(include_drafts=False).filter(
            reconciled=False
        )
        self.assertEqual([a.sequence for a in mismatched], [2])

    def test_public_totals_leave_out_draft_amendments(self):
        make_amendment(
            agreement=self.agreement,
            amount=Decimal("1000000.00"),
            publication=PublicationState.DRAFT,
        )
        self.agreement.refresh_from_db()
        self.assertEqual(self.agreement.public_total, Decimal("300.25"))
        self.assertEqual(self.agreement.total, Decimal("1000300.25"))
        staff = Agreement.objects.with_figures(include_drafts=True).get(
            pk=self.agreement.pk
        )
        self.assertEqual(staff.shown_total, Decimal("1000300.25"))

    def test_an_agreement_without_amendments_totals_zero(self):
        empty = make_agreement()
        annotated = Agreement.objects.with_figures(include_drafts=False).get(
            pk=empty.pk
        )
        self.assertEqual(annotated.shown_total, Decimal("0.00"))

    def test_currencies_are_never_added_together(self):
        soles = make_agreement(currency="PEN")
        make_amendment(agreement=soles, amount=Decimal("40.00"))
        totals = {
            row["currency"]: row["total"]
            for row in Agreement.objects.public().totals_by_currency()
        }
        self.assertEqual(totals, {"PEN": Decimal("40.00"), "USD": Decimal("300.25")})


class PublicGateTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.published = make_agreement()
        cls.draft = make_agreement(publication=PublicationState.DRAFT)
        cls.public_amendment = make_amendment(agreement=cls.published)
        cls.draft_amendment = make_amendment(
            agreement=cls.published, publication=PublicationState.DRAFT
        )
        cls.amendment_of_draft = make_amendment(agreement=cls.draft)
        cls.indicator = make_indicator()
        cls.draft_indicator = make_indicator(publication=PublicationState.DRAFT)

    def test_agreements(self):
        self.assertQuerySetEqual(Agreement.objects.public(), [self.published])

    def test_amendments_need_themselves_and_their_agreement_published(self):
        self.assertQuerySetEqual(Amendment.objects.public(), [self.public_amendment])

    def test_indicators(self):
        self.assertQuerySetEqual(Indicator.objects.public(), [self.indicator])

    def test_results_need_approval_and_published_parents(self):
        visible = make_result(indicator=self.indicator, agreement=self.published)
        unlinked = make_result(
            indicator=self.indicator, period_start=datetime.date(2021, 1, 1)
        )
        hidden = [
            make_result(indicator=self.indicator, status=status, location=status)
            for status in (ResultStatus.DRAFT, ResultStatus.SUBMITTED)
        ]
        hidden.append(make_result(indicator=self.draft_indicator))
        hidden.append(make_result(indicator=self.indicator, agreement=self.draft))
        public = set(Result.objects.public())
        self.assertEqual(public, {visible, unlinked})
        self.assertFalse(public & set(hidden))
