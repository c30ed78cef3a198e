"""Public agreements as IATI 2.03 activity XML (one iati-activity per agreement).

Only public rows go out: every queryset below starts from `public()`. The mapping
follows shared/iati/NOTES.md: amendments are commitment transactions (type 2, a
de-obligation negative), disbursements and expenditure transactions of types 3 and 4
(a reimbursement negative), results are result/indicator/period, sectors and
recipient countries as imported (else the program areas and the recipient's
country), source documents with a web address are document-links. What IATI cannot
say (the agreement's code, kind and dates, the amendments' own dates and stated
totals, the indicators' unit and aggregation, the program areas) goes into elements
of our own namespace (codelists.EXTENSION_NS), read back by the importer.

The document is written incrementally (`stream()`): one activity at a time, the
agreements read in chunks with their rows prefetched, so memory stays flat whatever
the number of agreements.

Publisher honesty: an agreement imported from another publisher's file keeps that
publisher's activity identifier and is exported with `secondary-reporter="1"` on our
reporting-org; our identifier prefix is only ever given to our own records.
"""

import datetime
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from grants import languages
from grants.models import (
    Agreement,
    Amendment,
    Disbursement,
    ParticipantRole,
    ProgramArea,
)
from indicators.models import Direction, Measure, Result

from . import codelists

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TWO_PLACES = Decimal("0.01")
NS = codelists.EXTENSION_NS
NSMAP = {codelists.EXTENSION_PREFIX: NS}
# Agreements read (with their rows) per query, and bytes written per chunk.
CHUNK_AGREEMENTS = 200
# Our own vocabulary's code for an agreement with no program area yet.
UNCLASSIFIED_SECTOR = "unclassified"
CHUNK_BYTES = 64 * 1024


# The program areas of the export being written (see program_area()).
_program_areas: ContextVar[dict | None] = ContextVar("iati_program_areas", default=None)


class IatiNotConfigured(Exception):
    """The reporting organisation is not set (IATI_REPORTING_ORG_REF / _NAME)."""


@dataclass(frozen=True)
class ReportingOrg:
    ref: str
    name: str
    type: str


def reporting_org() -> ReportingOrg:
    ref = settings.IATI_REPORTING_ORG_REF.strip()
    name = settings.IATI_REPORTING_ORG_NAME.strip()
    if not ref or not name:
        raise IatiNotConfigured(
            "The IATI export is not configured: set IATI_REPORTING_ORG_REF and "
            "IATI_REPORTING_ORG_NAME (and IATI_REPORTING_ORG_TYPE) in the environment."
        )
    return ReportingOrg(ref, name, settings.IATI_REPORTING_ORG_TYPE.strip() or "10")


def public_agreements():
    """Public agreements with everything the export needs, in a fixed number of
    queries per chunk of agreements whatever their number."""
    return (
        Agreement.objects.public()
        .select_related("donor", "recipient", "framework")
        .prefetch_related(
            "participations__organization",
            "program_areas__parent",
            "source_documents",
            "budgets",
            "recipient_areas",
            "sectors",
            Prefetch(
                "amendments",
                queryset=Amendment.objects.public().order_by("sequence"),
                to_attr="public_amendments",
            ),
            Prefetch(
                "disbursements",
                queryset=Disbursement.objects.public()
                .select_related("provider", "receiver")
                .order_by("date", "pk"),
                to_attr="public_disbursements",
            ),
            Prefetch(
                "results",
                # The group as stored: "" for the whole, never NULL (languages).
                queryset=languages.stored_columns(
                    Result.objects.public().select_related("indicator__program_area")
                ).order_by(
                    "indicator__code",
                    "period_start",
                    "period_end",
                    "disaggregation",
                    "location",
                    "pk",
                ),
                to_attr="public_results",
            ),
        )
        .order_by("code", "pk")
    )


