"""The ledger (grants/ledger.py): stored figures equal a recomputation after every
kind of write, public totals never negative, publication in whole steps."""

import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import TestCase
from django.urls import reverse

from grants import ledger
from grants.models import Agreement, Amendment, PublicationState
from grants.workflow import publication_publish, publication_unpublish
from tests.admin_forms import admin_post_data
from tests.factories import make_agreement, make_amendment, make_user

DRAFT, PUBLISHED = PublicationState.DRAFT, PublicationState.PUBLISHED


class LedgerAssertions:
    def assertLedgerTrue(self):
        self.assertEqual([str(d) for d in ledger.differences()], [])

    def figures(self, agreement):
        agreement.refresh_from_db()
        return agreement.total, agreement.public_total


class StoredFiguresTests(LedgerAssertions, TestCase):
    def setUp(self):
        self.agreement = make_agreement()
        self.first = make_amendment(agreement=self.agreement, amount=Decimal("100.00"))

    def test_every_kind_of_write_keeps_the_stored_figures_true(self):
        second = make_amendment(
            agreement=self.agreement, amount=Decimal("-30.00"), publication=DRAFT
        )
        self.assertLedgerTrue()
        self.assertEqual(self.figures(self.agreement), (70, 100))
        second.amount = Decimal("-40.00")
        second.save()
        self.assertEqual(self.figures(self.agreement), (60, 100))
        second.publication = PUBLISHED
        second.save()
        self.assertEqual(self.figures(self.agreement), (60, 60))
        Amendment.objects.filter(pk=second.pk).update(amount=Decimal("-10.00"))
        self.assertEqual(self.figures(self.agreement), (90, 90))
        other = make_agreement()
        Amendment.objects.bulk_create(
            [Amendment(agreement=other, sequence=1, title="Bulk", amount=Decimal("5"))]
        )
        self.assertEqual(self.figures(other), (5, 0))
        second.delete()
        self.assertEqual(self.figures(self.agreement), (100, 100))
        Amendment.objects.filter(agreement=other).delete()
        self.assertEqual(self.figures(other), (0, 0))
        self.assertLedgerTrue()

    def test_an_amendment_moved_to_another_agreement_moves_its_money(self):
        other = make_agreement()
        self.first.agreement = other
        self.first.save()
        self.assertEqual(self.figures(self.agreement), (0, 0))
        self.assertEqual(self.figures(other), (100, 100))
        self.assertLedgerTrue()

    def test_a_queryset_update_moving_amendments_recomputes_both_agreements(self):
        other = make_agreement()
        Amendment.objects.filter(agreement=self.agreement).update(agreement=other)
        self.assertEqual(self.figures(self.agreement), (0, 0))
        self.assertEqual(self.figures(other), (100, 100))
        self.assertLedgerTrue()

    def test_a_stale_copy_of_an_agreement_does_not_write_back_old_figures(self):
        stale = Agreement.objects.get(pk=self.agreement.pk)
        make_amendment(agreement=self.agreement, amount=Decimal("50.00"))
        stale.summary = "Edited"
        stale.save()
        self.assertEqual(self.figures(self.agreement), (150, 150))
        self.assertLedgerTrue()

    def test_the_database_refuses_a_negative_figure_whatever_writes_it(self):
        for model, field in [
            (Amendment, "running_total"),
            (Amendment, "public_running_total"),
            (Agreement, "public_total"),
        ]:
            with self.subTest(field=field):
                row = self.first if model is Amendment else self.agreement
                with self.assertRaises(IntegrityError), transaction.atomic():
                    model.objects.filter(pk=row.pk).update(**{field: Decimal("-1")})

    def test_history_keeps_the_amounts_not_the_figures(self):
        fields = {f.name for f in Amendment.history.model._meta.fields}
        self.assertIn("amount", fields)
        self.assertFalse(fields & set(ledger.FIGURES["amendment"]))


