"""A small record with a draft of every kind beside the public rows, for the API tests,
and a client helper that reads every page of a list."""

import datetime
from decimal import Decimal

from grants.models import Disbursement, DisbursementKind, PublicationState
from indicators.models import ResultStatus
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_program_area,
    make_result,
)

DRAFT = PublicationState.DRAFT


def make_disbursement(**overrides):
    values = {
        "kind": DisbursementKind.DISBURSEMENT,
        "publication": PublicationState.PUBLISHED,
    }
    values.update(overrides)
    return Disbursement.objects.create(**values)


def make_record_with_drafts():
    """Public rows and, beside them, a draft agreement (with amendments and results),
    a draft amendment and a draft payment of a public agreement, a draft indicator with an approved
    result, and results waiting for approval. Every draft text holds "DRAFT" (organizations are public
    whatever their agreements: organizations have no public gate)."""
    area = make_program_area(code="public-area", name="Public area")
    donor = make_organization(name="Public donor", kind="bilateral", country="US")
    draft_donor = make_organization(name="Donor of a draft only", country="JP")
    public = make_agreement(code="PUBLIC-1", title="Public agreement", donor=donor)
    public.program_areas.add(area)
    make_amendment(agreement=public, amount=Decimal("1000.00"), title="First")
    make_amendment(
        agreement=public,
        amount=Decimal("500.00"),
        title="Second",
        stated_cumulative_total=Decimal("1500.00"),
        signed_on=datetime.date(2023, 5, 1),
    )
    make_amendment(
        agreement=public, amount=Decimal("7.00"), title="DRAFT third", publication=DRAFT
    )
    other = make_agreement(code="PUBLIC-2", title="Second public", currency="EUR")
    make_amendment(agreement=other, amount=Decimal("250.50"), title="Only")
    draft = make_agreement(
        code="DRAFT-1",
        title="DRAFT agreement",
        donor=draft_donor,
        currency="JPY",
        publication=DRAFT,
    )
    draft.program_areas.add(area)
    make_amendment(agreement=draft, amount=Decimal("9.00"), title="DRAFT amendment")
    make_disbursement(
        agreement=public, amount=Decimal("600.00"), date=datetime.date(2023, 6, 1)
    )
    make_disbursement(
        agreement=public,
        amount=Decimal("50.00"),
        date=datetime.date(2023, 7, 1),
        kind="expenditure",
    )
    make_disbursement(
        agreement=public,
        amount=Decimal("8.00"),
        date=datetime.date(2023, 8, 1),
        description="DRAFT payment",
        publication=DRAFT,
    )
    make_disbursement(
        agreement=draft,
        amount=Decimal("3.00"),
        date=datetime.date(2023, 6, 1),
        description="DRAFT agreement's payment",
    )
    indicator = make_indicator(code="public-indicator", program_area=area)
    draft_indicator = make_indicator(
        code="draft-indicator",
        name="DRAFT indicator",
        program_area=area,
        publication=DRAFT,
    )
    make_result(indicator=indicator, agreement=public, location="Lima")
    make_result(
        indicator=indicator,
        location="Cusco",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        target_value=Decimal("200"),
    )
    make_result(indicator=indicator, agreement=draft, location="DRAFT agreement's")
    make_result(indicator=draft_indicator, location="DRAFT indicator's")
    make_result(
        indicator=indicator, location="DRAFT submitted", status=ResultStatus.SUBMITTED
    )
    return {"public": public, "other": other, "draft": draft, "indicator": indicator}


def all_rows(client, path, **params):
    """Every row of a list, following `next` to the end; and the first page's count."""
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    page = response.json()
    count, rows = page["count"], list(page["results"])
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["results"]
    return count, rows