def activity_identifier(agreement: Agreement, reporting: ReportingOrg) -> str:
    """The stored identifier (imported, or given by hand); else, for our own records
    only, our reference and the agreement's code. Another publisher's activity
    without one keeps its publisher's prefix, never ours."""
    if agreement.iati_identifier:
        return agreement.iati_identifier
    prefix = agreement.reporting_org_ref or reporting.ref
    return f"{prefix}-{agreement.code}"


def render(agreements, *, now: datetime.datetime | None = None) -> bytes:
    """The whole iati-activities document (UTF-8 bytes with an XML declaration)."""
    return b"".join(stream(agreements, now=now))


class _Sink:
    """What lxml's incremental writer writes into, emptied by `stream()`."""

    def __init__(self):
        self.parts, self.size = [], 0

    def write(self, data: bytes):
        self.parts.append(data)
        self.size += len(data)

    def take(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data


def stream(agreements, *, now: datetime.datetime | None = None):
    """The iati-activities document in pieces of about CHUNK_BYTES, one activity
    built at a time. Raises IatiNotConfigured before anything is written."""
    reporting = reporting_org()
    now = now or timezone.now()
    if isinstance(agreements, QuerySet):
        agreements = agreements.iterator(chunk_size=CHUNK_AGREEMENTS)
    return _stream(agreements, reporting, now)


def _stream(agreements, reporting, now):
    _program_areas.set(None)
    sink = _Sink()
    with etree.xmlfile(sink, encoding="UTF-8") as xf:
        xf.write_declaration()
        attrs = {
            "version": codelists.IATI_VERSION,
            "generated-datetime": _datetime(now),
        }
        with xf.element("iati-activities", attrs, nsmap=NSMAP):
            xf.write("\n")
            for agreement in agreements:
                xf.write(activity_element(agreement, reporting), pretty_print=True)
                if sink.size >= CHUNK_BYTES:
                    yield sink.take()
    yield sink.take() + b"\n"


def activity_element(agreement: Agreement, reporting: ReportingOrg):
    amendments = _prefetched(agreement, "public_amendments", _public_amendments)
    results = _prefetched(agreement, "public_results", _public_results)
    currency = agreement.currency

    activity = etree.Element(
        "iati-activity",
        {
            "last-updated-datetime": _datetime(agreement.updated_at),
            XML_LANG: settings.IATI_DEFAULT_LANGUAGE,
            "default-currency": currency,
        },
        nsmap=NSMAP,
    )
    _sub(activity, "iati-identifier").text = activity_identifier(agreement, reporting)
    reporter = {"ref": reporting.ref, "type": reporting.type}
    if agreement.is_from_another_publisher:
        reporter["secondary-reporter"] = "1"
    _narrative(_sub(activity, "reporting-org", **reporter), reporting.name)
    _narratives(_sub(activity, "title"), agreement, "title")
    _narratives(
        _sub(activity, "description", type="1"),
        {
            **languages.by_language(agreement, "title"),
            **languages.by_language(agreement, "summary"),
        },
    )
    for organization, role in participants(agreement):
        attrs = {"role": role}
        if organization.iati_identifier:
            attrs["ref"] = organization.iati_identifier
        attrs["type"] = codelists.ORGANISATION_TYPE.get(organization.kind, "90")
        element = _narratives(
            _sub(activity, "participating-org", **attrs), organization, "name"
        )
        _organization_extension(element, organization)
    _sub(
        activity,
        "other-identifier",
        ref=agreement.code,
        type=codelists.OTHER_IDENTIFIER_INTERNAL,
    )
    _sub(activity, "activity-status", code=codelists.ACTIVITY_STATUS[agreement.status])
    dated = transaction_dates(amendments, agreement)
    start = (
        agreement.start_on
        or agreement.signed_on
        or _earliest(dated, results)
        or (agreement.published_at or agreement.created_at).date()
    )
    # Planned dates: the tracker does not tell planned from actual start and end.
    _sub(activity, "activity-date", type="1", **{"iso-date": _date(start)})
    if agreement.end_on:
        _sub(
            activity, "activity-date", type="3", **{"iso-date": _date(agreement.end_on)}
        )
    for tag, attrs, name in recipient_areas(agreement):
        element = _sub(activity, tag, **attrs)
        if name and tag == "recipient-region":
            _narrative(element, name)
    for attrs, name in sectors(agreement):
        element = _sub(activity, "sector", **attrs)
        if name:
            _narrative(element, name)
    for budget in sorted(
        agreement.budgets.all(),
        key=lambda b: (b.period_start, b.budget_type, b.period_end, b.pk),
    ):
        element = _sub(
            activity, "budget", type=budget.budget_type, status=budget.status
        )
        _sub(element, "period-start", **{"iso-date": _date(budget.period_start)})
        _sub(element, "period-end", **{"iso-date": _date(budget.period_end)})
        _value(
            element,
            budget.amount,
            budget.currency,
            budget.value_date or budget.period_start,
        )
    for amendment, date in zip(amendments, dated, strict=True):
        transaction = _sub(activity, "transaction")
        _sub(transaction, "transaction-type", code=codelists.OUTGOING_COMMITMENT)
        _sub(transaction, "transaction-date", **{"iso-date": _date(date)})
        _value(transaction, amendment.amount, currency, date)
        _narratives(_sub(transaction, "description"), amendment, "title")
        _org(transaction, "provider-org", agreement.donor)
        _org(transaction, "receiver-org", agreement.recipient)
        _amendment_extension(transaction, amendment)
    for payment in _prefetched(agreement, "public_disbursements", _public_payments):
        transaction = _sub(activity, "transaction")
        _sub(
            transaction,
            "transaction-type",
            code=codelists.PAYMENT_TRANSACTION_TYPE[payment.kind],
        )
        _sub(transaction, "transaction-date", **{"iso-date": _date(payment.date)})
        _value(transaction, payment.amount, currency, payment.date)
        if payment.description:
            _narratives(_sub(transaction, "description"), payment, "description")
        if payment.provider_id:
            _org(transaction, "provider-org", payment.provider)
        if payment.receiver_id:
            _org(transaction, "receiver-org", payment.receiver)
    for document in sorted(agreement.source_documents.all(), key=lambda d: d.pk):
        if document.url:
            _document_link(activity, document)
    if agreement.framework_id and agreement.framework.is_public:
        _sub(
            activity,
            "related-activity",
            ref=activity_identifier(agreement.framework, reporting),
            type=codelists.RELATED_ACTIVITY_PARENT,
        )
    for indicator, rows in _by_indicator(results):
        activity.append(result_element(indicator, rows))
    _agreement_extension(activity, agreement, results)
    return activity


def participants(agreement: Agreement):
    """(organization, role) pairs: the donor first as funding, then the other
    participants by role, the recipient first among the implementing ones. The
    importer reads the first funding and the first implementing organisations back as
    donor and recipient."""
    pairs = [(agreement.donor, ParticipantRole.FUNDING.value)]
    others = sorted(agreement.participations.all(), key=lambda p: (p.role, p.pk))
    for role in ParticipantRole.values:
        if role == ParticipantRole.IMPLEMENTING:
            pairs.append((agreement.recipient, role))
        pairs.extend((p.organization, role) for p in others if p.role == role)
    seen, unique = set(), []
    for organization, role in pairs:
        if (organization.pk, role) not in seen:
            seen.add((organization.pk, role))
            unique.append((organization, role))
    return unique


def recipient_areas(agreement: Agreement):
    """(tag, attributes, name) of the recipient countries and regions as imported,
    else the recipient's country at 100 percent."""
    stored = sorted(agreement.recipient_areas.all(), key=lambda a: (a.position, a.pk))
    if not stored:
        if agreement.recipient.country:
            code = agreement.recipient.country.code
            return [("recipient-country", {"code": code, "percentage": "100"}, "")]
        return []
    found = []
    for area in stored:
        attrs = {"code": area.code}
        if area.kind == "region":
            attrs["vocabulary"] = area.vocabulary or codelists.REGION_VOCABULARY_DAC
        if area.percentage is not None:
            attrs["percentage"] = _percent(area.percentage)
        tag = "recipient-region" if area.kind == "region" else "recipient-country"
        found.append((tag, attrs, area.name))
    # The schema wants every recipient-country before the first recipient-region.
    return sorted(found, key=lambda item: item[0] != "recipient-country")


def sectors(agreement: Agreement) -> list[tuple[dict, str]]:
    """(attributes, name) of each sector: as imported when the agreement has stored
    sectors; else the DAC codes of its program areas sharing 100 percent evenly
    (vocabulary 1; a code missing from the DAC codelist is left out) and every
    program area in the reporting organisation's own vocabulary (99), so that an
    activity always says what it is about."""
    stored = sorted(agreement.sectors.all(), key=lambda s: (s.position, s.pk))
    if stored:
        found = []
        for sector in stored:
            attrs = {"vocabulary": sector.vocabulary}
            if sector.vocabulary_uri:
                attrs["vocabulary-uri"] = sector.vocabulary_uri
            attrs["code"] = sector.code
            if sector.percentage is not None:
                attrs["percentage"] = _percent(sector.percentage)
            found.append((attrs, sector.name))
        return found
    known = codelists.dac_sector_names()
    areas = sorted(agreement.program_areas.all(), key=lambda a: a.code)
    dac = sorted({a.dac_sector_code for a in areas} & known.keys())
    found = [
        (
            {"vocabulary": codelists.SECTOR_VOCABULARY_DAC, "code": c, "percentage": p},
            "",
        )
        for c, p in zip(dac, even_shares(len(dac)), strict=True)
    ]
    found += [
        (
            {
                "vocabulary": codelists.SECTOR_VOCABULARY_REPORTING_ORG,
                "code": area.code,
                "percentage": share,
            },
            area.name,
        )
        for area, share in zip(areas, even_shares(len(areas)), strict=True)
    ]
    if not found:
        # IATI wants a sector on every activity (rule 6.2.2): say that there is
        # none yet rather than invent one.
        found = [
            (
                {
                    "vocabulary": codelists.SECTOR_VOCABULARY_REPORTING_ORG,
                    "code": UNCLASSIFIED_SECTOR,
                    "percentage": "100",
                },
                "Not classified by program area yet",
            )
        ]
    return found


def even_shares(count: int) -> list[str]:
    if not count:
        return []
    share = (Decimal(100) / count).quantize(TWO_PLACES)
    shares = [share] * count
    shares[0] += Decimal(100) - share * count
    return [_percent(value) for value in shares]


def transaction_dates(amendments, agreement: Agreement) -> list[datetime.date]:
    """A date for each amendment: its signing date or period start; where both are
    missing, the next known date (so the order is kept), else the previous one, else
    the agreement's dates or its publication day. The amendment's own (empty) dates
    travel in the extension, so an import does not take this date for them."""
    known = [a.signed_on or a.period_start for a in amendments]
    fallback = (
        agreement.signed_on
        or agreement.start_on
        or (agreement.published_at or agreement.created_at).date()
    )
    dates, following = [None] * len(known), None
    for index in range(len(known) - 1, -1, -1):
        following = known[index] or following
        dates[index] = following
    previous = None
    for index, date in enumerate(dates):
        if date is None:
            dates[index] = previous or fallback
        previous = dates[index]
    return dates


def result_element(indicator, rows):
    result = etree.Element(
        "result",
        type=indicator.result_type or codelists.RESULT_TYPE_OTHER,
        **{"aggregation-status": "0" if indicator.aggregation == "none" else "1"},
    )
    _narratives(_sub(result, "title"), indicator, "name")
    element = _sub(
        result,
        "indicator",
        measure="2" if indicator.measure == Measure.PERCENTAGE else "1",
        ascending="0" if indicator.direction == Direction.DECREASE else "1",
    )
    _narratives(_sub(element, "title"), indicator, "name")
    if indicator.description:
        _narratives(_sub(element, "description"), indicator, "description")
    baselines = sorted(
        {
            (row.baseline_year or row.period_start.year, row.baseline_value)
            for row in rows
            if row.baseline_value is not None or row.baseline_year is not None
        },
        key=lambda pair: (pair[0], pair[1] is None, pair[1] or 0),
    )
    for year, value in baselines:
        attrs = {"year": str(year)}
        if value is not None:
            attrs["value"] = _number(value)
        _sub(element, "baseline", **attrs)
    for row in rows:
        period = _sub(element, "period")
        _sub(period, "period-start", **{"iso-date": _date(row.period_start)})
        _sub(period, "period-end", **{"iso-date": _date(row.period_end)})
        # The row's comment and our own fields go on its actual value, or on the
        # target of a period not reported yet (a period with a target only).
        carrier = None
        if row.target_value is not None:
            carrier = _sub(period, "target", value=_number(row.target_value))
            _dimension(carrier, row)
        if row.actual_value is not None:
            carrier = _sub(period, "actual", value=_number(row.actual_value))
            _dimension(carrier, row)
        if row.comment:
            _narratives(_sub(carrier, "comment"), row, "comment")
        _extension(
            carrier,
            "result",
            {
                "location": row.location,
                "baseline-year": row.baseline_year,
                "baseline-value": row.baseline_value,
            },
        )
    area = indicator.program_area
    _extension(
        element,
        "indicator",
        {
            "code": indicator.code,
            "unit": indicator.unit,
            "measure": indicator.measure,
            "aggregation": indicator.aggregation,
            "program-area": area.code,
        },
    )
    _program_area_extension(element, area)
    return result


# Our own namespace ------------------------------------------------------------------


def _extension(parent, tag, values: dict):
    """<gt:tag> with the values that are set, as attributes (numbers as text)."""
    attrs = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, Decimal):
            value = _number(value)
        elif isinstance(value, datetime.date):
            value = _date(value)
        attrs[name] = str(value)
    return etree.SubElement(parent, f"{{{NS}}}{tag}", attrs)


