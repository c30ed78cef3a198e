"""Streaming CSV for reports: one column definition, two writers with identical bytes.

A report declares its columns once (header, ORM path or expression, kind, description).
Every column becomes an annotation of the caller's queryset, so the page's filters,
search and ordering apply unchanged, and text cells are neutralized in SQL against
formula injection. The SQL is then streamed either by PostgreSQL's own
``COPY (SELECT ...) TO STDOUT WITH (FORMAT csv)`` through psycopg 3, or by Python's csv
writer over ``values_list().iterator()`` (SQLite, and any other database). Both give
the same bytes: UTF-8 with a byte-order mark, a header row, ``\\r\\n`` line ends, ISO
dates, plain decimals.
"""

import codecs
import csv
import enum
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice

from django.db import connections, models, transaction
from django.db.models import Case, F, Value, When
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy

from . import languages
from .models import public_rows

# OWASP "CSV injection": spreadsheet programs treat a cell starting with one of these as a
# formula (tab, CR and LF because some programs strip them before looking).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
NEUTRALIZING_PREFIX = "'"
# Separators a spreadsheet may split a line on whatever this file's own (Excel in a
# Spanish locale splits on ";"), and line breaks. Where one of them is followed (after
# blanks) by a formula trigger, the text after it would start a cell, and a formula,
# in a program that splits there: a ' goes before the trigger. Written with the
# characters themselves, so the pattern means the same to PostgreSQL and Python.
SEPARATORS = (",", ";", "\t", "\r", "\n")
TRIGGER_AFTER_SEPARATOR = "([,;\t\r\n][ \t\r\n]*)([-=+@])"

logger = logging.getLogger(__name__)

LINE_END = "\r\n"
BOM = codecs.BOM_UTF8
CHUNK_ROWS = 2000


