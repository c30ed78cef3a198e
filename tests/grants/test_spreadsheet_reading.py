"""Files as officials save them: encodings, delimiters and decimal conventions."""

from decimal import Decimal

from import_export.formats.base_formats import CSV

from django.test import SimpleTestCase

from grants.money import AmountError, decimal_evidence, parse_amount
from grants.spreadsheet_reading import SpreadsheetError, read_spreadsheet

HEADER = "code;amount;note"


def read(text, encoding="utf-8", bom=b""):
    return read_spreadsheet(
        bom + text.encode(encoding), file_format=CSV, number_columns=["amount"]
    )


class ConventionTests(SimpleTestCase):
    def test_an_amount_is_read_in_the_files_convention(self):
        self.assertEqual(parse_amount("92,5", ","), Decimal("92.5"))
        self.assertEqual(parse_amount("92.500.000,00", ","), Decimal("92500000.00"))
        self.assertEqual(parse_amount("92.500", ","), Decimal("92500"))
        self.assertEqual(parse_amount("92,500", "."), Decimal("92500"))
        self.assertEqual(parse_amount("-1.234,5", ","), Decimal("-1234.5"))

    def test_an_amount_not_written_in_the_files_convention_is_refused(self):
        for text in ["92.5", "92,500,000.00", "1.23,5", "9,2,5"]:
            with self.subTest(text=text), self.assertRaises(AmountError) as caught:
                parse_amount(text, ",")
            self.assertEqual(caught.exception.decimal, ",")

    def test_a_cell_shows_its_convention_only_when_it_reads_one_way(self):
        self.assertEqual(decimal_evidence("92,5"), ",")
        self.assertEqual(decimal_evidence("92.500.000,00"), ",")
        self.assertEqual(decimal_evidence("1.234.567"), ",")
        self.assertEqual(decimal_evidence("92.5"), ".")
        self.assertEqual(decimal_evidence("92,500,000.00"), ".")
        for text in ["92500", "92.500", "92,500", "abc", ""]:
            with self.subTest(text=text):
                self.assertIsNone(decimal_evidence(text))


class ReadingTests(SimpleTestCase):
    def test_windows_1252_with_semicolons_and_decimal_commas(self):
        dataset, reading = read(f"{HEADER}\r\nA;92,5;Café “bueno”\r\n", "cp1252")
        self.assertEqual(
            (reading.encoding, reading.delimiter, reading.decimal), ("cp1252", ";", ",")
        )
        self.assertEqual(dataset.headers, ["code", "amount", "note"])
        self.assertEqual(dataset[0], ("A", "92,5", "Café “bueno”"))

    def test_utf_8_with_and_without_a_byte_order_mark(self):
        _, plain = read("code,amount\nÁ,92.5\n")
        dataset, marked = read("code,amount\nÁ,92.5\n", bom=b"\xef\xbb\xbf")
        self.assertEqual((plain.encoding, marked.encoding), ("utf-8", "utf-8-sig"))
        self.assertEqual(dataset.headers, ["code", "amount"])
        self.assertEqual(dataset[0], ("Á", "92.5"))

    def test_latin_1_tabs_and_utf_16(self):
        _, latin = read("code\tamount\n\x81Ñ\t1\n", "latin-1")
        self.assertEqual((latin.encoding, latin.delimiter), ("latin-1", "\t"))
        dataset, wide = read("code\tamount\nÑ\t1\n", "utf-16")
        self.assertEqual((wide.encoding, dataset[0]), ("utf-16", ("Ñ", "1")))

    def test_short_rows_are_padded_and_empty_rows_dropped(self):
        dataset, reading = read(f"{HEADER};;\r\nA;1\r\n;;;;\r\n")
        self.assertEqual(len(dataset), 1)
        self.assertEqual(dataset[0], ("A", "1", ""))
        self.assertIsNone(reading.decimal)

    def test_a_row_longer_than_the_header_is_refused_naming_it(self):
        with self.assertRaisesMessage(
            SpreadsheetError, "Row 2 has 2 cells more than the 3 column names"
        ):
            read(f"{HEADER}\nA;1;x\nB;2;y;z;w\n")

    def test_the_preview_says_what_was_found(self):
        _, reading = read(f"{HEADER}\nA;1.234,5;año\nB;2,5;y\n", "cp1252")
        self.assertEqual(
            reading.describe(),
            "Read as text encoded as Windows-1252; columns separated by semicolons "
            "(;); numbers with a decimal comma (92,5 or 92.500.000,00).",
        )