class PublicTotalsTests(LedgerAssertions, TestCase):
    """Publishing only a de-obligation showed the public USD -2.5 million."""

    def setUp(self):
        self.reviewer = make_user(role="Reviewer")
        self.agreement = make_agreement(code="PUB-1")
        self.obligation = make_amendment(
            agreement=self.agreement, amount=Decimal("10000000"), publication=DRAFT
        )
        self.take_back = make_amendment(
            agreement=self.agreement, amount=Decimal("-2500000"), publication=DRAFT
        )

    def test_publishing_only_a_de_obligation_is_refused_with_what_to_publish_first(
        self,
    ):
        with self.assertRaises(ValidationError) as caught:
            publication_publish(obj=self.take_back, user=self.reviewer)
        message = " ".join(caught.exception.messages)
        self.assertIn(
            "public running total would fall below zero at amendment #2", message
        )
        self.assertIn("USD -2,500,000.00", message)
        self.assertIn("Publish the obligations before it (#1)", message)
        self.assertEqual(self.figures(self.agreement), (7500000, 0))

    def test_unpublishing_the_money_behind_a_public_de_obligation_is_refused(self):
        publication_publish(obj=self.obligation, user=self.reviewer)
        publication_publish(obj=self.take_back, user=self.reviewer)
        with self.assertRaisesMessage(
            ValidationError, "unpublish the de-obligations (#2)"
        ):
            publication_unpublish(obj=self.obligation, user=self.reviewer, reason="x")
        self.obligation.refresh_from_db()
        self.assertEqual(self.obligation.publication, PUBLISHED)

    def test_the_public_total_is_never_negative_in_any_order_of_the_actions(self):
        self.client.force_login(self.reviewer)
        url = reverse("admin:grants_amendment_changelist")
        response = self.client.post(
            url,
            {"action": "publish_selected", "_selected_action": [self.take_back.pk]},
            follow=True,
        )
        self.assertContains(response, "Nothing was changed")
        self.assertContains(response, "Publish the obligations before it (#1)")
        response = self.client.post(
            url,
            {
                "action": "publish_selected",
                "_selected_action": [self.take_back.pk, self.obligation.pk],
            },
            follow=True,
        )
        self.assertContains(response, "Published 2 records.")
        self.assertEqual(self.figures(self.agreement), (7500000, 7500000))
        self.assertLedgerTrue()

    def test_deleting_the_money_behind_a_de_obligation_is_refused_in_the_admin(self):
        admin = make_user(is_superuser=True)
        self.client.force_login(admin)
        response = self.client.post(
            reverse("admin:grants_amendment_changelist"),
            {"action": "delete_selected", "_selected_action": [self.obligation.pk]},
        )
        self.assertContains(response, "PUB-1: The running total would fall below zero")
        self.assertTrue(Amendment.objects.filter(pk=self.obligation.pk).exists())


