"""Plain `make_<model>(**overrides)` helpers: each returns a saved, valid row.

Not factory_boy: nine helpers of a few lines each, called as functions across the
suite; factories would be as long and every call site would change."""

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
    SourceDocument,
)
from indicators.models import Indicator, Result, ResultStatus, Unit

_numbers = itertools.count(1)


def _n():
    return next(_numbers)


def make_organization(**overrides):
    n = _n()
    values = {"name": f"Organization {n}", "kind": "government", "country": "PE"}
    values.update(overrides)
    return Organization.objects.create(**values)


def make_source_document(**overrides):
    values = {"title": f"Source {_n()}", "publisher": "Peru News"}
    values.update(overrides)
    return SourceDocument.objects.create(**values)


def make_program_area(**overrides):
    n = _n()
    values = {"code": f"area-{n}", "name": f"Area {n}"}
    values.update(overrides)
    return ProgramArea.objects.create(**values)


def make_agreement(**overrides):
    n = _n()
    values = {
        "code": f"AG-{n:04d}",
        "title": f"Agreement {n}",
        "currency": "USD",
        "publication": PublicationState.PUBLISHED,
    }
    values.update(overrides)
    if "donor" not in values:
        values["donor"] = make_organization(country="US")
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
        last = values["agreement"].amendments.order_by("-sequence").first()
        values["sequence"] = last.sequence + 1 if last else 1
    return Amendment.objects.create(**values)


def make_indicator(**overrides):
    n = _n()
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
        "actual_value": Decimal("100"),
        "status": ResultStatus.APPROVED,
    }
    values.update(overrides)
    if "indicator" not in values:
        values["indicator"] = make_indicator()
    return Result.objects.create(**values)


def make_staff_user(**overrides):
    values = {"username": f"staff{_n()}", "is_staff": True}
    values.update(overrides)
    return get_user_model().objects.create_user(password="not-used-here", **values)


def make_user(*, role=None, **overrides):
    """A staff user, in the named group (`Data entry`, `Reviewer`, `Administrator`)."""
    from django.contrib.auth.models import Group, User

    values = {"username": f"user{_n()}", "is_staff": True}
    values.update(overrides)
    user = User.objects.create_user(**values)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user
