"""Step 2 of an IATI import: what one parsed activity becomes in the record.

`map_activity()` turns an ActivityRecord (parse.py) into an ActivityPlan: the
agreement's values, the rows of information (recipient areas, sectors, budgets),
the amendments, the payments kept, the indicators with their results, and the
problems found. Each problem is kept beside the part it concerns, so the report
lists them in the order write.py writes the parts. The rules applied here are the
record's own: one currency per agreement, no payment dated in the future, whether
the file starts mid-agreement (the ledger's rule), codes in their codelists.

Nothing here writes to the database; choosing a new agreement's code reads it.
Which organisation is which, and what the review rule keeps, depend on the stored
rows: write.py decides those.
"""

import dataclasses
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django_countries import countries as country_codes

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from grants import languages, ledger
from grants.models import (
    CODE_RE,
    Agreement,
    AgreementKind,
    Budget,
    BudgetStatus,
    BudgetType,
    paid_by_now,
)
from grants.money import MONEY_LIMIT
from indicators.models import Aggregation, Direction, Measure, ResultType, Unit

from . import codelists
from .parse import (
    ActivityRecord,
    BudgetRecord,
    OrgRecord,
    PaymentRecord,
    ProgramAreaRecord,
)

TWO_PLACES = Decimal("0.01")


class SkipActivity(Exception):
    """The activity cannot be imported whole; the message says why, and `notes`
    what was found about it before."""

    def __init__(self, reason: str, *, notes=()):
        super().__init__(reason)
        self.notes = list(notes)


# The rows to write ------------------------------------------------------------
# Each names the model's fields it fills; write.py compares them with the stored
# rows and replaces those only when they differ.


def fields_of(row, names) -> dict:
    """A row's fields `names` as the model's keyword arguments."""
    return {name: getattr(row, name) for name in names}


@dataclass(frozen=True)
class AreaRow:
    """A RecipientArea."""

    kind: str
    code: str
    vocabulary: str
    percentage: Decimal | None
    name: str


@dataclass(frozen=True)
class SectorRow:
    """An AgreementSector."""

    vocabulary: str
    vocabulary_uri: str
    code: str
    name: str
    percentage: Decimal | None


# The fields each row fills. A Budget is the file's budget (parse.BudgetRecord) as it
# is, but its position.
AREA_FIELDS = tuple(f.name for f in dataclasses.fields(AreaRow))
SECTOR_FIELDS = tuple(f.name for f in dataclasses.fields(SectorRow))
BUDGET_FIELDS = tuple(
    f.name for f in dataclasses.fields(BudgetRecord) if f.name != "position"
)


@dataclass(frozen=True)
class ResultPlan:
    """One Result of an indicator: `key` finds the stored row (with the indicator
    and the agreement), `values` are what the file says; `label` names it in the
    report."""

    label: str
    key: dict
    values: dict


@dataclass(frozen=True)
class IndicatorPlan:
    """An Indicator: found by `code`; `values` are the fields the file gives, `unit`
    a new one's unit; `program_area` our own record's area for it."""

    where: str
    code: str
    values: dict
    unit: str
    program_area: ProgramAreaRecord | None
    results: list[ResultPlan]


@dataclass(frozen=True)
class ActivityPlan:
    """What an activity becomes, before anything is written."""

    # The funding (else the reporting) organisation as the file names it.
    donor: OrgRecord
    # The agreement's fields but its donor, recipient and (new) code.
    agreement_values: dict
    # Amendments in sequence order, each field → value.
    amendments: list[dict]
    payments: list[PaymentRecord]
    areas: list[AreaRow]
    sectors: list[SectorRow]
    # Program areas: our own record's (linked ones), else the DAC 5-digit sectors'.
    program_areas: list[ProgramAreaRecord]
    dac_sector_codes: list[str]
    budgets: list[BudgetRecord]
    indicators: list[IndicatorPlan]
    # The problems found, by the part they concern.
    money_notes: list[str]
    agreement_notes: list[str]
    area_notes: list[str]
    budget_notes: list[str]