class PublishAgreementTests(LedgerAssertions, TestCase):
    def setUp(self):
        self.reviewer = make_user(role="Reviewer")
        self.client.force_login(self.reviewer)
        self.agreement = make_agreement(code="WHOLE-1", publication=DRAFT)
        for amount in ("100.00", "-40.00", "25.00"):
            make_amendment(
                agreement=self.agreement, amount=Decimal(amount), publication=DRAFT
            )

    def test_the_action_offers_the_drafts_then_publishes_all_in_one_step(self):
        url = reverse("admin:grants_agreement_changelist")
        selected = {
            "action": "publish_selected",
            "_selected_action": [self.agreement.pk],
        }
        response = self.client.post(url, selected)
        self.assertContains(response, "Draft #2")
        self.assertContains(response, "Also publish their draft amendments")
        self.assertEqual(self.agreement.amendments.drafts().count(), 3)
        response = self.client.post(
            url, {**selected, "apply": "1", "publish_drafts": "1"}, follow=True
        )
        self.assertContains(response, "Published 1 record.")
        self.assertEqual(self.agreement.amendments.drafts().count(), 0)
        self.assertEqual(self.figures(self.agreement), (85, 85))
        home = self.client.get(reverse("grants:home"), {"view": "public"})
        self.assertContains(home, "USD 85.00")
        self.assertLedgerTrue()

    def test_the_action_can_leave_the_drafts_alone(self):
        url = reverse("admin:grants_agreement_changelist")
        self.client.post(
            url,
            {
                "action": "publish_selected",
                "_selected_action": [self.agreement.pk],
                "apply": "1",
            },
        )
        self.agreement.refresh_from_db()
        self.assertEqual(self.agreement.publication, PUBLISHED)
        self.assertEqual(self.agreement.amendments.drafts().count(), 3)

    def test_the_change_form_publishes_the_drafts_with_the_agreement(self):
        url = reverse("admin:grants_agreement_change", args=[self.agreement.pk])
        page = self.client.get(url)
        self.assertContains(page, "Also publish its draft amendments")
        data = admin_post_data(page, publication=PUBLISHED, publish_drafts="on")
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        self.assertEqual(self.agreement.amendments.drafts().count(), 0)
        self.assertEqual(self.figures(self.agreement), (85, 85))
        history = self.agreement.amendments.get(sequence=2).history.first()
        self.assertEqual(history.history_change_reason, "Published")


class InlineTests(LedgerAssertions, TestCase):
    def setUp(self):
        self.client.force_login(make_user(is_superuser=True))
        self.agreement = make_agreement()
        self.first = make_amendment(agreement=self.agreement, amount=Decimal("100.00"))
        self.url = reverse("admin:grants_agreement_change", args=[self.agreement.pk])

    def post(self, **changes):
        page = self.client.get(self.url)
        data = admin_post_data(
            page, change_reason="Per the signed amendment", **changes
        )
        return self.client.post(self.url, data)

    def new_row(self, index, sequence, amount, publication=PUBLISHED):
        prefix = f"amendments-{index}-"
        return {
            "amendments-TOTAL_FORMS": str(index + 1),
            f"{prefix}agreement": self.agreement.pk,
            f"{prefix}sequence": str(sequence),
            f"{prefix}title_en": "Refund",
            f"{prefix}amount": amount,
            f"{prefix}publication": publication,
        }

    def test_raising_one_and_adding_a_de_obligation_in_one_save_is_accepted(self):
        response = self.post(
            **{"amendments-0-amount": "200,00"}, **self.new_row(1, 2, "-150,00")
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.figures(self.agreement), (50, 50))
        self.assertLedgerTrue()

    def test_the_form_is_checked_as_submitted_not_as_stored(self):
        response = self.post(
            **{"amendments-0-amount": "50"}, **self.new_row(1, 2, "-60")
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "would fall below zero at amendment #2")
        self.assertEqual(self.figures(self.agreement), (100, 100))

    def test_a_row_marked_for_deletion_counts_as_gone(self):
        make_amendment(agreement=self.agreement, amount=Decimal("-60.00"))
        response = self.post(**{"amendments-0-DELETE": "on"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "would fall below zero at amendment #2")

    def test_an_ambiguous_amount_is_refused_and_nothing_is_saved(self):
        response = self.post(**{"amendments-0-amount": "92.500"})
        self.assertContains(response, "can be read as 92500 or as 92.5")
        self.assertEqual(self.figures(self.agreement), (100, 100))

    def test_the_add_form_shows_no_total_and_no_reconciliation_mark(self):
        response = self.client.get(reverse("admin:grants_agreement_add"))
        self.assertNotContains(response, "bound method")
        self.assertNotContains(response, "USD 0.00")
        self.assertNotContains(response, "icon-yes")
        self.assertNotContains(response, "✓")
        self.assertNotContains(response, "<p>None</p>")
        # The agreement's total and reconciliation, its payments' empty row, and
        # the two of the empty amendment the stacked inline keeps as its template.
        self.assertContains(response, '<div class="readonly">—</div>', count=5)

    def test_the_spanish_admin_reads_a_decimal_comma(self):
        response = self.client.post(
            self.url,
            admin_post_data(
                self.client.get(self.url),
                change_reason="Per the signed amendment",
                **{"amendments-0-amount": "92,5"},
            ),
            headers={"accept-language": "es"},
        )
        self.assertEqual(response.status_code, 302)
        self.first.refresh_from_db()
        self.assertEqual(self.first.amount, Decimal("92.50"))


class CheckLedgerTests(LedgerAssertions, TestCase):
    def test_the_seed_is_true_and_a_raw_sql_change_is_caught_then_fixed(self):
        call_command("load_seed", verbosity=0)
        out = io.StringIO()
        call_command("check_ledger", stdout=out)
        self.assertIn("The ledger is true", out.getvalue())
        table = Amendment._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET amount = amount + 1 WHERE sequence = 1"  # noqa: S608
            )
        out = io.StringIO()
        with self.assertRaisesMessage(CommandError, "stored figures differ"):
            call_command("check_ledger", stdout=out)
        self.assertIn(
            "agreement 527-0427: total is 202900000.00, the amounts give 202900001.00",
            out.getvalue(),
        )
        call_command("check_ledger", fix=True, stdout=io.StringIO())
        self.assertLedgerTrue()

    def test_generate_demo_stores_true_figures(self):
        call_command(
            "generate_demo", agreements=20, results=50, seed=2, stdout=io.StringIO()
        )
        call_command("check_ledger", stdout=io.StringIO())
        self.assertLedgerTrue()