def program_area(pk):
    """A program area by primary key, from one read of them all per export (they
    are reference data, a few hundred at most): parents and ancestors cost no query
    per activity."""
    areas = _program_areas.get()
    if areas is None or pk not in areas:
        areas = {area.pk: area for area in ProgramArea.objects.all()}
        _program_areas.set(areas)
    return areas[pk]


def _agreement_extension(activity, agreement, results=()):
    record = _extension(
        activity,
        "agreement",
        {
            "code": agreement.code,
            "kind": agreement.kind,
            "signed-on": agreement.signed_on,
            "start-on": agreement.start_on,
            "end-on": agreement.end_on,
            "earlier-transactions-unpublished": agreement.earlier_transactions_unpublished
            or None,
            # The description repeats the title when there is no summary.
            "no-summary": None if agreement.summary else "1",
        },
    )
    own = sorted(agreement.program_areas.all(), key=lambda a: a.code)
    # The areas' ancestors and the indicators' areas travel too (not linked to the
    # agreement), so that an import rebuilds the tree.
    others, seen = [], {area.pk for area in own}
    for area in [*own, *(row.indicator.program_area for row in results)]:
        while area is not None:
            if area.pk not in seen:
                seen.add(area.pk)
                others.append(area)
            area = program_area(area.parent_id) if area.parent_id else None
    for area in own:
        _program_area_extension(record, area)
    for area in sorted(others, key=lambda a: a.code):
        _program_area_extension(record, area, linked=False)


