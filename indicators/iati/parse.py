"""Step 1 of an IATI import: read the file (`read_file`) and each of its
iati-activity elements into typed records (`parse_activity`).

Nothing here touches the database. What cannot be read is left out with a note on
the record (`ActivityRecord.notes`); what makes the activity impossible to import
whole (no identifier, an unreadable commitment) is `ActivityRecord.skip_reason`.
Elements of other namespaces are ignored, except our own (codelists.EXTENSION_NS),
which carries what IATI cannot say about our own records (see export.py).
Activities of IATI 1.0x (in a mixed datastore download) are read too: narratives as
element text, letter codes for transaction types, words for roles.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from lxml import etree

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from grants import languages

from . import codelists

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TWO_PLACES = Decimal("0.01")
NS = codelists.EXTENSION_NS


# Records ------------------------------------------------------------------------


class Narrative(str):
    """A text of the file: as a string, one of its narratives (the original
    language's, else the activity's, else the first: what matching, keys and the
    report read), and in `texts` every narrative in a language the record keeps
    ({language: text}), which the importer writes one per language column."""

    texts: dict

    def __new__(cls, text="", texts=None):
        narrative = super().__new__(cls, text)
        narrative.texts = dict(texts or {})
        return narrative

    def __getitem__(self, key):
        # A cut to a column's length cuts every language alike.
        if isinstance(key, slice):
            return Narrative(
                str.__getitem__(self, key),
                {language: text[key] for language, text in self.texts.items()},
            )
        return str.__getitem__(self, key)


@dataclass(frozen=True)
class ActivityFile:
    """An activity file as read: its iati-activity elements and the version its
    root states, or why it cannot be imported (`error`)."""

    error: str = ""
    version: str = ""
    elements: list = field(default_factory=list)


class TransactionValue(NamedTuple):
    """A transaction's date, amount and currency; None for what cannot be read."""

    date: datetime.date | None
    amount: Decimal | None
    currency: str


class Baseline(NamedTuple):
    year: int | None
    value: Decimal | None


@dataclass(frozen=True)
class OrgRecord:
    """An organisation as a file names it (reporting, participating, provider or
    receiver), with what our own extension adds about it."""

    ref: str
    type: str
    name: str
    role: str = ""
    kind: str = ""
    acronym: str = ""
    country: str = ""


@dataclass(frozen=True)
class CommitmentRecord:
    """A commitment transaction; the amendment's own fields when our extension
    gives them (`recorded`)."""

    position: int
    date: datetime.date
    amount: Decimal
    currency: str
    title: str
    recorded: bool = False
    sequence: int | None = None
    signed_on: datetime.date | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    stated_cumulative_total: Decimal | None = None
    amount_is_derived: bool = False
    description: str = ""


@dataclass(frozen=True)
class PaymentRecord:
    position: int
    kind: str
    date: datetime.date
    amount: Decimal
    currency: str
    description: str
    provider: OrgRecord | None
    receiver: OrgRecord | None


@dataclass(frozen=True)
class AreaRecord:
    kind: str  # country or region
    code: str
    vocabulary: str
    percentage: Decimal | None
    name: str


@dataclass(frozen=True)
class SectorRecord:
    vocabulary: str
    code: str
    percentage: Decimal | None
    name: str
    vocabulary_uri: str


@dataclass(frozen=True)
class BudgetRecord:
    position: int
    budget_type: str
    status: str
    period_start: datetime.date
    period_end: datetime.date
    amount: Decimal
    currency: str
    value_date: datetime.date | None


@dataclass(frozen=True)
class DocumentRecord:
    url: str
    title: str
    published_on: datetime.date | None


@dataclass(frozen=True)
class ProgramAreaRecord:
    code: str
    name: str
    dac_sector_code: str
    parent: str
    display_order: int | None
    linked: bool = True


@dataclass(frozen=True)
class ResultRowRecord:
    period_start: datetime.date
    period_end: datetime.date
    disaggregation: str
    # None for a period with a target and no actual value yet (Result.is_reported).
    actual_value: Decimal | None
    target_value: Decimal | None
    baseline_year: int | None
    baseline_value: Decimal | None
    comment: str
    location: str = ""


