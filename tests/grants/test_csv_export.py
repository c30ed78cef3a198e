import csv
import datetime
import io
import unittest
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from grants import csv_export
from grants.csv_export import (
    FORMULA_TRIGGERS,
    SEPARATORS,
    csv_response,
    stream_csv,
)
from grants.models import Agreement, Amendment, PublicationState
from grants.reports import AGREEMENTS, AMENDMENTS, PROGRAM_AREAS, get_reports
from tests.factories import (
    make_agreement,
    make_amendment,
    make_organization,
    make_program_area,
    make_source_document,
)

BOM = b"\xef\xbb\xbf"


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def parse(data: bytes) -> list[dict]:
    """The rows of a CSV file as dicts, read the way an analyst's script would."""
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode(), newline="")))


def download(client, name) -> bytes:
    return content(client.get(reverse("grants:report-csv", args=[name])))


class AgreementReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.peru = make_organization(name="Gobierno del Perú", acronym="", country="PE")
        cls.framework = make_agreement(code="FW-1", title="Framework")
        cls.agreement = make_agreement(
            code="527-0427",
            title="Donation Agreement",
            framework=cls.framework,
            recipient=cls.peru,
            signed_on=datetime.date(2023, 5, 2),
        )
        make_amendment(agreement=cls.agreement, amount=Decimal("110400000.00"))
        make_amendment(agreement=cls.agreement, amount=Decimal("92500000.00"))
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("5.00"),
            publication=PublicationState.DRAFT,
        )
        cls.draft = make_agreement(code="DRAFT-1", publication=PublicationState.DRAFT)
        cls.agreement.program_areas.add(
            make_program_area(code="natural"), make_program_area(code="anti-corruption")
        )

    def test_header_and_exactly_the_public_rows(self):
        rows = parse(download(self.client, "agreements"))
        self.assertEqual(list(rows[0]), AGREEMENTS.header())
        self.assertEqual([row["code"] for row in rows], ["527-0427", "FW-1"])

    def test_total_counts_published_amendments_only_as_plain_decimal(self):
        rows = {row["code"]: row for row in parse(download(self.client, "agreements"))}
        self.assertEqual(rows["527-0427"]["total"], "202900000.00")
        self.assertEqual(rows["FW-1"]["total"], "0.00")
        self.assertEqual(rows["527-0427"]["signed_on"], "2023-05-02")
        self.assertEqual(rows["527-0427"]["start_on"], "")
        self.assertEqual(rows["527-0427"]["currency"], "USD")
        self.assertEqual(
            rows["527-0427"]["program_area_codes"], "anti-corruption;natural"
        )
        self.assertEqual(rows["FW-1"]["program_area_codes"], "")

    def test_filtered_queryset_gives_exactly_the_filtered_rows(self):
        queryset = Agreement.objects.public().filter(code__startswith="527")
        rows = parse(content(csv_response(AGREEMENTS, queryset)))
        self.assertEqual([row["code"] for row in rows], ["527-0427"])

    def test_ordering_of_the_queryset_is_kept(self):
        queryset = Agreement.objects.public().order_by("-code")
        rows = parse(content(csv_response(AGREEMENTS, queryset)))
        self.assertEqual([row["code"] for row in rows], ["FW-1", "527-0427"])

    def test_draft_framework_code_is_not_shown(self):
        self.framework.publication = PublicationState.DRAFT
        self.framework.save()
        rows = parse(download(self.client, "agreements"))
        self.assertEqual(
            [(r["code"], r["framework_code"]) for r in rows], [("527-0427", "")]
        )

    def test_accented_name_survives_a_round_trip(self):
        rows = parse(download(self.client, "agreements"))
        self.assertEqual(rows[0]["recipient_en"], "Gobierno del Perú")

    def test_file_is_utf8_with_bom_crlf_and_dated_file_name(self):
        response = self.client.get(reverse("grants:report-csv", args=["agreements"]))
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        today = timezone.localdate().isoformat()
        self.assertEqual(
            response["Content-Disposition"],
            f'attachment; filename="agreements-{today}.csv"',
        )
        data = content(response)
        self.assertTrue(data.startswith(BOM + b"code,title_en,title_es,kind,"))
        self.assertEqual(data.count(b"\r\n"), 3)
        self.assertNotIn(b"\n", data.replace(b"\r\n", b""))

    def test_unknown_report_is_a_404_and_posting_is_refused(self):
        response = self.client.get(reverse("grants:report-csv", args=["nothing"]))
        self.assertEqual(response.status_code, 404)
        response = self.client.post(reverse("grants:report-csv", args=["agreements"]))
        self.assertEqual(response.status_code, 405)