def _program_area_extension(parent, area, *, linked=True):
    _extension(
        parent,
        "program-area",
        {
            "linked": None if linked else "0",
            "code": area.code,
            "name": area.name,
            "dac-sector-code": area.dac_sector_code,
            "parent": program_area(area.parent_id).code if area.parent_id else None,
            "display-order": area.display_order,
        },
    )


def _amendment_extension(transaction, amendment):
    element = _extension(
        transaction,
        "amendment",
        {
            "sequence": amendment.sequence,
            "signed-on": amendment.signed_on,
            "period-start": amendment.period_start,
            "period-end": amendment.period_end,
            "stated-cumulative-total": amendment.stated_cumulative_total,
            "amount-is-derived": amendment.amount_is_derived or None,
        },
    )
    if amendment.description:
        element.text = amendment.description


def _organization_extension(element, organization):
    _extension(
        element,
        "organization",
        {
            "kind": organization.kind,
            "acronym": organization.acronym,
            "country": organization.country.code if organization.country else None,
        },
    )


# Reading prefetched rows ------------------------------------------------------------


def _public_amendments(agreement):
    return list(agreement.amendments.public().order_by("sequence"))


def _public_payments(agreement):
    return list(
        agreement.disbursements.public()
        .select_related("provider", "receiver")
        .order_by("date", "pk")
    )


