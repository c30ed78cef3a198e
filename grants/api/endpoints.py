"""The grants app's API endpoints: agreements, amendments, program areas and
organizations (see grants/api/core.py for what each declaration brings)."""

from rest_framework import serializers

from django.utils.translation import gettext_lazy as _

from ..csv_export import Column, Kind, per_language
from ..filters import (
    AgreementFilter,
    AmendmentFilter,
    DisbursementFilter,
    OrganizationFilter,
    ProgramAreaFilter,
)
from ..models import Organization, OrganizationKind
from ..reports import AGREEMENTS, AMENDMENTS, DISBURSEMENTS, PROGRAM_AREAS
from ..tables import (
    AgreementTable,
    AmendmentTable,
    DisbursementTable,
    ProgramAreaTable,
)
from .core import Endpoint, Lookup, SemicolonListField, alias, boolean_field, register


def description_of(report, name):
    """The data dictionary's sentence for a report's column."""
    return next(column.description for column in report.columns if column.name == name)


AGREEMENT_CODE = Lookup(
    "code", "code", description=_("The agreement's code, e.g. 527-0427.")
)

register(
    Endpoint.for_report(
        AGREEMENTS,
        filterset=AgreementFilter,
        table=AgreementTable,
        after=(
            Column(
                "donor_id",
                "donor_id",
                Kind.INTEGER,
                _("Number of the donor in the organizations list (its address)."),
            ),
            Column(
                "recipient_id",
                "recipient_id",
                Kind.INTEGER,
                _("Number of the recipient in the organizations list (its address)."),
            ),
        ),
        fields={
            "program_area_codes": SemicolonListField(
                "program_area_codes",
                help_text=_("Codes of the agreement's program areas, alphabetical."),
            )
        },
        # As AgreementTable.order_disbursed_share sorts it (and its index serves).
        nulls_smallest=("shown_disbursed_share",),
        lookups=(AGREEMENT_CODE,),
        example="currency=USD&sort=-total",
        detail_example="527-0427/",
    )
)

register(
    Endpoint.for_report(
        AMENDMENTS,
        filterset=AmendmentFilter,
        table=AmendmentTable,
        fields={
            "amount_is_derived": boolean_field(
                "amount_is_derived", description_of(AMENDMENTS, "amount_is_derived")
            ),
            "reconciliation": serializers.ChoiceField(
                choices=["reconciled", "unreconciled"],
                allow_null=True,
                read_only=True,
                source=alias("reconciliation"),
                help_text=description_of(AMENDMENTS, "reconciliation"),
            ),
        },
        lookups=(
            Lookup(
                "agreement_code",
                "agreement__code",
                description=_("The agreement's code, e.g. 527-0427."),
            ),
            Lookup(
                "sequence",
                "sequence",
                "int",
                description=_(
                    "1 for the original obligation, 2 for the first amendment, and so on."
                ),
            ),
        ),
        example="agreement=527-0427",
        detail_example="527-0427/2/",
    )
)

PAYMENT_NUMBER = _("Number of the payment (its address in this list).")

register(
    Endpoint.for_report(
        DISBURSEMENTS,
        filterset=DisbursementFilter,
        table=DisbursementTable,
        before=(Column("id", "pk", Kind.INTEGER, PAYMENT_NUMBER),),
        lookups=(Lookup("id", "pk", "int", description=PAYMENT_NUMBER),),
        example="agreement=527-0427&kind=disbursement",
        detail_example="1/",
    )
)

register(
    Endpoint.for_report(
        PROGRAM_AREAS,
        filterset=ProgramAreaFilter,
        table=ProgramAreaTable,
        lookups=(
            Lookup(
                "code",
                "code",
                description=_("Short identifier of the area, used in web addresses."),
            ),
        ),
        example="sort=-agreement_count",
        detail_example="natural-resources/",
    )
)

register(
    Endpoint(
        name="organizations",
        title=_("Organizations"),
        description=_(
            "One row per organization: donors, recipients and other participants of "
            "the agreements."
        ),
        filterset=OrganizationFilter,
        sorts={"name": ("name", "pk")},
        # Names and acronyms are kept per language, as in the CSV reports.
        columns=per_language(
            Organization,
            (
                Column(
                    "id",
                    "pk",
                    Kind.INTEGER,
                    _("Number of the organization (its address in this list)."),
                ),
                Column(
                    "name",
                    "name",
                    Kind.TEXT,
                    _("Full official name, e.g. “Government of Peru”."),
                ),
                Column("acronym", "acronym", Kind.TEXT, _("e.g. USAID, APCI.")),
                Column(
                    "kind",
                    "kind",
                    Kind.TEXT,
                    _("The kind of organization, as a code."),
                    choices=OrganizationKind,
                ),
                Column(
                    "country",
                    "country",
                    Kind.TEXT,
                    _(
                        "ISO 3166-1 alpha-2 code of the organization's country; empty "
                        "for international bodies."
                    ),
                ),
                Column(
                    "iati_identifier",
                    "iati_identifier",
                    Kind.TEXT,
                    _(
                        "IATI organisation identifier, e.g. US-GOV-1 for USAID; empty if none."
                    ),
                ),
            ),
        ),
        lookups=(
            Lookup(
                "id",
                "pk",
                "int",
                description=_("Number of the organization (its address in this list)."),
            ),
        ),
        example="kind=bilateral",
        detail_example="1/",
    )
)