def map_activity(record: ActivityRecord, *, own: bool) -> ActivityPlan:
    """The plan for `record` (`own`: the file is our own export), or SkipActivity."""
    currency = agreement_currency(record)
    money_notes = []
    if record.other_transactions:
        money_notes.append(other_transactions_note(record.other_transactions))
    payments = usable_payments(record, currency, money_notes)
    opening_unknown = starts_mid_agreement(record, currency, payments, money_notes)
    donor = (
        next((p for p in record.participants if p.role == "1"), None)
        or record.reporting
    )
    if donor is None:
        raise SkipActivity(
            "it names no funding or reporting organisation", notes=money_notes
        )
    agreement_notes, area_notes, budget_notes = [], [], []
    extension = record.extension
    return ActivityPlan(
        donor=donor,
        agreement_values=agreement_values(
            record,
            own=own,
            currency=currency,
            status=agreement_status(record.status_code, agreement_notes),
            opening_unknown=opening_unknown,
        ),
        amendments=amendment_values(record),
        payments=payments,
        areas=area_rows(record, area_notes),
        sectors=[] if extension else sector_rows(record),
        program_areas=[a for a in extension.program_areas if a.linked]
        if extension
        else [],
        dac_sector_codes=[] if extension else dac_sector_codes(record),
        budgets=budget_rows(record, currency, budget_notes),
        indicators=[indicator_plan(record, data) for data in record.indicators],
        money_notes=money_notes,
        agreement_notes=agreement_notes,
        area_notes=area_notes,
        budget_notes=budget_notes,
    )


# The agreement ------------------------------------------------------------------


def agreement_currency(record: ActivityRecord) -> str:
    """The activity's currency, else its commitments', else USD; SkipActivity when
    its commitments are in several (totals are never added across currencies)."""
    currency = record.currency
    if not currency:
        currency = next((c.currency for c in record.commitments if c.currency), "")
        if record.commitments and not currency:
            raise SkipActivity("its commitments state no currency")
        currency = currency or "USD"
    foreign = {
        c.currency for c in record.commitments if c.currency and c.currency != currency
    }
    if foreign:
        raise SkipActivity(
            f"commitments in {', '.join(sorted(foreign))} besides {currency}: "
            "totals in different currencies are never added"
        )
    return currency


def other_transactions_note(counts: Counter) -> str:
    return (
        "transactions not imported (the tracker records commitments, "
        "disbursements and expenditure): "
        + ", ".join(
            f"{n} {codelists.TRANSACTION_TYPE_NAMES.get(t, 'of type ' + repr(t))}"
            for t, n in sorted(counts.items(), key=lambda i: i[0].zfill(3))
        )
    )


def agreement_status(code: str, notes: list[str]) -> str:
    status = codelists.STATUS_FROM_ACTIVITY_STATUS.get(code)
    if status is None:
        notes.append(f"activity status {code or 'missing'}: recorded as active")
        return "active"
    return status


def agreement_values(record, *, own, currency, status, opening_unknown) -> dict:
    extension = record.extension
    # Another publisher's file: its reporting organisation is kept on the agreement.
    reporting = None if own else record.reporting
    values = {
        **text_values("title", (record.title or record.identifier)[:500]),
        **text_values("summary", record.summary),
        "currency": currency,
        "status": status,
        "start_on": extension.start_on if extension else record.start_on,
        "end_on": extension.end_on if extension else record.end_on,
        "earlier_transactions_unpublished": opening_unknown,
        "reporting_org_ref": reporting.ref[:100] if reporting else "",
        "reporting_org_name": reporting.name[:255] if reporting else "",
    }
    if extension:
        values["signed_on"] = extension.signed_on
        if extension.kind in AgreementKind.values:
            values["kind"] = extension.kind
    return values


def agreement_code(record: ActivityRecord) -> str:
    """A new agreement's code: our extension's or an internal identifier when free
    and well formed, else the IATI identifier without the reporting organisation's
    prefix (numbered when taken)."""
    wanted = [record.extension.code] if record.extension else []
    wanted += record.internal_ids
    for ref in wanted:
        if (
            re.match(CODE_RE, ref or "")
            and len(ref) <= 60
            and not Agreement.objects.filter(code=ref).exists()
        ):
            return ref
    identifier = record.identifier
    reporting = record.reporting
    prefix = (reporting.ref + "-") if reporting and reporting.ref else ""
    if prefix and identifier.startswith(prefix) and len(identifier) > len(prefix):
        identifier = identifier[len(prefix) :]
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", identifier).strip("-._")[:55] or "iati"
    code, n = base, 1
    while Agreement.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