class EarlierTransactionsUnpublishedTests(TestCase):
    """The ledger's one exception to "never below zero": an agreement whose source
    publishes only a recent window of transactions."""

    def test_the_rule_allows_a_negative_running_total_for_that_reason_only(self):
        entries = [
            ledger.Entry(sequence=1, amount=Decimal("100.00"), published=False),
            ledger.Entry(sequence=2, amount=Decimal("-300.00"), published=False),
        ]
        with self.assertRaises(ValidationError):
            ledger.check(entries, currency="USD")
        book = ledger.check(entries, currency="USD", opening_unknown=True)
        self.assertEqual(book.totals.total, Decimal("-200.00"))

    def test_a_marked_agreement_stores_negative_figures_and_an_unmarked_one_refuses(
        self,
    ):
        marked = make_agreement(code="WINDOW-1", earlier_transactions_unpublished=True)
        make_amendment(agreement=marked, sequence=1, amount=Decimal("100.00"))
        make_amendment(agreement=marked, sequence=2, amount=Decimal("-300.00"))
        marked.refresh_from_db()
        self.assertEqual(marked.total, Decimal("-200.00"))
        second = marked.amendments.get(sequence=2)
        self.assertEqual(second.running_total, Decimal("-200.00"))
        self.assertIs(second.opening_unknown, True)

        plain = make_agreement(code="PLAIN-1")
        make_amendment(agreement=plain, sequence=1, amount=Decimal("100.00"))
        with self.assertRaisesMessage(ValidationError, "below zero"):
            make_amendment(agreement=plain, sequence=2, amount=Decimal("-300.00"))

    def test_the_database_refuses_clearing_the_mark_under_negative_totals(self):
        marked = make_agreement(code="WINDOW-2", earlier_transactions_unpublished=True)
        make_amendment(agreement=marked, sequence=1, amount=Decimal("-50.00"))
        with self.assertRaises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=marked.pk).update(
                earlier_transactions_unpublished=False
            )
        with self.assertRaises(IntegrityError), transaction.atomic():
            Amendment.objects.filter(agreement=marked).update(opening_unknown=False)