class Kind(enum.Enum):
    """How a column is written. Only text is neutralized; numbers and dates never are."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"


ColumnSource = str | models.Expression | Callable[[bool], models.Expression]


@dataclass(frozen=True)
class Column:
    """One CSV column: its snake_case header, where the value comes from (an ORM path,
    an expression, or a function of `include_drafts` returning one), its kind and the
    sentence the data dictionary shows."""

    name: str
    source: ColumnSource
    kind: Kind
    description: str | Promise
    choices: type[models.TextChoices] | None = None
    # A per-language column of a translated text (per_language): the text's own
    # header ("title") and the language ("es"), so a reader (the API) can group them.
    text_of: str | None = None
    language: str | None = None

    def value(self, *, include_drafts: bool) -> models.Expression:
        """The column's value as the database gives it, before any CSV formatting
        (the API reads it so)."""
        source = self.source
        if isinstance(source, str):
            return F(source)
        if callable(source) and not hasattr(source, "resolve_expression"):
            return source(include_drafts)
        return source

    def expression(self, *, include_drafts: bool) -> models.Expression:
        """The cell as the CSV writes it: text neutralized, decimals formatted."""
        source = self.value(include_drafts=include_drafts)
        if self.kind is Kind.TEXT:
            return Neutralized(source)
        if self.kind is Kind.DECIMAL:
            return DecimalText(source)
        return source


def neutralize(text):
    """The rule, in Python (SQLite's `grants_csv_neutralize`): a ' before every
    formula trigger that follows a separator (after blanks), and before the text when
    it starts with a trigger; None for no text or an empty one (an empty cell either
    way, written the same by both writers)."""
    if text is None or text == "":
        return None
    text = re.sub(
        TRIGGER_AFTER_SEPARATOR, r"\1" + NEUTRALIZING_PREFIX + r"\2", str(text)
    )
    return NEUTRALIZING_PREFIX + text if text.startswith(FORMULA_TRIGGERS) else text


class Neutralized(models.Func):
    """`neutralize` in SQL: SQLite calls the Python function (registered on each
    connection by `register_sqlite_neutralize`); PostgreSQL has its own spelling."""

    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"grants_csv_neutralize({sql})", params

    def as_postgresql(self, compiler, connection, **extra_context):
        """The replacement runs only on a text holding a separator (strpos is much
        cheaper than a regular expression, and most cells hold none); a leading
        trigger is found by its code (ascii() of the first character): the
        replacement never changes the first character, so it is read from the text
        itself. Neutralizing was most of the export's time (docs/performance.md)."""
        sql, params = compiler.compile(self.get_source_expressions()[0])
        text = f"({sql})::text"
        has_separator = " OR ".join([f"strpos({text}, %s) > 0"] * len(SEPARATORS))
        replaced = (
            f"CASE WHEN {has_separator} "
            f"THEN regexp_replace({text}, %s, %s, 'g') ELSE {text} END"
        )
        replaced_params = (
            *[value for separator in SEPARATORS for value in (*params, separator)],
            *params,
            TRIGGER_AFTER_SEPARATOR,
            "\\1" + NEUTRALIZING_PREFIX + "\\2",
            *params,
        )
        codes = ", ".join(str(ord(trigger)) for trigger in FORMULA_TRIGGERS)
        return (
            f"NULLIF(CASE WHEN ascii({text}) IN ({codes}) THEN %s || {replaced} "
            f"ELSE {replaced} END, '')",
            (*params, NEUTRALIZING_PREFIX, *replaced_params, *replaced_params),
        )


def register_sqlite_neutralize(sender, connection, **kwargs):
    """connection_created receiver: give SQLite the `grants_csv_neutralize` function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "grants_csv_neutralize", 1, neutralize, deterministic=True
        )


class DecimalText(models.Func):
    """A decimal with exactly two places and a point, never in scientific notation:
    `92500000.00`, `-1000000.00`. PostgreSQL prints numeric(40, 2) that way itself;
    SQLite, which keeps decimals as integers or floats, formats them with printf."""

    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.get_source_expressions()[0])

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST({sql} AS numeric(40, 2))", params

    def as_sqlite(self, compiler, connection, **extra_context):
        # "%%" is how a literal "%" is written in SQL that also takes parameters.
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return (
            f"CASE WHEN {sql} IS NULL THEN NULL ELSE printf('%%.2f', {sql}) END",
            (*params, *params),
        )


def boolean_text(path: str) -> models.Expression:
    """`true`, `false` or empty: the same text from every database."""
    return Case(
        When(**{path: True}, then=Value("true")),
        When(**{path: False}, then=Value("false")),
        default=None,
        output_field=models.TextField(),
    )


def per_language(model, columns: Iterable[Column]) -> tuple[Column, ...]:
    """`columns` with each one that reads a translated text (an ORM path such as
    "title" or "donor__name") given once per language of the record, in the order
    of grants.languages.codes(): "title" -> "title_en", "title_es", each described
    with its language."""
    expanded = []
    for column in columns:
        paths = [(None, column.source)]
        if isinstance(column.source, str):
            paths = languages.path_columns(model, column.source)
        if paths[0][0] is None:
            expanded.append(column)
            continue
        for language, path in paths:
            expanded.append(
                replace(
                    column,
                    name=languages.column(column.name, language),
                    source=path,
                    description=format_lazy(
                        "{} {}", column.description, languages.in_language(language)
                    ),
                    text_of=column.name,
                    language=language,
                )
            )
    return tuple(expanded)


@dataclass(frozen=True)
class Report:
    """A downloadable report: what it is, its columns, and how its rows are found.

    A column of a translated text is written once per language (`per_language`).

    `annotate` adds the annotations the columns refer to (running totals, for example)
    when the caller's queryset does not have them yet. `staff_columns` are added to
    the admin's "export selected" action, which includes drafts and marks them.
    """

    name: str
    title: str | Promise
    description: str | Promise
    model: type[models.Model]
    columns: tuple[Column, ...]
    staff_columns: tuple[Column, ...] = ()
    annotate: Callable[[models.QuerySet, bool], models.QuerySet] | None = None
    ordering: tuple[str, ...] = ()

    def __post_init__(self):
        # Frozen: the expanded columns are set as the dataclass itself does.
        object.__setattr__(self, "columns", per_language(self.model, self.columns))
        object.__setattr__(
            self, "staff_columns", per_language(self.model, self.staff_columns)
        )

    def public_queryset(self) -> models.QuerySet:
        queryset = public_rows(self.model)
        return queryset.order_by(*self.ordering) if self.ordering else queryset

    def columns_for(self, *, include_drafts: bool) -> tuple[Column, ...]:
        return self.columns + self.staff_columns if include_drafts else self.columns

    def header(self, *, include_drafts: bool = False) -> list[str]:
        return [
            column.name for column in self.columns_for(include_drafts=include_drafts)
        ]

    def filename(self, qualifier: str = "") -> str:
        name = f"{self.name}-{qualifier}" if qualifier else self.name
        return f"{name}-{timezone.localdate():%Y-%m-%d}.csv"

    def rows_queryset(self, queryset, *, include_drafts: bool = False):
        """`queryset` as a values_list of exactly the report's cells, in order."""
        if self.annotate is not None:
            queryset = self.annotate(queryset, include_drafts)
        columns = self.columns_for(include_drafts=include_drafts)
        aliases = {
            cell_alias(index): column.expression(include_drafts=include_drafts)
            for index, column in enumerate(columns)
        }
        # COPY writes the columns in the SELECT's order (languages.stored_columns).
        queryset = languages.stored_columns(queryset.annotate(**aliases))
        return queryset.values_list(*aliases)


def cell_alias(index: int) -> str:
    """The SQL name of a report's cell (Report.rows_queryset)."""
    return f"csv_{index}"


def has_annotation(queryset, name: str) -> bool:
    return name in queryset.query.annotations


def header_bytes(report: Report, *, include_drafts: bool) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerow(
        report.header(include_drafts=include_drafts)
    )
    return buffer.getvalue().encode()


def stream_csv(
    report: Report,
    queryset,
    *,
    include_drafts: bool = False,
    method: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[bytes]:
    """Yield the CSV file in chunks: BOM and header first, then the rows as they are read.

    `method` is "copy" (PostgreSQL only) or "python"; by default COPY where the
    database is PostgreSQL.
    """
    rows = report.rows_queryset(queryset, include_drafts=include_drafts)
    vendor = connections[rows.db].vendor
    if method is None:
        method = "copy" if vendor == "postgresql" else "python"
    if method == "copy" and vendor != "postgresql":
        raise ValueError("COPY export needs PostgreSQL.")
    text_columns = [
        index
        for index, column in enumerate(
            report.columns_for(include_drafts=include_drafts)
        )
        if column.kind is Kind.TEXT
    ]
    yield BOM + header_bytes(report, include_drafts=include_drafts)
    written = 0
    try:
        if method == "copy":
            chunks = copy_chunks(rows, text_columns=text_columns, chunk_rows=chunk_rows)
        else:
            chunks = python_chunks(
                rows, text_columns=text_columns, chunk_rows=chunk_rows
            )
        for chunk in chunks:
            yield chunk
            written += 1
    except Exception:
        # Re-raised: the server then drops the connection before the end of the
        # transfer, so the client sees an incomplete download, not a short file.
        logger.exception(
            "CSV export %r stopped after %d chunk(s) of %d rows; the download was "
            "aborted.",
            report.name,
            written,
            chunk_rows,
        )
        raise


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def csv_line(row, text_columns) -> str:
    """One CSV line: every non-empty text cell quoted (so no separator a spreadsheet
    may split on, `,` `;` or tab, no quote and no line break inside it splits it),
    numbers and dates as they are, None as an empty cell. The same bytes as COPY
    with FORCE_QUOTE on the text columns."""
    cells = [
        ""
        if value is None
        else value.isoformat()
        if hasattr(value, "isoformat")
        else str(value)
        for value in row
    ]
    for index in text_columns:
        if row[index] is not None:
            cells[index] = quoted(cells[index])
    return ",".join(cells) + LINE_END


def python_chunks(rows, *, text_columns, chunk_rows: int) -> Iterator[bytes]:
    """The CSV lines over a chunked read. Decimals arrive as text already formatted
    by the database (DecimalText), and are not text columns."""
    iterator = rows.iterator(chunk_size=chunk_rows)
    while batch := list(islice(iterator, chunk_rows)):
        yield "".join(csv_line(row, text_columns) for row in batch).encode()


def compiled_sql(rows) -> tuple[str, tuple]:
    return rows.query.get_compiler(using=rows.db).as_sql()


def copy_statement(rows, *, text_columns=()) -> str:
    """The COPY statement for `rows`, with parameters bound on the client exactly as
    Django would bind them for the same query; the text columns always quoted."""
    import psycopg

    connection = connections[rows.db]
    connection.ensure_connection()
    sql, params = compiled_sql(rows)
    select = psycopg.ClientCursor(connection.connection).mogrify(sql, params)
    force_quote = ""
    if text_columns:
        names = ", ".join(f'"{cell_alias(index)}"' for index in text_columns)
        force_quote = f", FORCE_QUOTE ({names})"
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv{force_quote})"


def copy_chunks(rows, *, text_columns=(), chunk_rows: int) -> Iterator[bytes]:
    """PostgreSQL writes the CSV itself. It sends one message per row, ending in
    "\\n"; each becomes "\\r\\n" (line ends inside quoted text are left alone, as the
    Python writer leaves them)."""
    connection = connections[rows.db]
    statement = copy_statement(rows, text_columns=text_columns)
    with (
        transaction.atomic(using=rows.db),
        connection.cursor() as cursor,
    ):
        # ISO dates whatever the server's default; LOCAL ends with the transaction.
        cursor.execute("SET LOCAL datestyle TO 'ISO, YMD'")
        with cursor.cursor.copy(statement) as copy:
            yield from _crlf_batches(copy, chunk_rows)


def _crlf_batches(messages: Iterable, chunk_rows: int) -> Iterator[bytes]:
    batch = []
    append = batch.append
    for message in messages:
        append(message[:-1])
        if len(batch) >= chunk_rows:
            append(b"")
            yield b"\r\n".join(batch)
            batch.clear()
    if batch:
        append(b"")
        yield b"\r\n".join(batch)


def csv_response(
    report: Report,
    queryset=None,
    *,
    include_drafts: bool = False,
    filename: str | None = None,
    method: str | None = None,
) -> StreamingHttpResponse:
    """A streamed CSV download of `queryset` (by default the report's public rows).

    List views call it for `?format=csv` with their filtered, ordered queryset, which
    must be built on `public()`; the admin calls it with `include_drafts=True`.
    """
    if queryset is None:
        queryset = report.public_queryset()
    response = StreamingHttpResponse(
        stream_csv(report, queryset, include_drafts=include_drafts, method=method),
        content_type="text/csv; charset=utf-8",
    )
    filename = filename or report.filename()
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
