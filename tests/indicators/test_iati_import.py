import datetime
import io
from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from grants.jobs.models import Job
from grants.models import (
    Agreement,
    Amendment,
    Budget,
    Disbursement,
    Organization,
    Participation,
    ProgramArea,
    PublicationState,
    SourceDocument,
)
from indicators.iati.codelists import schema_errors
from indicators.iati.importer import import_files
from indicators.iati.jobs import IMPORT, PREVIEW
from indicators.iati.parse import parse_decimal
from indicators.models import Indicator, Result, ResultStatus
from tests.indicators.iati_support import (
    FIXTURES,
    canonical_activities,
    codelist_errors,
    make_generated_data,
    shared_iati_dir,
)
from tests.jobs_support import run_waiting_jobs

UNTIDY = (FIXTURES / "iati-untidy.xml").read_bytes()
REPORTING = {
    "IATI_REPORTING_ORG_REF": "XM-TEST",
    "IATI_REPORTING_ORG_NAME": "Test Reporting Organisation",
    "IATI_REPORTING_ORG_TYPE": "10",
}
MODELS = [
    Agreement,
    Amendment,
    Budget,
    Organization,
    Participation,
    ProgramArea,
    SourceDocument,
    Indicator,
    Result,
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def outcomes(report):
    return {a.identifier: a.outcome for a in report.activities}


class UntidyImportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        [cls.report] = import_files([("iati-untidy.xml", UNTIDY)])
        cls.water = Agreement.objects.get(iati_identifier="ZZ-TEST-1-AID-100/2020/7")

    def test_each_activity_is_imported_or_skipped_with_a_reason(self):
        self.assertEqual(
            outcomes(self.report),
            {
                "ZZ-TEST-1-AID-100/2020/7": "created",
                "ZZ-TEST-1-WINDOW": "created",
                "ZZ-TEST-1-UNREADABLE": "skipped",
                "": "skipped",
                "ZZ-BANK-77": "created",
                "ZZ-TEST-1-ROLLBACK": "skipped",
            },
        )
        reasons = {a.identifier: a.reason for a in self.report.activities}
        self.assertIn("'one million'", reasons["ZZ-TEST-1-UNREADABLE"])
        self.assertIn("no iati-identifier", reasons[""])
        self.assertIn("ISO 4217", reasons["ZZ-TEST-1-ROLLBACK"])

    def test_a_skipped_activity_leaves_nothing_behind(self):
        # The rollback activity fails after creating its organisations.
        for name in (
            "Rolled Back Organisation",
            "Never Created Foundation",
            "Another Implementer",
        ):
            self.assertFalse(Organization.objects.filter(name=name).exists(), name)
        self.assertEqual(Agreement.objects.count(), 3)

    def test_a_window_of_transactions_is_imported_and_marked(self):
        window = Agreement.objects.get(iati_identifier="ZZ-TEST-1-WINDOW")
        self.assertIs(window.earlier_transactions_unpublished, True)
        self.assertLess(window.total, 0)
        [report] = [
            a for a in self.report.activities if a.identifier == window.iati_identifier
        ]
        self.assertTrue(
            any("earlier transactions not published" in n for n in report.notes),
            report.notes,
        )

    def test_activity_becomes_a_draft_agreement_in_english_where_given(self):
        water = self.water
        self.assertEqual(water.publication, PublicationState.DRAFT)
        self.assertEqual(water.title, "Water for the valley")
        self.assertEqual(water.summary, "Drinking water for the valley towns.")
        self.assertEqual(water.code, "AID-100-2020-7")
        self.assertEqual(water.currency, "USD")
        self.assertEqual(str(water.start_on), "2020-02-01")
        self.assertIsNone(water.end_on)  # "31/12/2024" is not a date
        self.assertEqual(water.donor.iati_identifier, "ZZ-TEST-1")
        self.assertEqual(water.recipient.name, "Municipalidad del Valle")
        # The activity's country is the agreement's, not its recipient's.
        self.assertEqual(water.recipient.country, "")
        self.assertEqual(
            list(water.recipient_areas.values_list("kind", "code")), [("country", "PE")]
        )
        self.assertEqual(
            sorted((p.organization.name, p.role) for p in water.participations.all()),
            [("Asociación Agua Limpia", "4"), ("Test Agency", "3")],
        )

    def test_commitments_become_amendments_in_date_order(self):
        self.assertEqual(
            list(self.water.amendments.values_list("sequence", "signed_on", "amount")),
            [
                (1, timezone.datetime(2020, 3, 1).date(), Decimal("1000000.00")),
                (2, timezone.datetime(2020, 9, 30).date(), Decimal("300000.00")),
                (3, timezone.datetime(2021, 5, 10).date(), Decimal("-250000.00")),
            ],
        )
        self.assertEqual(
            self.water.amendments.get(sequence=1).title, "Initial obligation"
        )
        self.assertEqual(
            self.water.amendments.filter(publication=PublicationState.DRAFT).count(),
            3,
        )

    def test_budgets_are_kept_as_information(self):
        self.assertEqual(
            list(self.water.budgets.values_list("budget_type", "amount", "currency")),
            [("1", Decimal("500000.00"), "USD"), ("2", Decimal("450000.50"), "USD")],
        )
        self.water.refresh_from_db()
        self.assertEqual(self.water.total, Decimal("1050000.00"))

    def test_dac_sectors_become_program_areas_and_others_are_reported(self):
        self.assertEqual(
            sorted(self.water.program_areas.values_list("dac_sector_code", flat=True)),
            ["14022", "14030"],
        )
        notes = [a for a in self.report.activities if a.identifier.endswith("/7")][
            0
        ].notes
        self.assertIn("99", self.water.sectors.values_list("vocabulary", flat=True))
        self.assertTrue(any("'not a web address'" in note for note in notes))
        self.assertTrue(any("'8,386413'" in note for note in notes))
        self.assertTrue(any("'yes'" in note for note in notes))
        self.assertTrue(any("budget #4" in n and "ISO 4217" in n for n in notes), notes)
        self.assertTrue(
            any("2025-01-01" in n and "left out: Ensure" in n for n in notes), notes
        )

    def test_results_become_draft_indicators_and_results(self):
        results = Result.objects.filter(agreement=self.water).order_by(
            "period_start", "disaggregation"
        )
        self.assertEqual(
            [
                (
                    str(r.period_start),
                    r.disaggregation,
                    r.baseline_year,
                    r.baseline_value,
                    r.target_value,
                    r.actual_value,
                    r.status,
                )
                for r in results
            ],
            [
                (
                    "2021-01-01",
                    "",
                    2019,
                    Decimal("1200.00"),
                    Decimal("6314000.00"),
                    Decimal("4500.00"),
                    ResultStatus.DRAFT,
                ),
                # The whole's actual ("8,386413") is not a number: its target
                # stays, as a period not reported yet. The group's actual is not
                # measured against the whole's target.
                (
                    "2022-01-01",
                    "",
                    2019,
                    Decimal("1200.00"),
                    Decimal("5000.00"),
                    None,
                    ResultStatus.DRAFT,
                ),
                (
                    "2022-01-01",
                    "sex: female",
                    2019,
                    Decimal("1200.00"),
                    None,
                    Decimal("2500.50"),
                    ResultStatus.DRAFT,
                ),
                # A target alone: planned, not reported yet.
                (
                    "2023-01-01",
                    "",
                    2019,
                    Decimal("1200.00"),
                    Decimal("7000.00"),
                    None,
                    ResultStatus.DRAFT,
                ),
            ],
        )
        indicator = results[0].indicator
        self.assertEqual(indicator.publication, PublicationState.DRAFT)
        self.assertEqual(
            indicator.name, "Households with drinking water — Households connected"
        )
        # The targets are kept as targets, not written into the description.
        self.assertEqual(indicator.description, "")

    def test_foreign_namespace_elements_are_ignored(self):
        self.assertFalse(
            Amendment.objects.filter(description__contains="72-1021").exists()
        )
        self.assertNotIn("treasury", " ".join(self.report.lines()))


class ReimportTests(TestCase):
    def test_reimporting_the_same_file_changes_nothing(self):
        import_files([("untidy.xml", UNTIDY)])
        before = counts()
        amendment_ids = list(Amendment.objects.values_list("pk", flat=True))
        [report] = import_files([("untidy.xml", UNTIDY)])
        self.assertEqual(counts(), before)
        self.assertEqual(
            list(Amendment.objects.values_list("pk", flat=True)), amendment_ids
        )
        self.assertEqual(
            sorted(a.outcome for a in report.activities),
            ["skipped"] * 3 + ["unchanged"] * 3,
        )

    def test_reimporting_a_changed_file_updates_the_same_agreement(self):
        import_files([("untidy.xml", UNTIDY)])
        changed = UNTIDY.replace(b"Roads loan", b"Roads loan, phase 2").replace(
            b">2000000<", b">2500000<"
        )
        [report] = import_files([("untidy.xml", changed)])
        self.assertEqual(outcomes(report)["ZZ-BANK-77"], "updated")
        loan = Agreement.objects.get(iati_identifier="ZZ-BANK-77")
        self.assertEqual(loan.title, "Roads loan, phase 2")
        self.assertEqual(loan.total, Decimal("2500000.00"))
        self.assertEqual(Agreement.objects.count(), 3)

    def test_a_published_agreement_is_not_overwritten(self):
        import_files([("untidy.xml", UNTIDY)])
        Agreement.objects.filter(iati_identifier="ZZ-BANK-77").update(
            publication=PublicationState.PUBLISHED
        )
        changed = UNTIDY.replace(b"Roads loan", b"Changed title")
        [report] = import_files([("untidy.xml", changed)])
        kept = [a for a in report.activities if a.identifier == "ZZ-BANK-77"][0]
        self.assertEqual(kept.outcome, "left alone")
        self.assertIn("published", kept.reason)
        self.assertEqual(
            Agreement.objects.get(iati_identifier="ZZ-BANK-77").title, "Roads loan"
        )

    def test_dry_run_keeps_nothing(self):
        [report] = import_files([("untidy.xml", UNTIDY)], dry_run=True)
        self.assertEqual(report.counts()["created"], 3)
        self.assertEqual(Agreement.objects.count(), 0)
        self.assertEqual(Organization.objects.count(), 0)


class UnreadableFileTests(TestCase):
    def test_not_xml_is_reported(self):
        [report] = import_files([("notes.txt", b"hello, not xml")])
        self.assertIn("not a readable XML file", report.error)

    def test_other_xml_is_reported(self):
        [report] = import_files([("org.xml", b"<iati-organisations/>")])
        self.assertIn("not <iati-activities>", report.error)

    def test_command_prints_the_report_and_fails_on_unreadable_files(self):
        out = io.StringIO()
        call_command("import_iati", str(FIXTURES / "iati-untidy.xml"), stdout=out)
        self.assertIn("ZZ-TEST-1-WINDOW: created ", out.getvalue())
        self.assertIn("3 created, 3 skipped.", out.getvalue())
        with self.assertRaisesMessage(CommandError, "no such file"):
            call_command("import_iati", "/nonexistent.xml", stdout=io.StringIO())

    def test_parse_decimal_reads_what_publishers_write(self):
        cases = {
            "87000": Decimal("87000.00"),
            " -3796.00 ": Decimal("-3796.00"),
            "6,314,000.00": Decimal("6314000.00"),
            "1.234,5": Decimal("1234.50"),
            "97,5": Decimal("97.50"),
            "0.125": Decimal("0.13"),
            "8,386413": None,
            "Yes": None,
            "": None,
            None: None,
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(parse_decimal(text), expected)


@override_settings(**REPORTING)
class RoundTripTests(TestCase):
    def test_export_import_into_an_empty_database_export_gives_the_same_activities(
        self,
    ):
        call_command("load_seed", stdout=io.StringIO())
        make_generated_data()
        first = self.client.get(reverse("iati:activities")).getvalue()
        self.assertEqual(schema_errors(first), [])

        empty_the_database()
        [report] = import_files([("export.xml", first)])
        self.assertEqual(
            [a.outcome for a in report.activities], ["created"] * 5, report.lines()
        )
        publish_everything()
        second = self.client.get(reverse("iati:activities")).getvalue()

        self.assertEqual(canonical_activities(second), canonical_activities(first))


def empty_the_database():
    Result.objects.all().delete()
    Indicator.objects.all().delete()
    Amendment.objects.all().delete()
    Disbursement.objects.all().delete()
    Budget.objects.all().delete()
    Participation.objects.all().delete()
    Agreement.objects.update(framework=None)
    Agreement.objects.all().delete()
    ProgramArea.objects.update(parent=None)
    ProgramArea.objects.all().delete()
    Organization.objects.all().delete()
    SourceDocument.objects.all().delete()


def publish_everything():
    now = timezone.now()
    published = {"publication": PublicationState.PUBLISHED, "published_at": now}
    Agreement.objects.update(**published)
    Amendment.objects.update(**published)
    Disbursement.objects.update(**published)
    Indicator.objects.update(**published)
    Result.objects.update(status=ResultStatus.APPROVED, approved_at=now)


# Admin pages name static files; the manifest exists only after collectstatic.
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=PLAIN_STATIC)
class AdminImportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.staff = User.objects.create_user("clerk", password="pw", is_staff=True)
        cls.staff.user_permissions.add(Permission.objects.get(codename="add_agreement"))
        cls.viewer = User.objects.create_user("viewer", password="pw", is_staff=True)

    def test_anonymous_visitor_is_sent_to_the_login(self):
        response = self.client.get(reverse("iati_admin:import"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])

    def test_upload_page_and_budget_list_open_for_staff(self):
        self.client.force_login(self.staff)
        response = self.client.get(reverse("iati_admin:import"))
        self.assertContains(response, "Import IATI activities")
        superuser = User.objects.create_superuser("admin", password="pw")
        self.client.force_login(superuser)
        import_files([("untidy.xml", UNTIDY)])
        response = self.client.get(reverse("admin:grants_budget_changelist"))
        self.assertContains(response, "450000.50")

    def test_staff_without_permission_is_refused(self):
        self.client.force_login(self.viewer)
        self.assertEqual(self.client.get(reverse("iati_admin:import")).status_code, 403)

    def preview(self, content=UNTIDY, name="untidy.xml", **extra):
        """Upload through the page, then run the preview job as a worker would."""
        upload = io.BytesIO(content)
        upload.name = name
        response = self.client.post(
            reverse("iati_admin:import"), {"file": upload}, **extra
        )
        job = Job.objects.get(kind=PREVIEW)
        self.assertRedirects(response, job.get_absolute_url())
        self.assertEqual(run_waiting_jobs(), [job.pk])
        return job

    def test_preview_keeps_nothing_and_confirm_imports(self):
        self.client.force_login(self.staff)
        job = self.preview()
        response = self.client.get(job.get_absolute_url())
        self.assertContains(response, "Preview: nothing has been kept yet")
        self.assertContains(response, "ZZ-TEST-1-WINDOW")
        self.assertContains(
            response, "Would import from untidy.xml: 3 created, 3 skipped."
        )
        self.assertEqual(Agreement.objects.count(), 0)

        response = self.client.post(job.get_absolute_url(), {"confirm": "1"})
        imported = Job.objects.get(kind=IMPORT)
        self.assertRedirects(response, imported.get_absolute_url())
        run_waiting_jobs()
        response = self.client.get(imported.get_absolute_url())
        self.assertContains(response, "Imported untidy.xml: 3 created, 3 skipped.")
        self.assertContains(response, "6 of 6 activities")
        self.assertEqual(Agreement.objects.count(), 3)

    def test_a_second_confirmation_does_not_start_a_second_import(self):
        self.client.force_login(self.staff)
        job = self.preview()
        self.client.post(job.get_absolute_url(), {"confirm": "1"})
        response = self.client.post(job.get_absolute_url(), {"confirm": "1"})
        imported = Job.objects.get(kind=IMPORT)
        self.assertRedirects(response, imported.get_absolute_url())
        self.assertContains(
            self.client.get(job.get_absolute_url()), "This preview was confirmed"
        )

    def test_preview_in_spanish_names_outcomes_and_counts_in_spanish(self):
        self.client.force_login(self.staff)
        job = self.preview()
        response = self.client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es")
        self.assertContains(response, "Vista previa: todavía no se ha guardado nada")
        self.assertContains(response, "<td>creado</td>", html=True)
        self.assertContains(response, "omitido: ")
        self.assertContains(response, "3 enmiendas")
        self.assertContains(response, "6 de 6 actividades")
        self.assertNotContains(response, "3 amendments")

    def test_a_file_that_is_not_iati_shows_the_reason(self):
        self.client.force_login(self.staff)
        job = self.preview(b"%PDF-1.4", "scan.pdf")
        response = self.client.get(job.get_absolute_url())
        self.assertContains(response, "not a readable XML file")
        self.assertNotContains(response, 'name="confirm"')

    def test_an_empty_upload_is_a_form_error(self):
        self.client.force_login(self.staff)
        upload = io.BytesIO(b"")
        upload.name = "empty.xml"
        response = self.client.post(reverse("iati_admin:import"), {"file": upload})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "The submitted file is empty.")
        self.assertFalse(Job.objects.exists())


class RealFilesTests(TestCase):
    """The trimmed real files of shared/iati/real (not in the repository). The whole
    files beside them (full-*.xml) repeat the same activities at real size; importing
    both would update the trimmed activities from the whole ones."""

    def setUp(self):
        folder = shared_iati_dir()
        if folder is None or not (folder / "real").is_dir():
            self.skipTest("shared/iati/real is not available")
        self.files = sorted((folder / "real").glob("*-trimmed.xml"))

    def test_real_files_import_without_unexpected_errors(self):
        reports = import_files([(f.name, f.read_bytes()) for f in self.files])
        for report in reports:
            self.assertEqual(report.error, "")
            for activity in report.activities:
                self.assertNotIn("unexpected", activity.reason, activity.lines())
        by_id = {a.identifier: a for r in reports for a in r.activities}
        self.assertEqual(by_id["44000-P173872"].created["amendments"], 3)
        # USAID publishes a recent window only: imported, marked, never skipped.
        self.assertEqual(by_id["US-GOV-1-AID-511-A-12-00001"].outcome, "created")
        window = Agreement.objects.get(iati_identifier="US-GOV-1-AID-511-A-12-00001")
        self.assertIs(window.earlier_transactions_unpublished, True)
        before = counts()
        again = import_files([(f.name, f.read_bytes()) for f in self.files])
        self.assertEqual(counts(), before)
        self.assertNotIn("created", {a.outcome for r in again for a in r.activities})

    def test_usaid_disbursements_are_kept_with_their_receiver(self):
        usaid = next(f for f in self.files if f.name == "usaid-bo-trimmed.xml")
        [report] = import_files([(usaid.name, usaid.read_bytes())])
        by_id = {a.identifier: a for a in report.activities}
        activity = by_id["US-GOV-1-511-IL-0660.00/2013/093"]
        self.assertEqual(activity.created["disbursements"], 3)
        self.assertFalse(any("Disbursement" in note for note in activity.notes))
        agreement = Agreement.objects.get(iati_identifier=activity.identifier)
        self.assertEqual(
            list(
                agreement.disbursements.order_by("date").values_list(
                    "kind", "date", "amount", "receiver__name", "publication"
                )
            ),
            [
                (
                    "disbursement",
                    datetime.date(2013, 3, 31),
                    Decimal("14367.00"),
                    "Government of Bolivia",
                    PublicationState.DRAFT,
                ),
                (
                    "disbursement",
                    datetime.date(2013, 6, 30),
                    Decimal("110231.00"),
                    "Government of Bolivia",
                    PublicationState.DRAFT,
                ),
                (
                    "disbursement",
                    datetime.date(2013, 9, 30),
                    Decimal("8587.00"),
                    "Government of Bolivia",
                    PublicationState.DRAFT,
                ),
            ],
        )
        agreement.refresh_from_db()
        self.assertEqual(agreement.disbursed, Decimal("133185.00"))
        self.assertEqual(agreement.public_disbursed, Decimal("0.00"))

    @override_settings(**REPORTING)
    def test_imported_real_activities_export_valid_once_published(self):
        import_files([(f.name, f.read_bytes()) for f in self.files])
        publish_everything()
        body = self.client.get(reverse("iati:activities")).getvalue()
        self.assertEqual(schema_errors(body), [])
        from lxml import etree

        self.assertEqual(codelist_errors(etree.fromstring(body)), [])