def _public_results(agreement):
    return list(
        Result.objects.public()
        .filter(agreement=agreement)
        .select_related("indicator__program_area")
        .order_by("indicator__code", "period_start", "period_end", "pk")
    )


def _prefetched(agreement, attribute, fallback):
    if hasattr(agreement, attribute):
        return getattr(agreement, attribute)
    return fallback(agreement)


def _by_indicator(results):
    groups = {}
    for row in results:
        groups.setdefault(row.indicator.pk, (row.indicator, []))[1].append(row)
    return sorted(groups.values(), key=lambda group: group[0].code)


def _earliest(dates, results):
    candidates = [*dates, *(row.period_start for row in results)]
    return min(candidates) if candidates else None


def _sub(parent, tag, **attrs):
    return etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})


def _narrative(parent, text):
    _sub(parent, "narrative").text = text
    return parent


def _narratives(parent, texts, field=None):
    """A narrative per language of a translated text (`texts`: a record and its
    field, or {language: text}), the activity's default language first and without
    xml:lang (it is said once, on the activity), the others with it."""
    if field is not None:
        texts = languages.by_language(texts, field)
    default = settings.IATI_DEFAULT_LANGUAGE
    for language in sorted(texts, key=lambda language: language != default):
        narrative = _sub(parent, "narrative")
        narrative.text = texts[language]
        if language != default:
            narrative.set(XML_LANG, language)
    return parent


