"""CSV reports of agreements, amendments and program areas, and the report registry.

Each report defines its columns once; the catalogue page, the public download, the
list pages' `?format=csv` and the admin's "export selected" all use that definition.
Reports of other apps register here too (`indicators/reports.py`), found by
`autodiscover_modules("reports")`, so `grants` never imports from `indicators`.
"""

from django.db.models import (
    Case,
    F,
    Func,
    TextField,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from .csv_export import Column, Kind, Report, boolean_text, has_annotation
from .models import (
    PAYMENTS_NEWEST_FIRST,
    Agreement,
    AgreementKind,
    AgreementSector,
    AgreementStatus,
    Amendment,
    Disbursement,
    DisbursementKind,
    ProgramArea,
    PublicationState,
    RecipientArea,
    published_q,
)
from .registry import Registry

REPORTS = Registry("reports")
register = REPORTS.register


def get_reports() -> list[Report]:
    """Every registered report, in the order the apps register them."""
    return REPORTS.all()


def get_report(name: str) -> Report | None:
    return {report.name: report for report in get_reports()}.get(name)


def is_public_text(model) -> Column:
    """A staff column: whether the row passes the model's public gate."""
    return Column(
        "is_public",
        lambda include_drafts: Case(
            When(pk__in=model.objects.public().values("pk"), then=Value("true")),
            default=Value("false"),
            output_field=TextField(),
        ),
        Kind.TEXT,
        _("Staff exports only: true when the public sees this row, false for drafts."),
    )


def publication_column(name="publication", path="publication", whose=None) -> Column:
    return Column(
        name,
        path,
        Kind.TEXT,
        whose or _("Staff exports only: the publication state of the row."),
        choices=PublicationState,
    )


def agreement_row_staff_columns(model) -> tuple[Column, ...]:
    """The staff columns of a row with a publication of its own under an agreement
    (amendments, disbursements): both publication states and the gate's answer."""
    return (
        publication_column(),
        publication_column(
            "agreement_publication",
            "agreement__publication",
            _("Staff exports only: the publication state of the agreement."),
        ),
        is_public_text(model),
    )


# Agreements ---------------------------------------------------------------------


def framework_code(include_drafts: bool):
    """A draft framework is not shown to the public, not even by its code."""
    if include_drafts:
        return F("framework__code")
    return Case(
        When(published_q("framework__"), then=F("framework__code")),
        default=None,
        output_field=TextField(),
    )


class ProgramAreaCodes(Func):
    """The codes of an agreement's program areas in alphabetical order, joined by ";"
    (codes are slugs, so they never contain one). Not `StringAgg`: before Django 6.0
    it is PostgreSQL's only (django.contrib.postgres), and this runs on SQLite too."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        (agreement,) = self.get_source_expressions()
        agreement_sql, params = compiler.compile(agreement)
        links = connection.ops.quote_name(
            Agreement.program_areas.through._meta.db_table
        )
        areas = connection.ops.quote_name(ProgramArea._meta.db_table)
        joined = (
            f"FROM {links} AS links JOIN {areas} AS areas "
            f"ON areas.id = links.programarea_id WHERE links.agreement_id = {agreement_sql}"
        )
        if connection.vendor == "postgresql":
            return (
                f"(SELECT STRING_AGG(areas.code, ';' ORDER BY areas.code) {joined})",
                params,
            )
        # SQLite's group_concat keeps the order of an ordered subquery.
        return (
            f"(SELECT group_concat(code, ';') FROM "
            f"(SELECT areas.code AS code {joined} ORDER BY areas.code))",
            params,
        )


class StatedRows(Func):
    """An agreement's recipient areas or sectors as the publisher states them, in
    its order, joined by ";", each as its `fields` joined by ":" (a percentage with
    two decimals, empty when not stated): the same text from every database."""

    output_field = TextField()

    def __init__(self, agreement, *, model, fields, **extra):
        self.model, self.fields = model, fields
        super().__init__(agreement, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        (agreement,) = self.get_source_expressions()
        agreement_sql, params = compiler.compile(agreement)
        table = connection.ops.quote_name(self.model._meta.db_table)
        if connection.vendor == "postgresql":
            number = "TO_CHAR(rows.{}, 'FM990.00')"
        else:
            number = "printf('%%.2f', rows.{})"
        parts = [
            f"COALESCE({number.format(name)}, '')"
            if name == "percentage"
            else f"rows.{name}"
            for name in self.fields
        ]
        item = " || ':' || ".join(parts)
        where = f"FROM {table} AS rows WHERE rows.agreement_id = {agreement_sql}"
        if connection.vendor == "postgresql":
            return (
                f"(SELECT STRING_AGG({item}, ';' ORDER BY rows.position, rows.id) "
                f"{where})",
                params,
            )
        return (
            f"(SELECT group_concat(item, ';') FROM (SELECT {item} AS item {where} "
            "ORDER BY rows.position, rows.id))",
            params,
        )


def annotate_agreements(queryset, include_drafts: bool):
    if not has_annotation(queryset, "shown_total"):
        queryset = queryset.with_figures(include_drafts=include_drafts)
    return queryset


AGREEMENTS = register(
    Report(
        name="agreements",
        title=_("Agreements"),
        description=_(
            "One row per agreement: parties, dates, currency and the total of its "
            "amendments."
        ),
        model=Agreement,
        columns=(
            Column(
                "code",
                "code",
                Kind.TEXT,
                _("The agreement's number as its documents give it, e.g. 527-0427."),
            ),
            Column("title", "title", Kind.TEXT, _("The agreement's title.")),
            Column(
                "kind",
                "kind",
                Kind.TEXT,
                _("The kind of agreement, as a code."),
                choices=AgreementKind,
            ),
            Column(
                "status",
                "status",
                Kind.TEXT,
                _("Where the agreement stands, as a code."),
                choices=AgreementStatus,
            ),
            Column(
                "framework_code",
                framework_code,
                Kind.TEXT,
                _(
                    "Code of the framework agreement this one was signed under; empty "
                    "if none."
                ),
            ),
            Column(
                "donor",
                "donor__name",
                Kind.TEXT,
                _("Full name of the donor organization."),
            ),
            Column(
                "donor_acronym",
                "donor__acronym",
                Kind.TEXT,
                _("The donor's acronym, e.g. USAID; empty if it has none."),
            ),
            Column(
                "donor_country",
                "donor__country",
                Kind.TEXT,
                _(
                    "ISO 3166-1 alpha-2 code of the donor's country; empty for "
                    "international bodies."
                ),
            ),
            Column(
                "recipient",
                "recipient__name",
                Kind.TEXT,
                _("Full name of the recipient organization."),
            ),
            Column(
                "recipient_acronym",
                "recipient__acronym",
                Kind.TEXT,
                _("The recipient's acronym; empty if it has none."),
            ),
            Column(
                "recipient_country",
                "recipient__country",
                Kind.TEXT,
                _("ISO 3166-1 alpha-2 code of the recipient's country."),
            ),
            Column(
                "signed_on",
                "signed_on",
                Kind.DATE,
                _("Date of signature (YYYY-MM-DD); empty where the source is silent."),
            ),
            Column(
                "start_on",
                "start_on",
                Kind.DATE,
                _("Start date (YYYY-MM-DD); empty where the source is silent."),
            ),
            Column(
                "end_on",
                "end_on",
                Kind.DATE,
                _("End date (YYYY-MM-DD); empty where the source is silent."),
            ),
            Column(
                "currency",
                "currency",
                Kind.TEXT,
                _("ISO 4217 code of every amount of the agreement, e.g. USD."),
            ),
            Column(
                "total",
                "shown_total",
                Kind.DECIMAL,
                _(
                    "Sum of the agreement's published amendments (obligations less "
                    "de-obligations), in its currency, with a point and two decimals."
                ),
            ),
            Column(
                "unreconciled_amendments",
                "shown_unreconciled_count",
                Kind.INTEGER,
                _(
                    "How many amendments state a cumulative total that differs from "
                    "the computed running total; 0 when all agree."
                ),
            ),
            Column(
                "disbursed",
                "shown_disbursed",
                Kind.DECIMAL,
                _(
                    "Sum of the agreement's published disbursements (paid by the donor "
                    "to the recipient; reimbursements subtracted), in its currency."
                ),
            ),
            Column(
                "spent",
                "shown_spent",
                Kind.DECIMAL,
                _("Sum of the agreement's published expenditure, in its currency."),
            ),
            Column(
                "share_disbursed",
                "shown_disbursed_share",
                Kind.DECIMAL,
                _(
                    "The disbursed sum as a percentage of the total, rounded down to "
                    "two decimals (above 100 when more was disbursed than committed); "
                    "empty when nothing is committed or no disbursement is published."
                ),
            ),
            Column(
                "program_area_codes",
                ProgramAreaCodes(F("pk")),
                Kind.TEXT,
                _(
                    "Codes of the agreement's program areas, alphabetical, separated "
                    "by semicolons; the program-areas report gives their names."
                ),
            ),
            Column(
                "recipient_areas",
                StatedRows(F("pk"), model=RecipientArea, fields=("code", "percentage")),
                Kind.TEXT,
                _(
                    "The recipient countries (ISO codes) and regions with their "
                    "percentages as the publisher states them, e.g. BR:60.00;BO:40.00 "
                    "(empty percentage: not stated); empty when none is stated."
                ),
            ),
            Column(
                "sectors",
                StatedRows(
                    F("pk"),
                    model=AgreementSector,
                    fields=("vocabulary", "code", "percentage"),
                ),
                Kind.TEXT,
                _(
                    "The sectors as the publisher states them: vocabulary (1 = OECD "
                    "DAC 5-digit, 99 = the publisher's own), code and percentage, e.g. "
                    "1:12110:50.00;1:12220:50.00."
                ),
            ),
            Column(
                "earlier_transactions_unpublished",
                boolean_text("earlier_transactions_unpublished"),
                Kind.TEXT,
                _(
                    "true when the publisher's file starts part-way through the "
                    "agreement: the totals are then the net change since its first "
                    "published transaction, not the agreement's value."
                ),
            ),
            Column(
                "published_by_ref",
                "reporting_org_ref",
                Kind.TEXT,
                _(
                    "The IATI reference of the organisation whose file the agreement "
                    "was imported from; empty for our own record."
                ),
            ),
            Column(
                "published_by",
                "reporting_org_name",
                Kind.TEXT,
                _("That organisation's name; empty for our own record."),
            ),
            Column("summary", "summary", Kind.TEXT, _("A short description.")),
        ),
        staff_columns=(publication_column(), is_public_text(Agreement)),
        annotate=annotate_agreements,
        ordering=("code", "pk"),
    )
)


# Amendments ---------------------------------------------------------------------


def annotate_amendments(queryset, include_drafts: bool):
    if not has_annotation(queryset, "shown_running_total"):
        queryset = queryset.with_figures(include_drafts=include_drafts)
    return queryset


RECONCILIATION = Case(
    When(reconciled=True, then=Value("reconciled")),
    When(reconciled=False, then=Value("unreconciled")),
    default=None,
    output_field=TextField(),
)

AMENDMENTS = register(
    Report(
        name="amendments",
        title=_("Amendments"),
        description=_(
            "One row per amendment (obligation or de-obligation), with the running "
            "total after it and its reconciliation with the total the document states."
        ),
        model=Amendment,
        columns=(
            Column(
                "agreement_code",
                "agreement__code",
                Kind.TEXT,
                _("Code of the agreement the amendment belongs to."),
            ),
            Column(
                "agreement_title",
                "agreement__title",
                Kind.TEXT,
                _("Title of that agreement."),
            ),
            Column(
                "currency",
                "agreement__currency",
                Kind.TEXT,
                _("ISO 4217 code of the amounts, the agreement's currency."),
            ),
            Column(
                "sequence",
                "sequence",
                Kind.INTEGER,
                _(
                    "1 for the original obligation, 2 for the first amendment, and so on."
                ),
            ),
            Column("title", "title", Kind.TEXT, _("The amendment's title.")),
            Column(
                "signed_on",
                "signed_on",
                Kind.DATE,
                _("Date of signature (YYYY-MM-DD); empty where the source is silent."),
            ),
            Column(
                "period_start",
                "period_start",
                Kind.DATE,
                _("Start of the period the amount is for (YYYY-MM-DD)."),
            ),
            Column(
                "period_end",
                "period_end",
                Kind.DATE,
                _("End of that period (YYYY-MM-DD)."),
            ),
            Column(
                "amount",
                "amount",
                Kind.DECIMAL,
                _(
                    "Amount the amendment adds; negative for a de-obligation (money "
                    "taken back)."
                ),
            ),
            Column(
                "amount_is_derived",
                boolean_text("amount_is_derived"),
                Kind.TEXT,
                _(
                    "true when the source does not state the amount and it was computed "
                    "from other figures (the description says how)."
                ),
            ),
            Column(
                "running_total",
                "shown_running_total",
                Kind.DECIMAL,
                _(
                    "Computed: the sum of the agreement's published amounts up to and "
                    "including this amendment."
                ),
            ),
            Column(
                "stated_cumulative_total",
                "stated_cumulative_total",
                Kind.DECIMAL,
                _(
                    "The total to date as the document itself states it; empty if it "
                    "states none."
                ),
            ),
            Column(
                "reconciliation",
                RECONCILIATION,
                Kind.TEXT,
                _(
                    "reconciled when the stated total equals the running total, "
                    "unreconciled when it differs, empty when nothing is stated."
                ),
            ),
            Column("description", "description", Kind.TEXT, _("What it says.")),
            Column(
                "source",
                "source__title",
                Kind.TEXT,
                _("Title of the document the amendment was recorded from."),
            ),
            Column(
                "source_url",
                "source__url",
                Kind.TEXT,
                _("Web address of that document, where known."),
            ),
        ),
        staff_columns=agreement_row_staff_columns(Amendment),
        annotate=annotate_amendments,
        ordering=("agreement__code", "sequence", "pk"),
    )
)


# Disbursements ------------------------------------------------------------------

DISBURSEMENTS = register(
    Report(
        name="disbursements",
        title=_("Disbursements"),
        description=_(
            "One row per payment: disbursements from the donor to the recipient and "
            "expenditure by the implementer, with the date and the amount."
        ),
        model=Disbursement,
        columns=(
            Column(
                "agreement_code",
                "agreement__code",
                Kind.TEXT,
                _("Code of the agreement the payment is made under."),
            ),
            Column(
                "agreement_title",
                "agreement__title",
                Kind.TEXT,
                _("Title of that agreement."),
            ),
            Column(
                "kind",
                "kind",
                Kind.TEXT,
                _(
                    "disbursement: paid by the donor to the recipient; expenditure: "
                    "spent by the implementer."
                ),
                choices=DisbursementKind,
            ),
            Column(
                "date",
                "date",
                Kind.DATE,
                _("When the money was paid or spent (YYYY-MM-DD)."),
            ),
            Column(
                "currency",
                "agreement__currency",
                Kind.TEXT,
                _("ISO 4217 code of the amount, the agreement's currency."),
            ),
            Column(
                "amount",
                "amount",
                Kind.DECIMAL,
                _(
                    "The amount, with a point and two decimals; negative for a "
                    "reimbursement or a correction (money returned)."
                ),
            ),
            Column(
                "provider",
                "provider__name",
                Kind.TEXT,
                _("Who paid, where the source says; empty otherwise."),
            ),
            Column(
                "receiver",
                "receiver__name",
                Kind.TEXT,
                _("Who received the money, where the source says; empty otherwise."),
            ),
            Column("description", "description", Kind.TEXT, _("What it says.")),
            Column(
                "source",
                "source__title",
                Kind.TEXT,
                _("Title of the document the payment was recorded from."),
            ),
            Column(
                "source_url",
                "source__url",
                Kind.TEXT,
                _("Web address of that document, where known."),
            ),
        ),
        staff_columns=agreement_row_staff_columns(Disbursement),
        ordering=PAYMENTS_NEWEST_FIRST,
    )
)


# Program areas ------------------------------------------------------------------


def agreements_count(include_drafts: bool):
    """Each area's agreements, from the counts the list page remembers until the next
    write (grants.filters.program_area_counts): a correlated count per area read the
    whole join of agreements and areas, seconds per API page at 100,000 agreements."""
    from .filters import counts_by_pk, program_area_counts

    return counts_by_pk(program_area_counts(include_drafts=include_drafts), 0)


PROGRAM_AREAS = register(
    Report(
        name="program-areas",
        title=_("Program areas"),
        description=_(
            "One row per program area, with its parent area and how many published "
            "agreements work in it."
        ),
        model=ProgramArea,
        columns=(
            Column(
                "code",
                "code",
                Kind.TEXT,
                _("Short identifier of the area, used in web addresses."),
            ),
            Column("name", "name", Kind.TEXT, _("Name of the area.")),
            Column(
                "parent_code",
                "parent__code",
                Kind.TEXT,
                _("Code of the area it belongs to; empty for a top-level area."),
            ),
            Column(
                "parent",
                "parent__name",
                Kind.TEXT,
                _("Name of that parent area."),
            ),
            Column(
                "dac_sector_code",
                "dac_sector_code",
                Kind.TEXT,
                _("OECD DAC 5-digit purpose code, where assigned."),
            ),
            Column(
                "display_order",
                "display_order",
                Kind.INTEGER,
                _("Lower numbers are listed first."),
            ),
            Column(
                "agreements",
                agreements_count,
                Kind.INTEGER,
                _("Number of published agreements in this area."),
            ),
            Column("description", "description", Kind.TEXT, _("What the area covers.")),
        ),
        ordering=("display_order", "name", "pk"),
    )
)