@dataclass
class IndicatorRecord:
    where: str  # "result #1 indicator #2"
    position: tuple[int, int]
    name: str
    description: str
    measure_code: str
    ascending: bool
    summable: bool
    result_type: str
    rows: list[ResultRowRecord] = field(default_factory=list)
    # Our extension: the indicator as recorded.
    code: str = ""
    unit: str = ""
    measure: str = ""
    aggregation: str = ""
    program_area: ProgramAreaRecord | None = None


@dataclass
class AgreementExtension:
    """Our own record's fields that IATI cannot carry."""

    code: str
    kind: str
    signed_on: datetime.date | None
    start_on: datetime.date | None
    end_on: datetime.date | None
    earlier_transactions_unpublished: bool
    program_areas: list[ProgramAreaRecord]
    no_summary: bool = False


@dataclass
class ActivityRecord:
    identifier: str
    version: str = ""
    language: str = ""
    currency: str = ""
    title: str = ""
    summary: str = ""
    status_code: str = ""
    start_on: datetime.date | None = None
    end_on: datetime.date | None = None
    reporting: OrgRecord | None = None
    participants: list[OrgRecord] = field(default_factory=list)
    commitments: list[CommitmentRecord] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)
    other_transactions: Counter = field(default_factory=Counter)
    areas: list[AreaRecord] = field(default_factory=list)
    sectors: list[SectorRecord] = field(default_factory=list)
    budgets: list[BudgetRecord] = field(default_factory=list)
    documents: list[DocumentRecord] = field(default_factory=list)
    indicators: list[IndicatorRecord] = field(default_factory=list)
    internal_ids: list[str] = field(default_factory=list)
    parent: str = ""
    extension: AgreementExtension | None = None
    notes: list[str] = field(default_factory=list)
    skip_reason: str = ""
    skipped_languages: set = field(default_factory=set)


# Reading ------------------------------------------------------------------------


def indicator_name(result_title, title, *, single):
    """An indicator's name from its result's title and its own, in each language:
    one of them when they say the same, else both."""

    def joined(first, second):
        if single and (not second or second == first):
            return first or second
        return " — ".join(t for t in (first, second) if t)

    return Narrative(
        joined(str(result_title), str(title)),
        {
            language: joined(
                result_title.texts.get(language, ""), title.texts.get(language, "")
            )
            for language in {*result_title.texts, *title.texts}
        },
    )