def _org(parent, tag, organization):
    attrs = {}
    if organization.iati_identifier:
        attrs["ref"] = organization.iati_identifier
    attrs["type"] = codelists.ORGANISATION_TYPE.get(organization.kind, "90")
    _narratives(_sub(parent, tag, **attrs), organization, "name")


def _value(parent, amount, currency, value_date):
    element = _sub(
        parent, "value", currency=currency, **{"value-date": _date(value_date)}
    )
    element.text = _number(amount)


def _dimension(parent, row):
    if row.disaggregation:
        _sub(parent, "dimension", name="disaggregation", value=row.disaggregation)


def _document_link(parent, document):
    is_pdf = document.url.lower().split("?")[0].endswith(".pdf")
    link = _sub(
        parent,
        "document-link",
        url=codelists.encoded_url(document.url),
        format="application/pdf" if is_pdf else "text/html",
    )
    _narratives(_sub(link, "title"), document, "title")
    _sub(link, "category", code=codelists.DOCUMENT_CATEGORY_WEB_PAGE)
    if document.published_on:
        _sub(link, "document-date", **{"iso-date": _date(document.published_on)})


def _number(value: Decimal) -> str:
    return f"{Decimal(value).quantize(TWO_PLACES):f}"


def _percent(value: Decimal) -> str:
    """A percentage without trailing zeros (25, 33.33, 12.5)."""
    text = f"{Decimal(value).quantize(TWO_PLACES):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(value) -> str:
    return value.isoformat()


def _datetime(value: datetime.datetime) -> str:
    return (
        value.astimezone(datetime.UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )
