"""Plain `make_<model>(**overrides)` helpers: each returns a saved row with sensible
defaults (published unless told otherwise)."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model

from grants.models import (
    Agreement,
    Amendment,
    Organization,
    ProgramArea,
    PublicationState,
)
from indicators.models import Indicator, Result, ResultStatus, Unit

_counter = itertools.count(1)


def _next():
    return next(_counter)


def make_organization(**overrides):
    n = _next()
    values = {"name": f"Organization {n}", "country": "PE"}
    values.update(overrides)
    return Organization.objects.create(**values)


def make_program_area(**overrides):
    n = _next()
    values = {"code": f"area-{n}", "name": f"Area {n}"}
    values.update(overrides)
    return ProgramArea.objects.create(**values)


def make_agreement(**overrides):
    n = _next()
    values = {
        "code": f"AG-{n:05d}",
        "title": f"Agreement {n}",
        "publication": PublicationState.PUBLISHED,
    }
    values.update(overrides)
    if "donor" not in values:
        values["donor"] = make_organization()
    if "recipient" not in values:
        values["recipient"] = make_organization()
    return Agreement.objects.create(**values)


def make_amendment(**overrides):
    values = {
        "title": "Amendment",
        "amount": Decimal("1000.00"),
        "publication": PublicationState.PUBLISHED,
    }
    values.update(overrides)
    if "agreement" not in values:
        values["agreement"] = make_agreement()
    if "sequence" not in values:
        values["sequence"] = values["agreement"].amendments.count() + 1
    return Amendment.objects.create(**values)


def make_indicator(**overrides):
    n = _next()
    values = {
        "code": f"indicator-{n}",
        "name": f"Indicator {n}",
        "unit": Unit.PEOPLE,
        "publication": PublicationState.PUBLISHED,
    }
    values.update(overrides)
    if "program_area" not in values:
        values["program_area"] = make_program_area()
    return Indicator.objects.create(**values)


def make_result(**overrides):
    values = {
        "period_start": datetime.date(2022, 1, 1),
        "period_end": datetime.date(2022, 12, 31),
        "actual_value": Decimal("10"),
        "status": ResultStatus.APPROVED,
    }
    values.update(overrides)
    if "indicator" not in values:
        values["indicator"] = make_indicator()
    return Result.objects.create(**values)


def make_staff_user(**overrides):
    n = _next()
    values = {"username": f"staff{n}", "is_staff": True}
    values.update(overrides)
    return get_user_model().objects.create_user(password="not-used-here", **values)
