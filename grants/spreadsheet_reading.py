"""Spreadsheet files as officials save them, for every spreadsheet import: a CSV's
encoding (UTF-8 with or without a byte-order mark, UTF-16 from Excel's "Unicode text",
Windows-1252 from Excel's plain "CSV", Latin-1) and delimiter (comma, semicolon, tab)
are found from the file itself, and so is the decimal convention of its numbers (92,5
or 92.5), which the import then reads every number by (grants.money.parse_amount).
What was found is said in the preview (`Reading.describe`). XLSX files carry their
numbers as numbers; their text cells are checked for a convention all the same."""

import codecs
import csv
import io
from dataclasses import asdict, dataclass

import tablib

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .money import decimal_evidence

DELIMITERS = (",", ";", "\t")
# Bytes that Windows-1252 prints (“ ” € …) and Latin-1 reads as control characters.
WINDOWS_1252_ONLY = bytes(range(0x80, 0xA0))


class SpreadsheetError(ValueError):
    """A file that cannot be read as a spreadsheet; the message is for the official."""


@dataclass(frozen=True)
class Reading:
    """What a file was found to be."""

    encoding: str = ""  # "" for XLSX
    delimiter: str = ""  # "" for XLSX
    decimal: str | None = None  # "," or ".", None when no cell shows one
    mixed: bool = False  # cells show both conventions

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Reading":
        return cls(**values)

    def describe(self) -> str:
        """One sentence for the preview, in the official's language."""
        parts = []
        if self.encoding:
            parts.append(
                _("text encoded as %(encoding)s")
                % {"encoding": ENCODING_NAMES.get(self.encoding, self.encoding)}
            )
            parts.append(
                _("columns separated by %(delimiter)s")
                % {"delimiter": delimiter_name(self.delimiter)}
            )
        else:
            parts.append(_("an Excel workbook (first sheet)"))
        if self.mixed:
            parts.append(
                _(
                    "numbers written in both conventions: each is read on its own, "
                    "and one that reads two ways (1.500) is refused"
                )
            )
        elif self.decimal == ",":
            parts.append(_("numbers with a decimal comma (92,5 or 92.500.000,00)"))
        elif self.decimal == ".":
            parts.append(_("numbers with a decimal point (92.5 or 92,500,000.00)"))
        else:
            parts.append(_("no number in the file shows its decimal separator"))
        return _("Read as %(parts)s.") % {"parts": "; ".join(parts)}


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with byte-order mark)",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}


def delimiter_name(delimiter: str) -> str:
    return {
        ",": _("commas (,)"),
        ";": _("semicolons (;)"),
        "\t": _("tabs"),
    }[delimiter]


def decode(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was found in."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16"), "utf-16"
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        bom = content.startswith(codecs.BOM_UTF8)
        return text, "utf-8-sig" if bom else "utf-8"
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # Bytes Windows-1252 leaves undefined (0x81, 0x8d…): only Latin-1 reads them.
        return content.decode("latin-1"), "latin-1"


def find_delimiter(header_line: str) -> str:
    """The delimiter that splits the column names most (the names hold none)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_csv(content: bytes) -> tuple[tablib.Dataset, str, str]:
    text, encoding = decode(content)
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    delimiter = find_delimiter(header_line)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    # Excel adds rows of empty cells (;;;;) under the data; they are not rows.
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return tablib.Dataset(), encoding, delimiter
    headers = [cell.strip() for cell in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    data = []
    for number, row in enumerate(rows[1:], 1):
        extra = [cell for cell in row[width:] if cell.strip()]
        if extra:
            raise SpreadsheetError(
                ngettext(
                    "Row %(row)s has %(count)s cell more than the %(width)s column "
                    "names (“%(extra)s”): remove it, or give its column a name in "
                    "the first row.",
                    "Row %(row)s has %(count)s cells more than the %(width)s column "
                    "names (“%(extra)s”): remove them, or give their columns a name "
                    "in the first row.",
                    len(extra),
                )
                % {
                    "row": number,
                    "count": len(extra),
                    "width": width,
                    "extra": "”, “".join(extra),
                }
            )
        data.append(row[:width] + [""] * (width - len(row)))
    return tablib.Dataset(*data, headers=headers), encoding, delimiter


def find_decimal(dataset: tablib.Dataset, number_columns) -> tuple[str | None, bool]:
    """The decimal separator the file's number cells show, and whether they show
    both."""
    headers = list(dataset.headers or [])
    indexes = [headers.index(name) for name in number_columns if name in headers]
    seen = {
        decimal_evidence(row[index])
        for row in dataset
        for index in indexes
        if isinstance(row[index], str)
    } - {None}
    if len(seen) == 1:
        return seen.pop(), False
    return None, len(seen) > 1


def read_spreadsheet(
    content: bytes, *, file_format, number_columns=()
) -> tuple[tablib.Dataset, Reading]:
    """The rows of an uploaded file (`file_format`: django-import-export's CSV or
    XLSX class) and what it was found to be."""
    if file_format().get_extension() == "csv":
        dataset, encoding, delimiter = read_csv(content)
    else:
        try:
            dataset = file_format().create_dataset(content)
        except Exception as error:
            raise SpreadsheetError(
                _(
                    "The file could not be read as %(format)s (%(error)s): save it "
                    "again from Excel or LibreOffice as .xlsx, or as CSV."
                )
                % {"format": file_format().get_title(), "error": type(error).__name__}
            ) from error
        encoding = delimiter = ""
    decimal, mixed = find_decimal(dataset, number_columns)
    return dataset, Reading(encoding, delimiter, decimal, mixed)


def write_csv(dataset: tablib.Dataset, *, decimal: str, number_columns=()) -> str:
    """A template file in one convention: "." with commas between columns, or ","
    with semicolons (what Excel and LibreOffice use in a Spanish locale). UTF-8 with
    a byte-order mark, which Excel reads; LibreOffice asks (choose UTF-8)."""
    delimiter = "," if decimal == "." else ";"
    headers = list(dataset.headers)
    indexes = {headers.index(name) for name in number_columns if name in headers}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for row in dataset:
        writer.writerow(
            [
                str(cell).replace(".", decimal) if index in indexes else cell
                for index, cell in enumerate(row)
            ]
        )
    return "\ufeff" + out.getvalue()