class QueryCountTests(TestCase):
    def test_queries_do_not_grow_with_rows(self):
        def queries_for_download():
            with CaptureQueriesContext(connection) as queries:
                rows = parse(download(self.client, "agreements"))
            return len(rows), len(queries)

        agreement = make_agreement()
        make_amendment(agreement=agreement)
        agreement.program_areas.add(make_program_area())
        rows, few = queries_for_download()
        self.assertEqual(rows, 1)
        for _ in range(5):
            agreement = make_agreement()
            make_amendment(agreement=agreement)
            agreement.program_areas.add(make_program_area())
        rows, many = queries_for_download()
        self.assertEqual(rows, 6)
        self.assertEqual(many, few)


class FormulaInjectionTests(TestCase):
    def test_each_dangerous_leading_character_is_neutralized_in_text(self):
        for index, trigger in enumerate(FORMULA_TRIGGERS):
            make_agreement(code=f"X-{index}", title=f"{trigger}SUM(A1:A9)")
        make_agreement(code="Y-1", title="Plain 'quoted' title, with comma")
        rows = parse(download(self.client, "agreements"))
        titles = {row["code"]: row["title_en"] for row in rows}
        for index, trigger in enumerate(FORMULA_TRIGGERS):
            self.assertEqual(titles[f"X-{index}"], f"'{trigger}SUM(A1:A9)")
        self.assertEqual(titles["Y-1"], "Plain 'quoted' title, with comma")

    def test_a_formula_after_a_separator_is_neutralized_and_the_cell_quoted(self):
        # Finding 6 of issue 13: Excel in a Spanish locale splits lines on ";".
        titles = {
            "S-1": ("Programa;=cmd|' /C calc'!A0", "Programa;'=cmd|' /C calc'!A0"),
            "S-2": ("Programa, +1", "Programa, '+1"),
            "S-3": ("Tab\t@SUM(A1)", "Tab\t'@SUM(A1)"),
            "S-4": ("Line\n-2", "Line\n'-2"),
            "S-5": ("=1;=2", "'=1;'=2"),
            "S-6": ("Peru; Lima", "Peru; Lima"),
        }
        for code, (title, _written) in titles.items():
            make_agreement(code=code, title=title)
        data = download(self.client, "agreements")
        self.assertIn(b"\"Programa;'=cmd|' /C calc'!A0\"", data)
        self.assertIn(b'"Peru; Lima"', data)
        text = data[len(BOM) :].decode()
        for delimiter in SEPARATORS[:3]:
            with self.subTest(delimiter=delimiter):
                rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                for row in rows:
                    for cell in row:
                        self.assertFalse(
                            cell.lstrip(" \t\r\n").startswith(FORMULA_TRIGGERS),
                            (row, cell),
                        )
        by_comma = {row["code"]: row["title_en"] for row in parse(data)}
        for code, (_title, written) in titles.items():
            self.assertEqual(by_comma[code], written)

    def test_the_database_neutralizes_as_the_python_rule_does(self):
        """PostgreSQL's spelling of the rule (grants.csv_export.Neutralized) against
        Python's, which SQLite runs, on texts that reach each of its branches."""
        texts = [
            None,
            "",
            "plain",
            "=1",
            "\t=1",
            ",=1",
            "\n\n-2",
            "a,=b;+c\t@d\r\n -e",
            "a,  b",
            "Ñandú, -x",
            "😀=x",
            "'=x",
            "=",
            ";",
            "a;\t \n=b",
            "50%; =1",
        ]
        for text in texts:
            make_agreement(code=f"N-{texts.index(text)}", title_en=text or "")
        agreements = Agreement.objects.filter(code__startswith="N-").annotate(
            written=csv_export.Neutralized("title_en")
        )
        by_database = {a.code: a.written for a in agreements}
        for index, text in enumerate(texts):
            with self.subTest(text=text):
                expected = csv_export.neutralize(text or "")
                self.assertEqual(by_database[f"N-{index}"], expected)
        self.assertEqual(csv_export.neutralize("\t=1"), "'\t'=1")
        self.assertEqual(csv_export.neutralize(",=1"), ",'=1")
        self.assertIsNone(csv_export.neutralize(""))

    def test_numbers_are_never_touched(self):
        agreement = make_agreement(code="DEOB-1", title="-starts with minus")
        make_amendment(agreement=agreement, amount=Decimal("3000000.00"))
        make_amendment(
            agreement=agreement,
            amount=Decimal("-1000000.00"),
            stated_cumulative_total=Decimal("2000000.00"),
            title="@de-obligation",
        )
        rows = parse(download(self.client, "amendments"))
        self.assertEqual(
            [(r["title_en"], r["amount"], r["running_total"]) for r in rows],
            [
                ("Amendment", "3000000.00", "3000000.00"),
                ("'@de-obligation", "-1000000.00", "2000000.00"),
            ],
        )
        self.assertEqual(rows[0]["agreement_title_en"], "'-starts with minus")


class AmendmentReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        source = make_source_document(
            title="Peru News item", url="https://example.org/a"
        )
        cls.agreement = make_agreement(code="527-0427", currency="USD")
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("110400000.00"),
            amount_is_derived=True,
            description='Derived:\r\n202.9 − 92.5, "per the article"',
        )
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("92500000.00"),
            stated_cumulative_total=Decimal("202900000.00"),
            period_start=datetime.date(2023, 1, 1),
            period_end=datetime.date(2024, 12, 31),
            source=source,
        )
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("1.00"),
            stated_cumulative_total=Decimal("1.00"),
        )
        make_amendment(
            agreement=cls.agreement,
            amount=Decimal("7.00"),
            publication=PublicationState.DRAFT,
        )
        draft_agreement = make_agreement(publication=PublicationState.DRAFT)
        make_amendment(agreement=draft_agreement)

    def test_header_rows_running_total_and_reconciliation(self):
        rows = parse(download(self.client, "amendments"))
        self.assertEqual(list(rows[0]), AMENDMENTS.header())
        self.assertEqual(
            [
                (
                    r["sequence"],
                    r["amount"],
                    r["running_total"],
                    r["stated_cumulative_total"],
                    r["reconciliation"],
                    r["amount_is_derived"],
                )
                for r in rows
            ],
            [
                ("1", "110400000.00", "110400000.00", "", "", "true"),
                (
                    "2",
                    "92500000.00",
                    "202900000.00",
                    "202900000.00",
                    "reconciled",
                    "false",
                ),
                ("3", "1.00", "202900001.00", "1.00", "unreconciled", "false"),
            ],
        )
        self.assertEqual(rows[1]["period_start"], "2023-01-01")
        self.assertEqual(rows[1]["source_url"], "https://example.org/a")
        self.assertEqual(rows[0]["currency"], "USD")

    def test_line_ends_and_quotes_inside_text_survive(self):
        rows = parse(download(self.client, "amendments"))
        self.assertEqual(
            rows[0]["description_en"], 'Derived:\r\n202.9 − 92.5, "per the article"'
        )

    def test_running_total_survives_a_filter(self):
        queryset = Amendment.objects.public().filter(sequence__gte=2)
        rows = parse(content(csv_response(AMENDMENTS, queryset)))
        self.assertEqual(
            [r["running_total"] for r in rows], ["202900000.00", "202900001.00"]
        )


class ProgramAreaReportTests(TestCase):
    def test_nested_areas_with_public_agreement_counts(self):
        parent = make_program_area(code="natural", name="Recursos naturales")
        child = make_program_area(code="forests", name="Región Ñuñoa", parent=parent)
        make_agreement().program_areas.add(child)
        make_agreement(publication=PublicationState.DRAFT).program_areas.add(child)
        rows = parse(download(self.client, "program-areas"))
        self.assertEqual(list(rows[0]), PROGRAM_AREAS.header())
        by_code = {row["code"]: row for row in rows}
        self.assertEqual(len(rows), 2)
        self.assertEqual(by_code["forests"]["parent_code"], "natural")
        self.assertEqual(by_code["forests"]["name_en"], "Región Ñuñoa")
        self.assertEqual(by_code["forests"]["agreements"], "1")
        self.assertEqual(by_code["natural"]["agreements"], "0")


class CatalogueTests(TestCase):
    def test_lists_every_report_column_and_download(self):
        response = self.client.get(reverse("grants:reports"))
        self.assertEqual(response.status_code, 200)
        names = [report.name for report in get_reports()]
        self.assertEqual(
            names,
            [
                "agreements",
                "amendments",
                "disbursements",
                "program-areas",
                "indicators",
                "results",
            ],
        )
        for report in get_reports():
            self.assertContains(
                response, reverse("grants:report-csv", args=[report.name])
            )
            for column in report.columns:
                self.assertContains(response, f"<code>{column.name}</code>")
                self.assertContains(response, escape(column.description))

    def test_every_report_downloads(self):
        for report in get_reports():
            with self.subTest(report=report.name):
                data = download(self.client, report.name)
                self.assertEqual(
                    data, BOM + ",".join(report.header()).encode() + b"\r\n"
                )


class AdminExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.staff = get_user_model().objects.create_superuser(
            "boss", "b@example.org", "x"
        )
        cls.published = make_agreement(code="PUB-1")
        cls.draft = make_agreement(code="DRAFT-1", publication=PublicationState.DRAFT)
        make_agreement(code="OTHER-1")
        make_amendment(agreement=cls.draft, amount=Decimal("10.00"))

    def test_agreements_action_exports_selected_rows_with_drafts_marked(self):
        self.client.force_login(self.staff)
        response = self.client.post(
            reverse("admin:grants_agreement_changelist"),
            {
                "action": "export_selected_csv",
                "_selected_action": [self.published.pk, self.draft.pk],
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("agreements-selected-", response["Content-Disposition"])
        rows = parse(content(response))
        self.assertEqual(list(rows[0]), AGREEMENTS.header(include_drafts=True))
        self.assertEqual(
            [(r["code"], r["publication"], r["is_public"], r["total"]) for r in rows],
            [
                ("DRAFT-1", "draft", "false", "10.00"),
                ("PUB-1", "published", "true", "0.00"),
            ],
        )

    def test_amendments_action_marks_drafts(self):
        self.client.force_login(self.staff)
        amendment = self.draft.amendments.get()
        response = self.client.post(
            reverse("admin:grants_amendment_changelist"),
            {"action": "export_selected_csv", "_selected_action": [amendment.pk]},
        )
        rows = parse(content(response))
        self.assertEqual(
            [
                (r["publication"], r["agreement_publication"], r["is_public"])
                for r in rows
            ],
            [("published", "draft", "false")],
        )


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "COPY is PostgreSQL's; on SQLite there is only the Python writer to compare.",
)
class CopyAndPythonWritersAgreeTests(TestCase):
    def test_identical_bytes_for_every_report(self):
        from indicators.models import ResultStatus
        from tests.factories import make_indicator, make_result

        framework = make_agreement(code="FW-9", title="=cmd|' /C calc'!A0")
        agreement = make_agreement(
            framework=framework,
            title='Línea 1\nLínea 2, "citada"',
            summary="",
            recipient=make_organization(name="Región Ñuñoa", acronym="\tTAB"),
        )
        agreement.program_areas.add(
            make_program_area(code="zeta"), make_program_area(code="-alpha")
        )
        make_amendment(agreement=agreement, amount=Decimal("3000000.00"))
        make_amendment(
            agreement=agreement,
            amount=Decimal("-1000000.00"),
            stated_cumulative_total=Decimal("2000000.00"),
            description="+1 de-obligation\r\nwith CRLF",
        )
        indicator = make_indicator(name="@people", description="-")
        make_result(
            indicator=indicator,
            agreement=agreement,
            target_value=Decimal("3.00"),
            actual_value=Decimal("1.00"),
            baseline_value=Decimal("0.00"),
            baseline_year=2019,
            location="Cusco",
        )
        make_result(indicator=indicator, location="Perú", target_value=Decimal("0"))
        make_result(indicator=indicator, location="x", status=ResultStatus.DRAFT)
        for report in get_reports():
            with self.subTest(report=report.name):
                queryset = report.public_queryset()
                by_copy = b"".join(stream_csv(report, queryset, method="copy"))
                by_python = b"".join(stream_csv(report, queryset, method="python"))
                self.assertEqual(by_copy, by_python)
                self.assertTrue(by_copy.startswith(BOM))
            with self.subTest(report=report.name, staff=True):
                queryset = report.model.objects.all()
                by_copy = b"".join(
                    stream_csv(report, queryset, include_drafts=True, method="copy")
                )
                by_python = b"".join(
                    stream_csv(report, queryset, include_drafts=True, method="python")
                )
                self.assertEqual(by_copy, by_python)

    def test_chunks_are_whole_rows(self):
        for number in range(5):
            make_agreement(code=f"C-{number}", title=f"Line\n{number}")
        chunks = list(
            stream_csv(
                AGREEMENTS, Agreement.objects.public(), method="copy", chunk_rows=2
            )
        )
        self.assertEqual(len(chunks), 4)  # header, then rows 2 + 2 + 1
        self.assertTrue(all(chunk.endswith(b"\r\n") for chunk in chunks))


@unittest.skipUnless(connection.vendor == "postgresql", "COPY is PostgreSQL's.")
class AbandonedCopyTests(TestCase):
    def test_connection_is_usable_after_a_download_is_abandoned(self):
        for number in range(30):
            make_agreement(code=f"A-{number:02d}")
        chunks = stream_csv(
            AGREEMENTS, Agreement.objects.public(), method="copy", chunk_rows=5
        )
        next(chunks)  # the header
        first_rows = next(chunks)
        self.assertEqual(first_rows.count(b"\r\n"), 5)
        chunks.close()  # what the server does when the client goes away
        self.assertEqual(Agreement.objects.count(), 30)


class StreamFailureTests(TestCase):
    def test_a_database_error_mid_stream_aborts_the_download_and_is_logged(self):
        # Finding 7 of issue 13: a truncated file must not look complete.
        for number in range(5):
            make_agreement(code=f"F-{number}")

        def failing_after_first_chunk(real):
            def chunks(rows, **kwargs):
                yield next(real(rows, **{**kwargs, "chunk_rows": 2}))
                raise DatabaseError("connection lost in the middle")

            return chunks

        response = self.client.get(reverse("grants:report-csv", args=["agreements"]))
        self.assertEqual(response.status_code, 200)
        with (
            mock.patch(
                "grants.csv_export.python_chunks",
                failing_after_first_chunk(csv_export.python_chunks),
            ),
            mock.patch(
                "grants.csv_export.copy_chunks",
                failing_after_first_chunk(csv_export.copy_chunks),
            ),
            self.assertLogs("grants.csv_export", "ERROR") as logs,
            self.assertRaisesMessage(DatabaseError, "connection lost in the middle"),
        ):
            received = []
            for chunk in response.streaming_content:
                received.append(chunk)
        self.assertEqual(len(received), 2)  # the header and the first two rows
        self.assertIn("'agreements' stopped", logs.output[0])
        self.assertIn("connection lost in the middle", logs.output[0])