# Amendments and payments: the window rule -----------------------------------------------------------


def amendment_values(record: ActivityRecord) -> list[dict]:
    """The commitments as amendments; our own record's give the amendment's own
    fields."""
    wanted = []
    for n, commitment in enumerate(record.commitments, 1):
        values = {
            "sequence": commitment.sequence or n,
            **text_values("title", commitment.title),
            "amount": commitment.amount.quantize(TWO_PLACES),
        }
        if commitment.recorded:
            values |= {
                "signed_on": commitment.signed_on,
                "period_start": commitment.period_start,
                "period_end": commitment.period_end,
                "stated_cumulative_total": commitment.stated_cumulative_total,
                "amount_is_derived": commitment.amount_is_derived,
                **text_values("description", commitment.description),
            }
        else:
            values |= {
                "signed_on": commitment.date,
                **text_values(
                    "description", "Imported from an IATI commitment transaction."
                ),
            }
        wanted.append(values)
    return wanted


def usable_payments(record, currency, notes) -> list[PaymentRecord]:
    """The activity's payments that can be kept: in the agreement's currency
    and not dated in the future (each left out is noted)."""
    kept, foreign = [], Counter()
    for payment in record.payments:
        name = codelists.TRANSACTION_TYPE_NAMES[
            codelists.PAYMENT_TRANSACTION_TYPE[payment.kind]
        ]
        if payment.currency != currency:
            foreign[payment.currency] += 1
        elif payment.date > paid_by_now():
            notes.append(
                f"{name} #{payment.position + 1} dated "
                f"{payment.date.isoformat()}, in the future: left out"
            )
        else:
            kept.append(payment)
    if foreign:
        notes.append(
            "payments in another currency than the agreement's left out: "
            + ", ".join(f"{n} in {code}" for code, n in sorted(foreign.items()))
        )
    return kept


def starts_mid_agreement(record, currency, payments, notes) -> bool:
    """Whether the file starts mid-agreement: its running, disbursed or spent
    total goes below zero (the publisher gives only a recent window of
    transactions). Our own record says so itself."""
    if record.extension is not None:
        return record.extension.earlier_transactions_unpublished
    try:
        ledger.check(
            [
                ledger.Entry(sequence=n, amount=c.amount, published=False)
                for n, c in enumerate(record.commitments, 1)
            ],
            currency=currency,
            payments=[
                ledger.Payment(p.kind, p.date, p.amount, published=False)
                for p in payments
            ],
        )
    except ValidationError as error:
        notes.append(
            _(
                "earlier transactions not published by the source: %(why)s; the "
                "agreement is marked so, and its totals are the net change since "
                "the first published transaction"
            )
            % {"why": "; ".join(error.messages)}
        )
        return True
    return False


# Geography, sectors, budgets ------------------------------------------------------


def area_rows(record, notes) -> list[AreaRow]:
    rows = []
    for area in record.areas:
        if area.kind == "country" and area.code not in country_codes:
            notes.append(
                _(
                    "recipient country %(code)s is not an ISO 3166-1 code: left "
                    "out (the rest of the activity is imported)"
                )
                % {"code": area.code}
            )
            continue
        rows.append(
            AreaRow(
                kind=area.kind,
                code=area.code[:20],
                vocabulary=area.vocabulary[:10],
                percentage=area.percentage,
                name=area.name[:255],
            )
        )
    return rows


def sector_rows(record) -> list[SectorRow]:
    """Another publisher's sectors, each kept as given."""
    return [
        SectorRow(
            vocabulary=s.vocabulary[:10],
            vocabulary_uri=s.vocabulary_uri[:1000],
            code=s.code,
            name=s.name or sector_name(s),
            percentage=s.percentage,
        )
        for s in record.sectors
    ]


def dac_sector_codes(record) -> list[str]:
    """The DAC 5-digit sectors, which are also program areas."""
    return [
        s.code
        for s in record.sectors
        if s.vocabulary == codelists.SECTOR_VOCABULARY_DAC
        and re.fullmatch(r"[0-9]{5}", s.code)
    ]


def sector_name(sector) -> str:
    """A DAC sector's name from the codelist when the file gives none."""
    if sector.vocabulary == codelists.SECTOR_VOCABULARY_DAC:
        return codelists.dac_sector_names().get(sector.code, "")[:500]
    return ""


def budget_rows(record, currency, notes) -> list[BudgetRecord]:
    rows = []
    for budget in record.budgets:
        position = budget.position
        if (
            budget.budget_type not in BudgetType.values
            or budget.status not in BudgetStatus.values
        ):
            notes.append(
                f"budget #{position}: type {budget.budget_type!r} or status "
                f"{budget.status!r} not in the codelist, left out"
            )
            continue
        row = dataclasses.replace(budget, currency=budget.currency or currency)
        # Budgets are information: a bad one is left out, not the activity. Their
        # check constraints (type and status in the codelist, period in order) hold
        # by now, but the amount's range is checked here: asking the database for
        # every constraint of 150 budgets is what is slow.
        try:
            if abs(budget.amount) > MONEY_LIMIT:
                raise ValidationError(_("The amount is out of range."))
            Budget(**fields_of(row, BUDGET_FIELDS)).full_clean(
                exclude=["agreement"], validate_constraints=False
            )
        except ValidationError as error:
            notes.append(f"budget #{position} left out: {' '.join(error.messages)}")
            continue
        rows.append(row)
    return rows


# Results --------------------------------------------------------------------------


def indicator_plan(record, data) -> IndicatorPlan:
    measure = data.measure or (
        Measure.PERCENTAGE if data.measure_code == "2" else Measure.NUMBER
    )
    values = {
        **text_values("name", data.name),
        **text_values("description", data.description),
        "measure": measure,
        "direction": Direction.INCREASE if data.ascending else Direction.DECREASE,
        "aggregation": data.aggregation
        or (Aggregation.SUM if data.summable else Aggregation.NONE),
        "result_type": data.result_type
        if data.result_type in ResultType.values
        else ResultType.OTHER,
    }
    if data.unit:
        values["unit"] = data.unit
    return IndicatorPlan(
        where=data.where,
        code=data.code or indicator_code(record.identifier, *data.position),
        values=values,
        unit=data.unit or (Unit.PERCENT if measure == "percentage" else Unit.OTHER),
        program_area=data.program_area,
        results=[result_plan(data.where, row) for row in data.rows],
    )


def result_plan(where, row) -> ResultPlan:
    return ResultPlan(
        label=f"{where} {row.period_start}–{row.period_end}"
        + (f" {row.disaggregation}" if row.disaggregation else ""),
        key={
            "period_start": row.period_start,
            "period_end": row.period_end,
            "location": row.location,
            "disaggregation": row.disaggregation,
        },
        values={
            "actual_value": row.actual_value,
            "target_value": row.target_value,
            "baseline_year": row.baseline_year,
            "baseline_value": row.baseline_value,
            **text_values("comment", row.comment),
        },
    )


def indicator_code(identifier: str, result_index: int, indicator_index: int) -> str:
    """A stable indicator code: the same activity, result and position give the same
    code on every import."""
    digest = hashlib.sha1(identifier.encode()).hexdigest()[:8]
    return (
        f"iati-{slugify(identifier)[:50]}-{digest}"
        f"-r{result_index:03d}-i{indicator_index:03d}"
    )


# Organisations and texts ----------------------------------------------------------


def normalized_name(name: str) -> str:
    """A name as compared: accents, case, punctuation and spacing do not count,
    and "&" is "and" (`&amp;` as some files double-escape it)."""
    text = (name or "").replace("&amp;", "&").replace("&", " and ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def is_trusted_ref(ref: str, publishers: set[str]) -> bool:
    """A reference is an organisation's identity when it is a well-formed
    organisation identifier (a known registration agency, then an identifier) or the
    reference of an IATI publisher (this file's reporting organisation, or ours)."""
    if not ref or " " in ref:
        return False
    if ref in publishers:
        return True
    return any(
        ref.startswith(agency + "-") and len(ref) > len(agency) + 1
        for agency in codelists.REGISTRATION_AGENCIES
    )


def text_values(field, text) -> dict[str, str]:
    """The per-language columns of a translated `field` from a text of the file
    (grants/languages.py): each language the file gives it in ("" for the others);
    a text in none of the record's languages (or written by the importer itself)
    goes in the original language's column, so nothing read is lost."""
    texts = dict(getattr(text, "texts", None) or {})
    if not texts and text:
        texts = {languages.original_language(): str(text)}
    return {
        languages.column(field, language): texts.get(language, "")
        for language in languages.codes()
    }
