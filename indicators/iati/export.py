"""Public agreements as IATI 2.03 activity XML (one iati-activity per agreement).

Only public rows go out: every queryset below starts from `public()`. The mapping
follows shared/iati/NOTES.md: amendments are commitment transactions (type 2, a
de-obligation negative), disbursements and expenditure transactions of types 3 and 4
(a reimbursement negative), results are result/indicator/period, program areas with a
DAC code are sectors, source documents with a web address are document-links.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from grants import languages
from grants.models import Agreement, Amendment, Disbursement, ParticipantRole
from indicators.models import Direction, Measure, Result

from . import codelists

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TWO_PLACES = Decimal("0.01")


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
    queries whatever the number of agreements."""
    return (
        Agreement.objects.public()
        .select_related("donor", "recipient", "framework")
        .prefetch_related(
            "participations__organization",
            "program_areas",
            "source_documents",
            "budgets",
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
                    Result.objects.public().select_related("indicator")
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
    return agreement.iati_identifier or f"{reporting.ref}-{agreement.code}"


def render(agreements, *, now: datetime.datetime | None = None) -> bytes:
    """An iati-activities document (UTF-8 bytes with an XML declaration)."""
    root = build(agreements, now=now)
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def build(agreements, *, now: datetime.datetime | None = None) -> etree._Element:
    reporting = reporting_org()
    now = now or timezone.now()
    root = etree.Element(
        "iati-activities",
        {"version": codelists.IATI_VERSION, "generated-datetime": _datetime(now)},
    )
    for agreement in agreements:
        root.append(activity_element(agreement, reporting))
    return root


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
    )
    _sub(activity, "iati-identifier").text = activity_identifier(agreement, reporting)
    _narrative(
        _sub(activity, "reporting-org", ref=reporting.ref, type=reporting.type),
        reporting.name,
    )
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
        _narratives(_sub(activity, "participating-org", **attrs), organization, "name")
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
    if agreement.recipient.country:
        _sub(
            activity,
            "recipient-country",
            code=agreement.recipient.country.code,
            percentage="100",
        )
    for code, percentage in sectors(agreement):
        _sub(
            activity,
            "sector",
            vocabulary=codelists.SECTOR_VOCABULARY_DAC,
            code=code,
            percentage=percentage,
        )
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


def sectors(agreement: Agreement) -> list[tuple[str, str]]:
    """The DAC codes of the agreement's program areas, sharing 100 percent evenly.
    A code missing from the DAC codelist (a typo, a withdrawn code) is left out."""
    known = codelists.dac_sector_names()
    codes = sorted(
        {area.dac_sector_code for area in agreement.program_areas.all()} & known.keys()
    )
    if not codes:
        return []
    share = (Decimal(100) / len(codes)).quantize(TWO_PLACES)
    shares = [share] * len(codes)
    shares[0] += Decimal(100) - share * len(codes)
    return [(code, _number(value)) for code, value in zip(codes, shares, strict=True)]


def transaction_dates(amendments, agreement: Agreement) -> list[datetime.date]:
    """A date for each amendment: its signing date or period start; where both are
    missing, the next known date (so the order is kept), else the previous one, else
    the agreement's dates or its publication day."""
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
        type=codelists.RESULT_TYPE_OTHER,
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
        if row.target_value is not None:
            target = _sub(period, "target", value=_number(row.target_value))
            _dimension(target, row)
        actual = _sub(period, "actual", value=_number(row.actual_value))
        _dimension(actual, row)
        if row.comment:
            _narratives(_sub(actual, "comment"), row, "comment")
    return result


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
        .select_related("indicator")
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
        url=document.url,
        format="application/pdf" if is_pdf else "text/html",
    )
    _narratives(_sub(link, "title"), document, "title")
    _sub(link, "category", code=codelists.DOCUMENT_CATEGORY_WEB_PAGE)
    if document.published_on:
        _sub(link, "document-date", **{"iso-date": _date(document.published_on)})


def _number(value: Decimal) -> str:
    return f"{Decimal(value).quantize(TWO_PLACES):f}"


def _date(value) -> str:
    return value.isoformat()


def _datetime(value: datetime.datetime) -> str:
    return (
        value.astimezone(datetime.UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )
