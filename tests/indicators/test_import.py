"""Spreadsheet import of results and amendments through the admin import page."""

import io
from decimal import Decimal

import openpyxl

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from grants.jobs.models import Job
from grants.models import Amendment, PublicationState
from indicators.models import Result, ResultStatus
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_result,
    make_user,
)
from tests.jobs_support import run_waiting_jobs

HEADER = (
    "indicator,agreement,period_start,period_end,baseline_value,baseline_year,"
    "target_value,actual_value,location,disaggregation,comment"
)
# The templates carry a column per language of each text; the plain columns above
# (files made before) are still read, as the original language's.
TEMPLATE_HEADER = (
    "indicator,agreement,period_start,period_end,baseline_value,baseline_year,"
    "target_value,actual_value,location,disaggregation_en,disaggregation_es,"
    "comment_en,comment_es"
)
CSV_FORMAT = "0"


def csv_file(
    *rows, name="resultados.csv", bom=False, header=HEADER, encoding="utf-8", sep=","
):
    text = "\r\n".join([header.replace(",", sep), *rows]) + "\r\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


class ImportTestCase(TestCase):
    model = "result"

    @classmethod
    def setUpTestData(cls):
        cls.official = make_user(role="Data entry")
        cls.agreement = make_agreement(code="527-0427")
        cls.families = make_indicator(code="rural-families")
        cls.trained = make_indicator(code="people-trained")

    def setUp(self):
        self.client.force_login(self.official)

    def url(self, name):
        return reverse(f"admin:{self.app}_{self.model}_{name}")

    app = "indicators"

    def preview(self, upload, fmt=CSV_FORMAT):
        """Upload through the import page; a worker (here, this process) runs the
        preview job; the job's page, with the job as `.job`."""
        response = self.client.post(
            self.url("import"), {"import_file": upload, "format": fmt}
        )
        job = Job.objects.filter(kind="spreadsheet-preview").latest("pk")
        self.assertRedirects(response, job.get_absolute_url())
        run_waiting_jobs()
        page = self.client.get(job.get_absolute_url())
        job.refresh_from_db()
        page.job = job
        return page

    def confirm(self, preview):
        self.assertTrue(preview.context["can_confirm"], "no confirmation offered")
        self.client.post(preview.job.get_absolute_url(), {"confirm": "1"})
        job = Job.objects.get(preview=preview.job)
        run_waiting_jobs()
        page = self.client.get(job.get_absolute_url())
        job.refresh_from_db()
        page.job = job
        return page

    def import_file(self, upload, fmt=CSV_FORMAT):
        preview = self.preview(upload, fmt)
        self.assertEqual(preview.status_code, 200)
        return preview, self.confirm(preview)


GOOD_ROWS = [
    "rural-families,527-0427,2023-01-01,2023-12-31,,,90000,91500,San Martín,,Café",
    "people-trained,,2023-01-01,2023-12-31,,,,5600,,mujeres,",
]


