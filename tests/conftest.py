import pytest

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.db.models import Q
from django.test import TestCase, TransactionTestCase
from django.utils import translation


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_modify_db_settings, django_db_blocker
):
    """pytest-django's, but each test database is a copy of one migrated before with
    the same migrations (tests/databases.py)."""
    from tests import databases

    # Serialized (all of them, as Django does) only for a test that restores them.
    restores = any(
        getattr(item.cls, "serialized_rollback", False)
        for item in request.session.items
    )
    serialized = None if restores else set()
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        created = databases.set_up(verbosity, serialized_aliases=serialized)
    yield
    with django_db_blocker.unblock():
        lingering = databases.tear_down(created, verbosity=verbosity)
    if lingering:
        request.node.warn(
            pytest.PytestWarning(f"Sessions left on the test database: {lingering}")
        )


@pytest.fixture(autouse=True)
def _english_unless_a_test_asks():
    """A request in Spanish leaves Spanish active in the thread; every test starts in
    the site's default language so messages compare as written."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Nothing cached by an earlier test is seen by the next (tests/settings.py)."""
    caches[settings.PUBLIC_PAGE_CACHE_ALIAS].clear()


_staff_roles: dict[str, list[tuple[str, str]]] = {}


@pytest.fixture(autouse=True)
def _staff_roles_survive_a_flush(request, django_db_blocker):
    """A TransactionTestCase empties every table when it ends, the staff roles that a
    migration made included; under pytest-xdist a TestCase that needs them may run
    after it on the same worker. The roles are read before the first such test and
    put back after each."""
    instance = getattr(request, "instance", None)
    transactional = isinstance(instance, TransactionTestCase) and not isinstance(
        instance, TestCase
    )
    if transactional and not _staff_roles:
        with django_db_blocker.unblock():
            _staff_roles.update(
                {
                    group.name: list(
                        group.permissions.values_list(
                            "content_type__app_label", "codename"
                        )
                    )
                    for group in Group.objects.all()
                }
            )
    yield
    if transactional:
        with django_db_blocker.unblock():
            for name, permissions in _staff_roles.items():
                group, _ = Group.objects.get_or_create(name=name)
                by_app = {}
                for app_label, codename in permissions:
                    by_app.setdefault(app_label, []).append(codename)
                wanted = Q(pk__in=[])
                for app_label, codenames in by_app.items():
                    wanted |= Q(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                group.permissions.set(Permission.objects.filter(wanted))
            # The record's version row goes with the flush too, and the next page
            # would create it (four more queries than a query-count test expects).
            from grants.cache import current_versions

            current_versions()
