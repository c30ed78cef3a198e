import pytest

from django.utils import translation


@pytest.fixture(autouse=True)
def _english_unless_a_test_asks():
    """A request in Spanish leaves Spanish active in the thread; every test starts in
    the site's default language so messages compare as written."""
    translation.activate("en")
    yield
    translation.activate("en")
