"""Money paid out: disbursements and expenditure, their totals in the ledger, and
everywhere the public sees them (agreement page, lists, overview, CSV, IATI)."""

import csv
import datetime
import io
from decimal import Decimal

from lxml import etree

from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from grants import ledger
from grants.models import Agreement, Disbursement, DisbursementKind, PublicationState
from indicators.iati.codelists import schema_errors
from tests.factories import (
    make_agreement,
    make_amendment,
    make_organization,
    make_user,
)
from tests.indicators.iati_support import codelist_errors
from tests.indicators.test_import import ImportTestCase, csv_file

PUBLISHED, DRAFT = PublicationState.PUBLISHED, PublicationState.DRAFT
DISBURSEMENT, EXPENDITURE = DisbursementKind.DISBURSEMENT, DisbursementKind.EXPENDITURE


def make_payment(agreement, amount, *, date="2024-01-15", **overrides):
    values = {
        "agreement": agreement,
        "kind": DISBURSEMENT,
        "date": date,
        "amount": Decimal(amount),
        "publication": PUBLISHED,
    }
    values.update(overrides)
    return Disbursement.objects.create(**values)


def figures(agreement):
    agreement.refresh_from_db()
    return {
        name: getattr(agreement, name)
        for name in (
            "disbursed",
            "public_disbursed",
            "spent",
            "public_spent",
            "disbursement_count",
            "public_disbursement_count",
            "disbursed_share",
            "public_disbursed_share",
        )
    }


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


class LedgerTests(TestCase):
    def setUp(self):
        self.agreement = make_agreement()
        make_amendment(agreement=self.agreement, amount=Decimal("202900000.00"))

    def test_every_kind_of_write_keeps_the_totals_and_the_share(self):
        first = make_payment(self.agreement, "92500000.00")
        make_payment(self.agreement, "1000000.00", publication=DRAFT)
        make_payment(self.agreement, "500000.00", kind=EXPENDITURE)
        self.assertEqual(
            figures(self.agreement),
            {
                "disbursed": Decimal("93500000.00"),
                "public_disbursed": Decimal("92500000.00"),
                "spent": Decimal("500000.00"),
                "public_spent": Decimal("500000.00"),
                "disbursement_count": 3,
                "public_disbursement_count": 2,
                # 93.5 / 202.9 = 46.0817…%, 92.5 / 202.9 = 45.5889…%: rounded down.
                "disbursed_share": Decimal("46.08"),
                "public_disbursed_share": Decimal("45.58"),
            },
        )
        first.amount = Decimal("-1.00")
        with self.assertRaises(ValidationError):
            first.save()  # more returned than paid before it
        Disbursement.objects.filter(pk=first.pk).update(amount=Decimal("10.00"))
        self.assertEqual(figures(self.agreement)["public_disbursed"], Decimal("10.00"))
        Disbursement.objects.filter(publication=DRAFT).update(publication=PUBLISHED)
        self.assertEqual(figures(self.agreement)["public_disbursement_count"], 3)
        Disbursement.objects.filter(kind=EXPENDITURE).delete()
        self.assertEqual(figures(self.agreement)["spent"], Decimal("0.00"))
        first.refresh_from_db()
        first.delete()
        self.assertEqual(figures(self.agreement)["disbursed"], Decimal("1000000.00"))
        Disbursement.objects.bulk_create(
            [
                Disbursement(
                    agreement=self.agreement,
                    kind=DISBURSEMENT,
                    date="2025-01-01",
                    amount=Decimal("201900000.00"),
                    publication=PUBLISHED,
                )
            ]
        )
        self.assertEqual(figures(self.agreement)["disbursed_share"], Decimal("100.00"))
        self.assertEqual(list(ledger.differences()), [])

    def test_a_reimbursement_of_more_than_was_paid_before_it_is_refused(self):
        make_payment(self.agreement, "100.00", date="2024-01-01")
        with self.assertRaisesMessage(
            ValidationError, "The disbursed total would fall below zero"
        ):
            make_payment(self.agreement, "-150.00", date="2024-02-01")
        # Dated before the payment it would return, even a small one is refused.
        with self.assertRaisesMessage(ValidationError, "would fall below zero"):
            make_payment(self.agreement, "-50.00", date="2023-12-01")
        make_payment(self.agreement, "-50.00", date="2024-02-01")
        self.assertEqual(figures(self.agreement)["disbursed"], Decimal("50.00"))

    def test_the_public_never_sees_a_negative_disbursed_total(self):
        make_payment(self.agreement, "100.00", date="2024-01-01", publication=DRAFT)
        with self.assertRaisesMessage(
            ValidationError, "The public disbursed total would fall below zero"
        ):
            make_payment(self.agreement, "-60.00", date="2024-02-01")
        make_payment(self.agreement, "10.00", kind=EXPENDITURE, publication=DRAFT)
        with self.assertRaisesMessage(ValidationError, "public spent total"):
            make_payment(self.agreement, "-10.00", kind=EXPENDITURE)

    def test_a_payment_dated_in_the_future_is_refused(self):
        tomorrow_everywhere = timezone.now().date() + datetime.timedelta(days=2)
        payment = Disbursement(
            agreement=self.agreement,
            kind=DISBURSEMENT,
            date=tomorrow_everywhere,
            amount=Decimal("1.00"),
        )
        with self.assertRaisesMessage(ValidationError, "cannot be in the future"):
            payment.full_clean()
        payment.date = timezone.now().date()
        payment.full_clean()

    def test_no_commitment_or_no_disbursement_gives_no_share(self):
        empty = make_agreement()
        make_payment(empty, "5.00")
        self.assertIsNone(figures(empty)["disbursed_share"])
        make_payment(self.agreement, "5.00", kind=EXPENDITURE)
        self.assertIsNone(figures(self.agreement)["disbursed_share"])
        make_payment(self.agreement, "0.00")
        self.assertEqual(figures(self.agreement)["disbursed_share"], Decimal("0.00"))

    def test_the_database_and_python_round_the_share_alike(self):
        # 1 / 3 and 2 / 3: the same rounding down in SQL and in the ledger's check.
        for committed, paid, share in (
            ("3.00", "1.00", "33.33"),
            ("3.00", "2.00", "66.66"),
            ("0.07", "1000000.00", "1428571428.57"),
        ):
            with self.subTest(committed=committed, paid=paid):
                agreement = make_agreement()
                make_amendment(agreement=agreement, amount=Decimal(committed))
                make_payment(agreement, paid)
                self.assertEqual(figures(agreement)["disbursed_share"], Decimal(share))
                self.assertEqual(
                    ledger.share(Decimal(paid), Decimal(committed)), Decimal(share)
                )
        self.assertEqual(list(ledger.differences()), [])

    def test_check_ledger_catches_an_amount_changed_in_sql(self):
        payment = make_payment(self.agreement, "100.00")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Disbursement._meta.db_table} SET amount = 90 WHERE id = %s",
                [payment.pk],
            )
        found = {(d.field, d.stored, d.computed) for d in ledger.differences()}
        self.assertIn(("disbursed", Decimal("100.00"), Decimal("90.00")), found)
        out = io.StringIO()
        with self.assertRaisesMessage(CommandError, "2 stored figures differ"):
            call_command("check_ledger", stdout=out)
        self.assertIn("disbursed is 100.00, the amounts give 90.00", out.getvalue())


class PublicPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.usaid = make_organization(name="USAID", country="US")
        cls.apci = make_organization(name="APCI")
        cls.agreement = make_agreement(
            code="527-0427", donor=cls.usaid, recipient=cls.apci
        )
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("110400000.00"),
            signed_on="2019-09-30",
        )
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("92500000.00"),
            signed_on="2023-06-01",
        )
        make_payment(
            cls.agreement,
            "60000000.00",
            date="2021-03-01",
            provider=cls.usaid,
            receiver=cls.apci,
        )
        make_payment(cls.agreement, "78000000.00", date="2023-09-01")
        make_payment(cls.agreement, "5000000.00", date="2024-01-10", kind=EXPENDITURE)
        cls.draft_payment = make_payment(
            cls.agreement, "777777.00", date="2024-05-05", publication=DRAFT
        )
        cls.over = make_agreement(code="OVER-1")
        make_amendment(agreement=cls.over, amount=Decimal("100.00"))
        make_payment(cls.over, "130.00")
        cls.unpaid = make_agreement(code="UNPAID-1")
        make_amendment(agreement=cls.unpaid, amount=Decimal("100.00"))
        cls.hidden = make_agreement(code="HIDDEN-1", publication=DRAFT)
        make_amendment(agreement=cls.hidden, amount=Decimal("100.00"))
        make_payment(cls.hidden, "66.00", date="2022-02-02")

    def test_the_agreement_page_says_how_much_of_the_commitment_was_paid(self):
        page = self.client.get(self.agreement.get_absolute_url())
        # 138 of 202.9 million: 68.01…%, shown rounded down to one decimal.
        self.assertContains(
            page, "68.0\u00a0% of the committed amount has been disbursed"
        )
        self.assertContains(page, "USD 138,000,000.00")
        self.assertContains(page, "USD 5,000,000.00")  # spent
        self.assertNotContains(page, "777,777.00")  # the draft
        self.assertNotContains(page, 'data-testid="over-disbursed"')
        self.assertContains(page, 'id="execution-chart-title"')
        self.assertContains(page, "USAID → APCI")
        # The chart's table: committed and disbursed to date at each date.
        rows = page.context["execution"]["chart_rows"]
        self.assertEqual(
            [(str(r["date"]), r["committed"], r["disbursement"]) for r in rows],
            [
                ("2019-09-30", Decimal("110400000.00"), 0),
                ("2021-03-01", Decimal("110400000.00"), Decimal("60000000.00")),
                ("2023-06-01", Decimal("202900000.00"), Decimal("60000000.00")),
                ("2023-09-01", Decimal("202900000.00"), Decimal("138000000.00")),
                ("2024-01-10", Decimal("202900000.00"), Decimal("138000000.00")),
            ],
        )

    def test_staff_see_the_draft_counted_and_marked(self):
        self.client.force_login(make_user(role="Reviewer"))
        page = self.client.get(self.agreement.get_absolute_url())
        self.assertContains(page, "777,777.00")
        self.assertEqual(
            page.context["execution"]["disbursed"], Decimal("138777777.00")
        )
        public = self.client.get(self.agreement.get_absolute_url() + "?view=public")
        self.assertNotContains(public, "777,777.00")

    def test_more_disbursed_than_committed_is_flagged(self):
        page = self.client.get(self.over.get_absolute_url())
        self.assertContains(page, 'data-testid="over-disbursed"')
        self.assertContains(
            page, "More has been disbursed than committed, by USD 30.00"
        )
        self.assertContains(page, "130.0\u00a0% of the committed amount")

    def test_no_disbursement_is_said_rather_than_zero_percent(self):
        page = self.client.get(self.unpaid.get_absolute_url())
        self.assertContains(
            page, "No disbursement has been published for this agreement."
        )
        self.assertNotContains(page, "0.0\u00a0%")

    def test_the_page_in_spanish(self):
        page = self.client.get(
            self.agreement.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es"
        )
        self.assertContains(page, "68,0\u00a0% del monto comprometido")
        self.assertContains(page, "Dinero desembolsado")

    def test_the_disbursements_list_shows_public_payments_only(self):
        page = self.client.get(reverse("grants:disbursement-list"))
        self.assertEqual(page.context["matching_count"], 4)
        self.assertNotContains(page, "777,777.00")
        self.assertNotContains(page, "HIDDEN-1")

    def test_the_disbursements_list_filters_and_its_csv_agree(self):
        list_url = reverse("grants:disbursement-list")
        cases = {
            "kind=expenditure": 1,
            "year=2023": 1,
            "amount_min=60000000&amount_max=78000000": 2,
            "agreement=527-0427": 3,
            "agreement=hidden-1": 0,
            f"donor={self.usaid.pk}": 3,
            "q=over": 1,
        }
        for query, count in cases.items():
            with self.subTest(query=query):
                page = self.client.get(f"{list_url}?{query}")
                self.assertEqual(page.context["matching_count"], count)
                rows = csv_rows(self.client.get(f"{list_url}?{query}&format=csv"))
                self.assertEqual(len(rows), count)
        rows = csv_rows(self.client.get(f"{list_url}?format=csv&sort=amount"))
        amounts = [Decimal(r["amount"]) for r in rows]
        self.assertEqual(len(amounts), 4)
        self.assertEqual(amounts, sorted(amounts))
        self.assertEqual(rows[0]["kind"], "disbursement")
        bad = self.client.get(f"{list_url}?year=abc&format=csv")
        self.assertEqual(bad.status_code, 400)

    def test_the_agreements_list_sorts_and_filters_on_the_share(self):
        list_url = reverse("grants:agreement-list")
        page = self.client.get(f"{list_url}?share_max=100")
        self.assertEqual(
            [row.record.code for row in page.context["table"].paginated_rows],
            ["527-0427"],
        )
        page = self.client.get(f"{list_url}?share_min=100")
        self.assertEqual(
            [row.record.code for row in page.context["table"].paginated_rows],
            ["OVER-1"],
        )
        page = self.client.get(f"{list_url}?sort=-disbursed_share")
        self.assertFalse(page.context["sort_refused"])
        codes = [row.record.code for row in page.context["table"].paginated_rows]
        # Agreements with no share (nothing disbursed, or nothing committed) come
        # last going down and first going up, on every database.
        self.assertEqual(codes, ["OVER-1", "527-0427", "UNPAID-1"])
        page = self.client.get(f"{list_url}?sort=disbursed_share")
        codes = [row.record.code for row in page.context["table"].paginated_rows]
        self.assertEqual(codes, ["UNPAID-1", "527-0427", "OVER-1"])
        self.assertContains(page, "68.0\u00a0%")
        rows = csv_rows(self.client.get(f"{list_url}?format=csv&share_max=100"))
        self.assertEqual(
            [(r["code"], r["disbursed"], r["share_disbursed"]) for r in rows],
            [("527-0427", "138000000.00", "68.01")],
        )

    def test_the_overview_gives_committed_and_disbursed_per_currency(self):
        make_amendment(
            agreement=make_agreement(currency="PEN"), amount=Decimal("5000.00")
        )
        page = self.client.get(reverse("grants:home"))
        usd = {row["currency"]: row for row in page.context["totals"]}["USD"]
        self.assertEqual(usd["disbursed"], Decimal("138000130.00"))
        self.assertEqual(usd["paid_agreements"], 2)
        self.assertContains(page, 'data-testid="disbursed-USD"')
        self.assertContains(page, "No disbursement published")  # PEN

    def test_the_iati_export_carries_public_payments_as_transactions(self):
        with override_settings(
            IATI_REPORTING_ORG_REF="XM-TEST", IATI_REPORTING_ORG_NAME="Test"
        ):
            response = self.client.get(reverse("iati:activities"))
        root = etree.fromstring(response.getvalue())
        self.assertEqual(schema_errors(root), [])
        self.assertEqual(codelist_errors(root), [])
        activity = next(
            a
            for a in root.findall("iati-activity")
            if a.findtext("other-identifier") is not None
            and a.find("other-identifier").get("ref") == "527-0427"
        )
        payments = [
            (
                t.find("transaction-type").get("code"),
                t.find("transaction-date").get("iso-date"),
                t.findtext("value"),
            )
            for t in activity.findall("transaction")
            if t.find("transaction-type").get("code") != "2"
        ]
        self.assertEqual(
            payments,
            [
                ("3", "2021-03-01", "60000000.00"),
                ("3", "2023-09-01", "78000000.00"),
                ("4", "2024-01-10", "5000000.00"),
            ],
        )
        first = activity.findall("transaction")[2]
        self.assertEqual(first.find("provider-org/narrative").text, "USAID")
        self.assertEqual(first.find("receiver-org/narrative").text, "APCI")


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.official = make_user(role="Data entry")
        cls.reviewer = make_user(role="Reviewer")
        # A draft: data entry may change it (a published one is a reviewer's).
        cls.agreement = make_agreement(code="527-0427", publication=DRAFT)
        make_amendment(agreement=cls.agreement, amount=Decimal("1000.00"))

    def test_data_entry_adds_a_draft_and_a_too_large_reimbursement_is_refused(self):
        from tests.admin_forms import admin_post_data

        self.client.force_login(self.official)
        url = reverse("admin:grants_agreement_change", args=[self.agreement.pk])
        page = self.client.get(url)
        row = {
            "disbursements-TOTAL_FORMS": "2",
            "disbursements-0-agreement": str(self.agreement.pk),
            "disbursements-0-kind": DISBURSEMENT,
            "disbursements-0-date": "2024-01-01",
            "disbursements-0-amount": "400,00",
            "disbursements-0-publication": PUBLISHED,  # read-only for data entry
            "disbursements-1-agreement": str(self.agreement.pk),
            "disbursements-1-kind": DISBURSEMENT,
            "disbursements-1-date": "2024-02-01",
            "disbursements-1-amount": "-500,00",
        }
        refused = self.client.post(url, admin_post_data(page, **row))
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "The disbursed total would fall below zero")
        self.assertFalse(Disbursement.objects.exists())
        row["disbursements-1-amount"] = "-100,00"
        saved = self.client.post(url, admin_post_data(page, **row))
        self.assertEqual(saved.status_code, 302)
        self.assertEqual(
            sorted(Disbursement.objects.values_list("amount", "publication")),
            [(Decimal("-100.00"), DRAFT), (Decimal("400.00"), DRAFT)],
        )
        self.assertEqual(figures(self.agreement)["disbursed"], Decimal("300.00"))
        self.assertEqual(figures(self.agreement)["public_disbursed"], Decimal("0.00"))

    def test_the_reviewer_publishes_from_the_changelist(self):
        payment = make_payment(self.agreement, "250.00", publication=DRAFT)
        self.client.force_login(self.reviewer)
        changelist = reverse("admin:grants_disbursement_changelist")
        page = self.client.get(changelist + "?kind__exact=disbursement")
        self.assertContains(page, "USD 250.00")
        self.client.post(
            changelist,
            {"action": "publish_selected", "_selected_action": [payment.pk]},
        )
        payment.refresh_from_db()
        self.assertEqual(payment.publication, PUBLISHED)
        self.assertEqual(figures(self.agreement)["public_disbursed"], Decimal("250.00"))
        self.assertEqual(figures(self.agreement)["public_disbursed_share"], 25)

    def test_data_entry_cannot_publish(self):
        payment = make_payment(self.agreement, "250.00", publication=DRAFT)
        self.client.force_login(self.official)
        self.client.post(
            reverse("admin:grants_disbursement_changelist"),
            {"action": "publish_selected", "_selected_action": [payment.pk]},
        )
        payment.refresh_from_db()
        self.assertEqual(payment.publication, DRAFT)

    def test_a_deletion_that_would_go_below_zero_is_refused(self):
        first = make_payment(self.agreement, "100.00", date="2024-01-01")
        make_payment(self.agreement, "-80.00", date="2024-02-01")
        self.client.force_login(self.reviewer)
        page = self.client.get(
            reverse("admin:grants_disbursement_delete", args=[first.pk])
        )
        self.assertContains(page, "would fall below zero")
        self.assertTrue(Disbursement.objects.filter(pk=first.pk).exists())