def read_file(source) -> ActivityFile:
    """The activity file `source` (bytes or a file), read safely: no entities, no
    network, no comments."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )
    try:
        if isinstance(source, bytes):
            root = etree.fromstring(source, parser)
        else:
            root = etree.parse(source, parser).getroot()
    except (etree.XMLSyntaxError, ValueError) as error:
        return ActivityFile(error=f"not a readable XML file ({error})")
    if root.tag != "iati-activities":
        return ActivityFile(
            error=f"the root element is <{root.tag}>, not <iati-activities>: this is "
            "not an IATI activity file"
        )
    return ActivityFile(
        version=root.get("version", ""), elements=root.findall("iati-activity")
    )


def parse_activity(element, *, file_version: str = "") -> ActivityRecord:
    return ActivityParser(element, file_version=file_version).record


class ActivityParser:
    def __init__(self, element, *, file_version: str = ""):
        self.element = element
        version = (element.get("version") or file_version or "").strip()
        self.legacy = version.startswith("1.")
        self.language = element.get(XML_LANG) or ""
        self.record = record = ActivityRecord(
            identifier=text_of(element.find("iati-identifier")),
            version=version,
            language=self.language,
        )
        if self.legacy:
            record.notes.append(
                f"IATI version {version}: read with the 1.0x names of codes"
            )
        if not record.identifier:
            record.skip_reason = "it has no iati-identifier"
            return
        record.currency = (element.get("default-currency") or "").strip().upper()
        record.title = self.narrative(element.find("title"))
        record.summary = self.summary()
        record.status_code = child_attr(element, "activity-status", "code").strip()
        self.read_dates()
        record.reporting = self.org(element.find("reporting-org"))
        self.read_participants()
        self.read_transactions()
        self.read_areas()
        self.read_sectors()
        self.read_budgets()
        self.read_documents()
        self.read_results()
        record.internal_ids = [
            (other.get("ref") or "").strip()
            for other in element.findall("other-identifier")
            if other.get("type") == codelists.OTHER_IDENTIFIER_INTERNAL
        ]
        for related in element.findall("related-activity"):
            if related.get("type") == codelists.RELATED_ACTIVITY_PARENT:
                record.parent = (related.get("ref") or "").strip()
                break
        record.extension = self.agreement_extension()
        if record.extension and record.extension.no_summary:
            record.summary = ""
        if self.record.skipped_languages:
            record.notes.append(
                "narratives in other languages not kept ("
                + ", ".join(sorted(self.record.skipped_languages))
                + "): the record keeps "
                + ", ".join(languages.codes())
            )

    # Text ---------------------------------------------------------------------

    def narrative(self, element) -> "Narrative":
        """The narratives of `element` (Narrative): a narrative without xml:lang is
        in the activity's language, else in the record's original one; the first
        text of a language is kept; the languages the record does not keep are
        noted once per activity (1.0x: the element's own text)."""
        if element is None:
            return Narrative()
        found = {}
        for narrative in element.findall("narrative"):
            text = text_of(narrative)
            if not text:
                continue
            code = narrative.get(XML_LANG) or self.language
            language = languages.site_language(code) if code else None
            if not code:
                language = languages.original_language()
            found.setdefault(language or code.strip().lower(), text)
        if not found:
            text = text_of(element) if self.legacy or len(element) == 0 else ""
            return Narrative(text)
        site = {lang: text for lang, text in found.items() if lang in languages.codes()}
        self.record.skipped_languages.update(set(found) - set(site))
        for wanted in (languages.original_language(), self.language.lower()):
            for language, text in found.items():
                if wanted and language.startswith(wanted):
                    return Narrative(text, site)
        return Narrative(next(iter(found.values())), site)

    def summary(self) -> str:
        descriptions = self.element.findall("description")
        chosen = next((d for d in descriptions if d.get("type") in (None, "1")), None)
        return self.narrative(
            chosen if chosen is not None else (descriptions or [None])[0]
        )

    def read_dates(self):
        found = {}
        for element in self.element.findall("activity-date"):
            date = parse_date(element.get("iso-date"))
            kind = (element.get("type") or "").strip()
            kind = codelists.ACTIVITY_DATE_FROM_1.get(kind, kind)
            if date is None:
                self.record.notes.append(
                    f"activity-date type {kind}: unreadable date "
                    f"{element.get('iso-date')!r} left out"
                )
                continue
            found.setdefault(kind, date)
        start = found.get("2") or found.get("1")
        end = found.get("4") or found.get("3")
        if start and end and end < start:
            self.record.notes.append(f"end date {end} before start {start}: left out")
            end = None
        self.record.start_on, self.record.end_on = start, end

    # Organisations ------------------------------------------------------------

    def org(self, element, *, role: str = "") -> OrgRecord | None:
        """None when it has neither a ref nor a name."""
        if element is None:
            return None
        ref = " ".join((element.get("ref") or "").split())
        name = self.narrative(element)
        if not ref and not name:
            return None
        extra = element.find(f"{{{NS}}}organization")
        values = {}
        if extra is not None:
            values = {
                "kind": extra.get("kind", ""),
                "acronym": extra.get("acronym", ""),
                "country": extra.get("country", ""),
            }
        return OrgRecord(
            ref=ref,
            type=(element.get("type") or "").strip(),
            name=name,
            role=role,
            **values,
        )

    def read_participants(self):
        for element in self.element.findall("participating-org"):
            role = (element.get("role") or "").strip()
            role = codelists.ROLE_FROM_1.get(role.lower(), role)
            data = self.org(element, role=role)
            if data is None:
                self.record.notes.append(
                    f"participating-org (role {role or '?'}) without a ref or a name "
                    "left out"
                )
            elif role not in ("1", "2", "3", "4"):
                self.record.notes.append(
                    f"participating-org {data.name or data.ref}: role {role!r} is not "
                    "1 to 4, left out"
                )
            else:
                self.record.participants.append(data)

    # Money --------------------------------------------------------------------

    def transaction_type(self, element) -> str:
        code = child_attr(element, "transaction-type", "code").strip()
        return codelists.TRANSACTION_TYPE_FROM_1.get(code, code)

    def read_transactions(self):
        """Commitments (type 2; type 11 when a file has no type 2), disbursements
        and expenditure (types 3 and 4), the other types counted."""
        record, by_type = self.record, {}
        for position, element in enumerate(self.element.findall("transaction")):
            by_type.setdefault(self.transaction_type(element), []).append(
                (position, element)
            )
        kept = codelists.OUTGOING_COMMITMENT
        if kept not in by_type and codelists.INCOMING_COMMITMENT in by_type:
            kept = codelists.INCOMING_COMMITMENT
        for type_code, elements in by_type.items():
            if type_code != kept and type_code not in codelists.PAYMENT_KIND:
                record.other_transactions[type_code] += len(elements)
        commitments = []
        for position, element in by_type.get(kept, []):
            value = transaction_value(element, record.currency)
            if value.date is None or value.amount is None:
                record.skip_reason = (
                    f"commitment #{position + 1} has an unreadable date or amount "
                    f"({text_of(element.find('value'))!r}): the total would be wrong"
                )
                return
            title = self.narrative(element.find("description")) or (
                f"{codelists.TRANSACTION_TYPE_NAMES[kept]} of {value.date.isoformat()}"
            )
            commitments.append(self.commitment(element, position, value, title))
        record.commitments = sorted(
            commitments,
            key=lambda c: (c.sequence or 0, c.date, c.position),
        )
        for position, element in by_type.get("3", []) + by_type.get("4", []):
            self.read_payment(position, element)
        record.payments.sort(key=lambda p: (p.date, p.position))

    def commitment(self, element, position, value: TransactionValue, title):
        common = {
            "position": position,
            "date": value.date,
            "amount": value.amount,
            "currency": value.currency,
            "title": title[:500],
        }
        extra = element.find(f"{{{NS}}}amendment")
        if extra is None:
            return CommitmentRecord(**common)
        sequence = extra.get("sequence", "")
        return CommitmentRecord(
            **common,
            recorded=True,
            sequence=int(sequence) if sequence.isdigit() else None,
            signed_on=parse_date(extra.get("signed-on")),
            period_start=parse_date(extra.get("period-start")),
            period_end=parse_date(extra.get("period-end")),
            stated_cumulative_total=parse_decimal(extra.get("stated-cumulative-total")),
            amount_is_derived=extra.get("amount-is-derived") == "1",
            description=extra.text or "",
        )

    def read_payment(self, position, element):
        type_code = self.transaction_type(element)
        name = codelists.TRANSACTION_TYPE_NAMES[type_code]
        value = transaction_value(element, self.record.currency)
        if value.date is None or value.amount is None:
            self.record.notes.append(
                f"{name} #{position + 1}: unreadable date or amount "
                f"({text_of(element.find('value'))!r}) left out"
            )
            return
        self.record.payments.append(
            PaymentRecord(
                position=position,
                kind=codelists.PAYMENT_KIND[type_code],
                date=value.date,
                amount=value.amount,
                currency=value.currency,
                description=self.narrative(element.find("description")),
                provider=self.org(element.find("provider-org")),
                receiver=self.org(element.find("receiver-org")),
            )
        )

    # Geography and sectors ----------------------------------------------------

    def read_areas(self):
        """Activity-level countries and regions; else those of the transactions
        (as USAID gives them), without percentages, each once."""
        element, record = self.element, self.record
        countries = element.findall("recipient-country")
        regions = element.findall("recipient-region")
        from_transactions = not countries and not regions
        if from_transactions:
            countries = element.findall("transaction/recipient-country")
            regions = element.findall("transaction/recipient-region")
        seen = set()
        for kind, items in (("country", countries), ("region", regions)):
            for item in items:
                code = (item.get("code") or "").strip()
                if kind == "country":
                    code = code.upper()
                vocabulary = ""
                if kind == "region":
                    vocabulary = (
                        item.get("vocabulary") or codelists.REGION_VOCABULARY_DAC
                    ).strip()
                if not code:
                    record.notes.append(f"recipient {kind} without a code left out")
                    continue
                if (kind, code, vocabulary) in seen:
                    continue
                seen.add((kind, code, vocabulary))
                percentage = None
                if not from_transactions:
                    percentage = self.percentage(item, f"recipient {kind} {code}")
                record.areas.append(
                    AreaRecord(
                        kind=kind,
                        code=code,
                        vocabulary=vocabulary,
                        percentage=percentage,
                        name=self.narrative(item),
                    )
                )

    def percentage(self, element, what) -> Decimal | None:
        text = (element.get("percentage") or "").strip()
        if not text:
            return None
        value = parse_decimal(text)
        if value is None or not 0 <= value <= 100:
            self.record.notes.append(
                f"{what}: percentage {text!r} is not between 0 and 100, left out"
            )
            return None
        return value

    def read_sectors(self):
        element = self.element
        items = element.findall("sector")
        from_transactions = not items
        if from_transactions:
            items = element.findall("transaction/sector")
        seen = set()
        for item in items:
            vocabulary = (item.get("vocabulary") or "1").strip()
            vocabulary = codelists.SECTOR_VOCABULARY_FROM_1.get(vocabulary, vocabulary)
            code = (item.get("code") or "").strip()
            if not code:
                self.record.notes.append("sector without a code left out")
                continue
            if (vocabulary, code) in seen:
                continue
            seen.add((vocabulary, code))
            self.record.sectors.append(
                SectorRecord(
                    vocabulary=vocabulary,
                    code=code[:100],
                    percentage=None
                    if from_transactions
                    else self.percentage(item, f"sector {code}"),
                    name=self.narrative(item)[:500],
                    vocabulary_uri=(item.get("vocabulary-uri") or "").strip(),
                )
            )

    # Budgets and documents ----------------------------------------------------

    def read_budgets(self):
        for position, element in enumerate(self.element.findall("budget"), 1):
            value = element.find("value")
            start = parse_date(child_attr(element, "period-start", "iso-date"))
            end = parse_date(child_attr(element, "period-end", "iso-date"))
            amount = parse_decimal(value.text if value is not None else None)
            if None in (start, end, amount) or end < start:
                self.record.notes.append(
                    f"budget #{position}: unreadable period or value, left out"
                )
                continue
            self.record.budgets.append(
                BudgetRecord(
                    position=position,
                    budget_type=(element.get("type") or "1").strip(),
                    status=(element.get("status") or "1").strip(),
                    period_start=start,
                    period_end=end,
                    amount=amount,
                    currency=(value.get("currency") or self.record.currency or "")
                    .strip()
                    .upper(),
                    value_date=parse_date(value.get("value-date")),
                )
            )

    def read_documents(self):
        validate = URLValidator()
        for link in self.element.findall("document-link"):
            raw = (link.get("url") or "").strip()
            url = codelists.encoded_url(raw)
            try:
                validate(url)
                if len(url) > 1000:
                    raise ValidationError("too long")
            except ValidationError:
                self.record.notes.append(f"document-link with address {raw!r} left out")
                continue
            if url != raw:
                self.record.notes.append(
                    f"document-link {raw!r}: address percent-encoded as {url}"
                )
            self.record.documents.append(
                DocumentRecord(
                    url=url,
                    title=(self.narrative(link.find("title")) or url)[:500],
                    published_on=parse_date(
                        child_attr(link, "document-date", "iso-date")
                    ),
                )
            )

    # Results ------------------------------------------------------------------

    def read_results(self):
        for r_index, result in enumerate(self.element.findall("result"), 1):
            result_title = self.narrative(result.find("title"))
            indicators = result.findall("indicator")
            if not indicators:
                self.record.notes.append(
                    f"result #{r_index} {result_title!r} has no indicator, left out"
                )
            for i_index, element in enumerate(indicators, 1):
                self.record.indicators.append(
                    self.indicator(
                        result, result_title, element, (r_index, i_index), indicators
                    )
                )

    def indicator(self, result, result_title, element, index, siblings):
        where = f"result #{index[0]} indicator #{index[1]}"
        title = self.narrative(element.find("title"))
        name = indicator_name(result_title, title, single=len(siblings) == 1)
        record = IndicatorRecord(
            where=where,
            position=index,
            name=(name or where)[:500],
            description=self.narrative(element.find("description")),
            measure_code=(element.get("measure") or "1").strip(),
            ascending=(element.get("ascending") or "").strip() not in ("0", "false"),
            summable=(result.get("aggregation-status") or "").strip()
            not in ("0", "false"),
            result_type=(result.get("type") or "").strip(),
        )
        extra = element.find(f"{{{NS}}}indicator")
        if extra is not None:
            record.code = extra.get("code", "")
            record.unit = extra.get("unit", "")
            record.measure = extra.get("measure", "")
            record.aggregation = extra.get("aggregation", "")
            area = element.find(f"{{{NS}}}program-area")
            record.program_area = program_area_record(area)
        baselines = self.baselines(element, where)
        for p_index, period in enumerate(element.findall("period"), 1):
            self.period(record, period, p_index, baselines)
        return record

    def period(self, record, period, p_index, baselines):
        where = record.where
        start = parse_date(child_attr(period, "period-start", "iso-date"))
        end = parse_date(child_attr(period, "period-end", "iso-date"))
        if start is None or end is None or end < start:
            self.record.notes.append(
                f"{where} period #{p_index}: unreadable or reversed dates, left out"
            )
            return
        # A target and an actual value go together when their dimensions are the
        # same (a group's actual is never measured against the whole's target); a
        # target with no actual beside it is a period planned, not reported yet.
        targets = {}
        for element in period.findall("target"):
            targets.setdefault(dimensions(element), element)
        where_period = f"{where} period {start}–{end}"
        seen = set()
        for actual in period.findall("actual"):
            dims = dimensions(actual)
            target = targets.pop(dims, None)
            value = parse_decimal(actual.get("value"))
            if value is None:
                self.record.notes.append(
                    f"{where_period}: actual {actual.get('value')!r} is not a number, "
                    "left out" + (" (its target is kept)" if target is not None else "")
                )
                if target is not None:
                    targets[dims] = target
                continue
            if dims in seen:
                self.record.notes.append(
                    f"{where_period}{' ' + dims if dims else ''}: a second actual left "
                    "out"
                )
                continue
            seen.add(dims)
            self.result_row(record, baselines, start, end, dims, actual, value, target)
        # What is left: targets with no actual of their group beside them.
        for dims, target in targets.items():
            self.result_row(record, baselines, start, end, dims, None, None, target)

    def result_row(self, record, baselines, start, end, dims, actual, value, target):
        """One period's value for a group (`dims`): its actual (the element and its
        value) and its target, or its target alone (`actual` None)."""
        where = f"{record.where} period {start}–{end}"
        target_text = target.get("value") if target is not None else None
        target_value = parse_decimal(target_text)
        if target_text and target_value is None:
            self.record.notes.append(
                f"{where}: target {target_text!r} is not a number, left out"
            )
        if actual is None and target_value is None:
            self.record.notes.append(
                f"{where}{' ' + dims if dims else ''}: neither an actual value nor a "
                "numeric target, left out"
            )
            return
        # The comment and our own fields are on the actual value, or on the target
        # of a period not reported yet (as the export writes them).
        carrier = actual if actual is not None else target
        extra = carrier.find(f"{{{NS}}}result")
        if extra is not None:
            year_text = extra.get("baseline-year", "")
            year = int(year_text) if year_text.isdigit() else None
            baseline = parse_decimal(extra.get("baseline-value"))
            location = extra.get("location", "")
        else:
            year, baseline = baseline_for(baselines, start)
            location = ""
        record.rows.append(
            ResultRowRecord(
                period_start=start,
                period_end=end,
                disaggregation=dims[:255],
                actual_value=value,
                target_value=target_value,
                baseline_year=year,
                baseline_value=baseline,
                comment=self.narrative(carrier.find("comment")),
                location=location[:255],
            )
        )

    def baselines(self, element, where) -> list[Baseline]:
        found = []
        for baseline in element.findall("baseline"):
            year_text = (baseline.get("year") or "").strip()
            year = int(year_text) if year_text.isdigit() else None
            if year is not None and not 1900 < year <= 2100:
                self.record.notes.append(
                    f"{where}: baseline year {year} looks like a placeholder, left out"
                )
                year = None
            value_text = baseline.get("value")
            value = parse_decimal(value_text)
            if value_text and value is None:
                self.record.notes.append(
                    f"{where}: baseline value {value_text!r} is not a number, left out"
                )
            if year is not None or value is not None:
                found.append(Baseline(year, value))
        return found

    # Our extension ------------------------------------------------------------

    def agreement_extension(self) -> AgreementExtension | None:
        extra = self.element.find(f"{{{NS}}}agreement")
        if extra is None:
            return None
        return AgreementExtension(
            code=extra.get("code", ""),
            kind=extra.get("kind", ""),
            signed_on=parse_date(extra.get("signed-on")),
            start_on=parse_date(extra.get("start-on")),
            end_on=parse_date(extra.get("end-on")),
            earlier_transactions_unpublished=extra.get(
                "earlier-transactions-unpublished"
            )
            == "1",
            program_areas=[
                program_area_record(area)
                for area in extra.findall(f"{{{NS}}}program-area")
                if area.get("code")
            ],
            no_summary=extra.get("no-summary") == "1",
        )


def program_area_record(element) -> ProgramAreaRecord | None:
    if element is None or not element.get("code"):
        return None
    order = element.get("display-order", "")
    return ProgramAreaRecord(
        code=element.get("code", ""),
        name=element.get("name", ""),
        dac_sector_code=element.get("dac-sector-code", ""),
        parent=element.get("parent", ""),
        display_order=int(order) if order.isdigit() else None,
        linked=element.get("linked") != "0",
    )


def baseline_for(baselines: list[Baseline], start) -> Baseline:
    """The latest baseline of a year up to the period's start, else the first."""
    usable = [b for b in baselines if b.year is None or b.year <= start.year]
    if usable:
        return max(usable, key=lambda b: b.year or 0)
    return baselines[0] if baselines else Baseline(None, None)


def dimensions(element) -> str:
    parts = []
    for dimension in element.findall("dimension"):
        name = (dimension.get("name") or "").strip()
        value = (dimension.get("value") or "").strip()
        parts.append(value if name == "disaggregation" else f"{name}: {value}")
    return "; ".join(parts)


def text_of(element) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def transaction_value(element, default_currency: str) -> TransactionValue:
    """A transaction's date (its transaction-date, else its value-date), amount and
    currency."""
    value = element.find("value")
    date = parse_date(child_attr(element, "transaction-date", "iso-date"))
    if date is None and value is not None:
        date = parse_date(value.get("value-date"))
    amount = parse_decimal(value.text if value is not None else None)
    currency = default_currency
    if value is not None:
        currency = (value.get("currency") or default_currency).strip().upper()
    return TransactionValue(date, amount, currency)


def child_attr(element, tag: str, name: str) -> str:
    """An attribute of the first child `tag`, or "" (an lxml element without
    children is falsy, so `find(...) or default` would be wrong)."""
    child = element.find(tag)
    return (child.get(name) or "") if child is not None else ""


def parse_date(text) -> datetime.date | None:
    text = (text or "").strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})", text)
    if not match:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def parse_decimal(text) -> Decimal | None:
    """A number as publishers write it: 1234.5, 6,314,000.00, 1.234,5 or 97,5. None
    for anything else ("Yes", "8,386413", empty); rounded to two places."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        number = text
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        number = text.replace(",", "")
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", text):
        number = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d+,\d{1,2}", text):
        number = text.replace(",", ".")
    else:
        return None
    try:
        return Decimal(number).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
