"""`reverse()` remembered, for the links a list page repeats on every row.

A page of results links each row to its indicator, program area and agreement: about
100 reverses, 45 µs each (docs/performance.md). Django's answer depends only on the
URLconf, the script prefix, the language and the arguments, and all of them are in the
key; a change of ROOT_URLCONF (a test's override_settings) empties it.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language


@functools.lru_cache(maxsize=4096)
def _reversed(urlconf, script_prefix, language, viewname, kwargs):
    return reverse(viewname, urlconf=urlconf, kwargs=dict(kwargs))


def remembered_reverse(viewname, **kwargs):
    """`reverse(viewname, kwargs=kwargs)`, remembered."""
    return _reversed(
        get_urlconf(),
        get_script_prefix(),
        get_language(),
        viewname,
        tuple(sorted(kwargs.items())),
    )


@receiver(setting_changed)
def _forget_on_new_urlconf(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