class AgreementModelTests(TestCase):
    def test_history_leaves_the_figures_out(self):
        agreement = make_agreement()
        make_amendment(agreement=agreement, amount=Decimal("10.00"))
        make_payment(agreement, "5.00")
        history = Agreement.history.model
        fields = {f.name for f in history._meta.get_fields()}
        self.assertNotIn("disbursed", fields)
        self.assertNotIn("public_disbursed_share", fields)
        self.assertEqual(Disbursement.history.count(), 1)


class SpreadsheetImportTests(ImportTestCase):
    app = "grants"
    model = "disbursement"
    HEADER = "agreement,kind,date,amount,provider,receiver,description"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_amendment(agreement=cls.agreement, amount=Decimal("202900000.00"))
        cls.usaid = make_organization(
            name="Agencia de los Estados Unidos", acronym="USAID"
        )

    def payments_file(self, *rows):
        return csv_file(*rows, name="desembolsos.csv", header=self.HEADER)

    def test_payments_arrive_as_drafts_and_reimport_changes_nothing(self):
        rows = [
            "527-0427,disbursement,2024-06-30,5000000.00,USAID,,Primer desembolso",
            "527-0427,Desembolso,2024-09-30,2500000.00,usaid,,",
            "527-0427,gasto,2024-10-31,1000000.00,,,",
        ]
        self.import_file(self.payments_file(*rows))
        payments = list(
            Disbursement.objects.order_by("date").values_list(
                "kind", "amount", "provider__acronym", "publication"
            )
        )
        self.assertEqual(
            payments,
            [
                (DISBURSEMENT, Decimal("5000000.00"), "USAID", DRAFT),
                (DISBURSEMENT, Decimal("2500000.00"), "USAID", DRAFT),
                (EXPENDITURE, Decimal("1000000.00"), None, DRAFT),
            ],
        )
        self.assertEqual(figures(self.agreement)["disbursed"], Decimal("7500000.00"))
        preview, _ = self.import_file(self.payments_file(*rows))
        self.assertEqual(preview.job.report["totals"]["skip"], 3)

    def test_a_spanish_excel_file_of_payments_and_its_reimport(self):
        # What Excel saves in a Spanish locale: Windows-1252, semicolons, decimal
        # commas. The amount is part of a payment's key, so it is read in the
        # file's convention when an existing payment is looked up too.
        rows = [
            "527-0427;Desembolso;2024-06-30;5.000.000,00;USAID;;Primer desembolso",
            "527-0427;Desembolso;2024-09-30;1.500;USAID;;Segundo, según acta",
            "527-0427;Gasto;2024-10-31;92,5;;;",
        ]
        upload = lambda: csv_file(  # noqa: E731
            *rows,
            name="desembolsos.csv",
            header=self.HEADER,
            encoding="cp1252",
            sep=";",
        )
        preview, _ = self.import_file(upload())
        self.assertEqual(
            preview.job.report["reading"],
            {"encoding": "cp1252", "delimiter": ";", "decimal": ",", "mixed": False},
        )
        self.assertEqual(
            sorted(Disbursement.objects.values_list("amount", flat=True)),
            [Decimal("92.50"), Decimal("1500.00"), Decimal("5000000.00")],
        )
        self.assertEqual(
            Disbursement.objects.get(amount=1500).description, "Segundo, según acta"
        )
        again, _ = self.import_file(upload())
        self.assertEqual(again.job.report["totals"]["skip"], 3)
        self.assertEqual(Disbursement.objects.count(), 3)

    def test_bad_rows_are_named_and_nothing_is_saved(self):
        rows = [
            "527-0427,disbursement,2024-06-30,100.00,,,",
            "527-0427,refund,2024-07-30,10.00,Nobody,,",
            "527-0427,disbursement,2024-08-30,-500.00,,,",
        ]
        preview = self.preview(self.payments_file(*rows))
        self.assertFalse(preview.context["can_confirm"])
        self.assertContains(
            preview, "“refund” is not one of: disbursement, expenditure"
        )
        self.assertContains(preview, "There is no organization “Nobody”")
        self.assertContains(preview, "The disbursed total would fall below zero")
        self.assertFalse(Disbursement.objects.exists())

    def test_a_published_payment_is_not_changed_by_an_import(self):
        make_payment(self.agreement, "100.00", date="2024-06-30")
        preview = self.preview(
            self.payments_file("527-0427,disbursement,2024-06-30,100.00,,,Otro texto")
        )
        self.assertContains(preview, "a reviewer must unpublish it")
        self.assertEqual(Disbursement.objects.get().description, "")

    def test_the_template_file_has_the_import_columns_and_an_example(self):
        response = self.client.get(
            reverse("admin:grants_disbursement_import_template", args=["csv"])
        )
        self.assertEqual(response.status_code, 200)
        lines = response.content.decode("utf-8-sig").splitlines()
        self.assertEqual(
            lines[0],
            self.HEADER.replace("description", "description_en,description_es"),
        )
        self.assertTrue(lines[1].startswith("527-0427,disbursement,2024-06-30,"))