class ResultImportTests(ImportTestCase):
    def test_a_good_file_is_previewed_then_saved_as_drafts(self):
        preview = self.preview(csv_file(*GOOD_ROWS))
        self.assertContains(preview, "Confirm import")
        self.assertContains(preview, "New", count=None)
        self.assertEqual(preview.job.report["totals"]["new"], 2)
        self.assertEqual(Result.objects.count(), 0)  # a preview saves nothing

        done = self.confirm(preview)
        self.assertContains(done, "Import finished")
        results = Result.objects.order_by("indicator__code")
        self.assertEqual(len(results), 2)
        trained, families = results
        self.assertEqual(families.location, "San Martín")
        self.assertEqual(families.agreement, self.agreement)
        self.assertEqual(families.actual_value, 91500)
        self.assertIsNone(trained.agreement)
        for result in results:
            self.assertEqual(result.status, ResultStatus.DRAFT)
            self.assertEqual(result.entered_by, self.official)
            record = result.history.get()
            self.assertEqual(record.history_user, self.official)
            self.assertEqual(
                record.history_change_reason, "Imported from resultados.csv"
            )

    def test_the_same_file_twice_changes_nothing(self):
        self.import_file(csv_file(*GOOD_ROWS))
        before = list(Result.objects.values_list("pk", "version", "updated_at"))
        history = Result.history.count()
        preview, _ = self.import_file(csv_file(*GOOD_ROWS))
        self.assertEqual(preview.job.report["totals"]["skip"], 2)
        self.assertEqual(
            list(Result.objects.values_list("pk", "version", "updated_at")), before
        )
        self.assertEqual(Result.history.count(), history)

    def test_a_changed_row_updates_the_result_back_to_draft(self):
        self.import_file(csv_file(*GOOD_ROWS))
        result = Result.objects.get(indicator=self.families)
        result.status = ResultStatus.RETURNED
        result.return_reason = "Revisar"
        result.save()
        preview, _ = self.import_file(
            csv_file(GOOD_ROWS[0].replace("91500", "91600"), GOOD_ROWS[1])
        )
        self.assertEqual(preview.job.report["totals"]["update"], 1)
        result.refresh_from_db()
        self.assertEqual(result.actual_value, 91600)
        self.assertEqual(result.status, ResultStatus.DRAFT)

    def assert_refused(self, bad_row, column, message):
        preview = self.preview(csv_file(GOOD_ROWS[0], bad_row, GOOD_ROWS[1]))
        self.assertEqual(preview.status_code, 200)
        self.assertFalse(preview.context["can_confirm"])
        # The second data row, named with its column.
        problem = f"Row 2, column “{column}”: {message}"
        self.assertTrue(
            any(p.startswith(problem) for p in preview.job.report["problems"]),
            preview.job.report["problems"],
        )
        self.assertContains(preview, problem)
        self.assertEqual(Result.objects.count(), 0)

    def test_an_unknown_indicator_is_named_with_its_row_and_column(self):
        self.assert_refused(
            "no-such-indicator,,2023-01-01,2023-12-31,,,,10,,,",
            "indicator",
            "There is no indicator with the code “no-such-indicator”.",
        )

    def test_a_date_that_is_not_a_date_is_refused(self):
        self.assert_refused(
            "people-trained,,2023-02-30,2023-12-31,,,,10,Cusco,,",
            "period_start",
            "“2023-02-30” is not a date",
        )

    def test_text_in_a_number_is_refused(self):
        self.assert_refused(
            "people-trained,,2023-01-01,2023-12-31,,,,diez,Cusco,,",
            "actual_value",
            "“diez” is not a number",
        )

    def test_a_period_with_a_target_and_no_actual_value_is_imported(self):
        self.import_file(
            csv_file("rural-families,527-0427,2026-01-01,2026-12-31,,,95000,,,,")
        )
        result = Result.objects.get()
        self.assertEqual((result.target_value, result.actual_value), (95000, None))
        self.assertFalse(result.is_reported)

    def test_a_period_with_neither_an_actual_value_nor_a_target_is_refused(self):
        preview = self.preview(
            csv_file(GOOD_ROWS[0], "people-trained,,2026-01-01,2026-12-31,,,,,,,")
        )
        self.assertFalse(preview.context["can_confirm"])
        problem = (
            "Row 2: Give the actual value, or the target of a period not reported yet."
        )
        self.assertIn(problem, preview.job.report["problems"])
        self.assertEqual(Result.objects.count(), 0)

    def test_an_end_before_the_start_is_refused(self):
        self.assert_refused(
            "people-trained,,2023-12-31,2023-01-01,,,,10,Cusco,,",
            "period_end",
            "The period cannot end before it starts.",
        )

    def test_accents_and_an_excel_bom_work(self):
        self.import_file(
            csv_file(
                "rural-families,527-0427,2023-01-01,2023-12-31,,,,120,Áncash,"
                "niñas,Comunidades asháninka y quechua",
                bom=True,
            )
        )
        result = Result.objects.get()
        self.assertEqual(result.location, "Áncash")
        self.assertEqual(result.disaggregation, "niñas")
        self.assertEqual(result.comment, "Comunidades asháninka y quechua")
        self.assertEqual(result.indicator, self.families)

    def test_an_xlsx_file_works(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(HEADER.split(","))
        sheet.append(
            ["people-trained", "527-0427", "2023-01-01", "2023-12-31", None, None]
            + [None, 5600, "Ucayali", "", "Capacitación"]
        )
        buffer = io.BytesIO()
        workbook.save(buffer)
        upload = SimpleUploadedFile("resultados.xlsx", buffer.getvalue())
        self.import_file(upload, fmt="")  # the format follows the file name
        result = Result.objects.get()
        self.assertEqual(result.location, "Ucayali")
        self.assertEqual(result.actual_value, 5600)

    def test_an_approved_result_is_not_changed_by_an_import(self):
        make_result(
            indicator=self.families,
            agreement=self.agreement,
            period_start="2023-01-01",
            period_end="2023-12-31",
            location="San Martín",
            actual_value=1,
            status=ResultStatus.APPROVED,
        )
        preview = self.preview(csv_file(*GOOD_ROWS))
        self.assertFalse(preview.context["can_confirm"])
        self.assertContains(preview, "a reviewer must return or reopen it")
        self.assertEqual(Result.objects.get().actual_value, 1)

    def test_a_change_between_preview_and_confirmation_refuses_the_import(self):
        self.import_file(csv_file(*GOOD_ROWS))
        preview = self.preview(
            csv_file(GOOD_ROWS[0].replace("91500", "91600"), GOOD_ROWS[1])
        )
        result = Result.objects.get(indicator=self.families)
        result.comment = "Editado por otra persona"
        result.save()
        done = self.confirm(preview)
        self.assertContains(done, "Nothing was imported")
        self.assertContains(done, "Someone else changed")
        result.refresh_from_db()
        self.assertEqual(result.actual_value, 91500)
        self.assertEqual(result.comment, "Editado por otra persona")

    def test_the_template_files_can_be_downloaded(self):
        page = self.client.get(self.url("import"))
        self.assertContains(page, "Excel template (.xlsx)")
        self.assertContains(page, "CSV template with semicolons and a decimal comma")
        response = self.client.get(
            reverse("admin:indicators_result_import_template", args=["csv"])
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            response.content.startswith(b"\xef\xbb\xbf" + TEMPLATE_HEADER.encode())
        )
        xlsx = self.client.get(
            reverse("admin:indicators_result_import_template", args=["xlsx"])
        )
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        self.assertEqual([c.value for c in sheet[1]], TEMPLATE_HEADER.split(","))
        missing = self.client.get(
            reverse("admin:indicators_result_import_template", args=["pdf"])
        )
        self.assertEqual(missing.status_code, 404)


# As Excel saves a sheet in a Spanish locale ("CSV (delimitado por comas)"):
# semicolons, decimal commas, Windows-1252.
SPANISH_EXCEL_ROWS = [
    "rural-families;527-0427;2023-01-01;2023-12-31;;;90.000,5;92,5;San Martín;;"
    "Café “especial”",
    "people-trained;;2023-01-01;2023-12-31;;;;5.600;Áncash;mujeres;",
]


class SpreadsheetConventionTests(ImportTestCase):
    def test_a_spanish_excel_file_is_read_as_typed(self):
        preview, done = self.import_file(
            csv_file(*SPANISH_EXCEL_ROWS, encoding="cp1252", sep=";")
        )
        self.assertEqual(
            preview.job.report["reading"],
            {"encoding": "cp1252", "delimiter": ";", "decimal": ",", "mixed": False},
        )
        self.assertContains(
            preview,
            "Read as text encoded as Windows-1252; columns separated by semicolons "
            "(;); numbers with a decimal comma",
        )
        self.assertContains(done, "Import finished: 2 new")
        families = Result.objects.get(indicator=self.families)
        self.assertEqual(families.actual_value, Decimal("92.5"))
        self.assertEqual(families.target_value, Decimal("90000.5"))
        self.assertEqual(families.location, "San Martín")
        self.assertEqual(families.comment, "Café “especial”")
        # 5.600 reads as thousands because the file writes decimals with a comma.
        trained = Result.objects.get(indicator=self.trained)
        self.assertEqual(trained.actual_value, 5600)
        self.assertEqual(trained.location, "Áncash")

    def test_tabs_and_latin_1_and_a_decimal_point(self):
        rows = [row.replace(";", "\t") for row in GOOD_ROWS]
        rows[0] = rows[0].replace("91500", "91500.25").replace(",", "\t")
        rows[1] = rows[1].replace(",", "\t")
        preview, _ = self.import_file(csv_file(*rows, encoding="latin-1", sep="\t"))
        self.assertEqual(preview.job.report["reading"]["delimiter"], "\t")
        self.assertEqual(preview.job.report["reading"]["decimal"], ".")
        families = Result.objects.get(indicator=self.families)
        self.assertEqual(families.actual_value, Decimal("91500.25"))
        self.assertEqual(families.location, "San Martín")

    def test_a_value_not_written_in_the_files_convention_is_refused_with_the_fix(
        self,
    ):
        rows = [SPANISH_EXCEL_ROWS[0], SPANISH_EXCEL_ROWS[1].replace("5.600", "5.60,5")]
        preview = self.preview(csv_file(*rows, sep=";"))
        self.assertFalse(preview.context["can_confirm"])
        self.assertIn(
            "Row 2, column “actual_value”: “5.60,5” is not a number as this file "
            "writes them (decimal comma, e.g. 92.500.000,50 or 92500000,50).",
            " ".join(preview.job.report["problems"]),
        )
        self.assertEqual(Result.objects.count(), 0)

    def test_a_file_with_both_conventions_reads_each_value_as_typed_or_refuses_it(
        self,
    ):
        rows = [
            SPANISH_EXCEL_ROWS[0],
            SPANISH_EXCEL_ROWS[1].replace("5.600", "5600.5"),
            SPANISH_EXCEL_ROWS[1].replace("5.600", "5.600").replace("Áncash", "Puno"),
        ]
        preview = self.preview(csv_file(*rows, sep=";"))
        self.assertTrue(preview.job.report["reading"]["mixed"])
        self.assertContains(preview, "numbers written in both conventions")
        self.assertEqual(
            preview.job.report["problems"],
            [
                "Row 3, column “actual_value”: “5.600” can be read as 5600 or as 5.6, "
                "depending on the convention. Type 5,600.00, or 5.6, so that it reads "
                "one way only."
            ],
        )

    def test_a_value_that_reads_two_ways_is_refused_when_nothing_settles_it(self):
        row = GOOD_ROWS[1].replace("5600", "5.600")
        preview = self.preview(csv_file(GOOD_ROWS[0], row))
        self.assertIsNone(preview.job.report["reading"]["decimal"])
        self.assertIn(
            "Row 2, column “actual_value”: “5.600” can be read as 5600 or as 5.6",
            " ".join(preview.job.report["problems"]),
        )
        self.assertEqual(Result.objects.count(), 0)

    def test_the_preview_and_its_errors_are_in_the_officials_language(self):
        self.client.cookies["django_language"] = "es"
        rows = [SPANISH_EXCEL_ROWS[0], SPANISH_EXCEL_ROWS[1].replace("5.600", "5.60,5")]
        preview = self.preview(csv_file(*rows, encoding="cp1252", sep=";"))
        self.assertContains(preview, "Leído como texto codificado en Windows-1252")
        self.assertIn(
            "Fila 2, columna «actual_value»: «5.60,5» no es un número",
            " ".join(preview.job.report["problems"]),
        )
        preview, done = self.import_file(
            csv_file(*SPANISH_EXCEL_ROWS, encoding="cp1252", sep=";")
        )
        self.assertContains(done, "Importación terminada: 2 nuevos")

    def test_empty_rows_excel_adds_are_ignored_and_extra_cells_refused(self):
        preview, _ = self.import_file(
            csv_file(SPANISH_EXCEL_ROWS[0], ";;;;;;;;;;", sep=";")
        )
        self.assertEqual(Result.objects.count(), 1)
        preview = self.preview(csv_file(SPANISH_EXCEL_ROWS[1] + ";sobra", sep=";"))
        self.assertEqual(preview.job.state, "failed")
        self.assertContains(preview, "Row 1 has 1 cell more than the 11 column names")

    def test_the_decimal_comma_template_imports_as_it_is(self):
        template = self.client.get(
            reverse("admin:grants_amendment_import_template", args=["csv"]),
            {"decimal": "comma"},
        )
        self.assertTrue(template.content.startswith(b"\xef\xbb\xbfagreement;sequence"))
        self.assertIn(b";10000000,00;", template.content)


class AmendmentImportTests(ImportTestCase):
    app = "grants"
    model = "amendment"
    AMENDMENT_HEADER = (
        "agreement,sequence,title,signed_on,period_start,period_end,amount,"
        "amount_is_derived,stated_cumulative_total,description"
    )

    def amendments_file(self, *rows):
        return csv_file(*rows, name="enmiendas.csv", header=self.AMENDMENT_HEADER)

    def test_amendments_arrive_as_drafts_and_reimport_changes_nothing(self):
        rows = [
            '527-0427,1,Obligación inicial,,,,110400000,sí,,"Derivado: 202,9 − 92,5"',
            "527-0427,2,Ampliación 2023–2024,,2023-01-01,2024-12-31,92500000,no,"
            "202900000,",
        ]
        self.import_file(self.amendments_file(*rows))
        first, second = Amendment.objects.order_by("sequence")
        self.assertTrue(first.amount_is_derived)
        self.assertEqual(second.title, "Ampliación 2023–2024")
        self.assertEqual(second.publication, PublicationState.DRAFT)
        self.assertEqual(
            second.history.get().history_change_reason, "Imported from enmiendas.csv"
        )
        preview, _ = self.import_file(self.amendments_file(*rows))
        self.assertEqual(preview.job.report["totals"]["skip"], 2)

    def test_a_running_total_below_zero_saves_nothing(self):
        rows = [
            "527-0427,1,Obligación,,,,100,no,,",
            "527-0427,2,Desobligación,,,,-150,no,,",
        ]
        preview = self.preview(self.amendments_file(*rows))
        self.assertFalse(preview.context["can_confirm"])
        self.assertContains(preview, "would fall below zero")
        self.assertEqual(Amendment.objects.count(), 0)

    def test_a_spanish_excel_file_of_amendments(self):
        rows = [
            "527-0427;1;Obligación inicial;;;;110.400.000,00;sí;;Derivado",
            "527-0427;2;Ampliación 2023–2024;;2023-01-01;2024-12-31;92.500.000,00;no;"
            "202.900.000,00;",
        ]
        file = csv_file(
            *rows,
            name="enmiendas.csv",
            header=self.AMENDMENT_HEADER,
            encoding="cp1252",
            sep=";",
        )
        preview, _ = self.import_file(file)
        self.assertEqual(preview.job.report["reading"]["decimal"], ",")
        first, second = Amendment.objects.order_by("sequence")
        self.assertEqual(first.amount, Decimal("110400000"))
        self.assertEqual(second.amount, Decimal("92500000"))
        self.assertEqual(second.stated_cumulative_total, Decimal("202900000"))
        self.assertEqual(second.title, "Ampliación 2023–2024")

    def test_a_decimal_comma_amount_of_amendments(self):
        file = csv_file(
            "527-0427;1;Obligación;;;;92,5;no;;",
            name="enmiendas.csv",
            header=self.AMENDMENT_HEADER,
            sep=";",
        )
        self.import_file(file)
        self.assertEqual(Amendment.objects.get().amount, Decimal("92.5"))

    def test_a_published_amendment_is_not_changed_by_an_import(self):
        make_amendment(
            agreement=self.agreement,
            sequence=1,
            amount=100,
            publication=PublicationState.PUBLISHED,
        )
        preview = self.preview(self.amendments_file("527-0427,1,Otro,,,,200,no,,"))
        self.assertContains(preview, "a reviewer must unpublish it")
        self.assertEqual(Amendment.objects.get().amount, 100)
