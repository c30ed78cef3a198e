"""Every public page, found by walking the URL configuration.

The hostile-input, read-only and escaping tests run against `public_urls()`, so a page
added later is covered without touching them:

- a page without URL parameters is found by its namespace (settings.PUBLIC_URL_NAMESPACES);
- a detail page is reached through the `get_absolute_url()` of a public object of any
  model that has one: from `public()` where the model has a gate, from every row where
  it has none (so the database must hold public rows);
- a page that neither rule reaches gets one line in EXTRA_PUBLIC_URLS; the test
  `test_every_public_url_pattern_has_an_example` names any page left out.
"""

from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from grants.models import public_rows

# URL name -> an example URL, for pages the two rules above cannot reach.
EXTRA_PUBLIC_URLS: dict[str, str] = {}

# Public URLs that are not HTML pages (a redirect, a download), with the status a GET
# answers: hostile input and unsafe methods are tried on them too.
NON_PAGE_PUBLIC_URLS: dict[str, tuple[str, int]] = {
    "grants:switch-language": ("/language/es/?next=/agreements/", 302),
    "grants:report-csv": ("/reports/results.csv", 200),
    "iati:agreement": ("/agreements/527-0427/iati.xml", 200),
}

# The query parameters each page reads (the hostile-input sweep aims at them). A list
# page (grants.listing.ListPageView) reads LIST_PARAMETERS and its FilterSet's filters;
# every page reads `view` (grants.listing.shows_drafts); others are named here.
LIST_PARAMETERS = ("page", "per_page", "sort", "format", "q")
EVERY_PAGE_PARAMETERS = ("view",)
PAGE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "grants:switch-language": ("next",),
}


def parameters_read(url: str) -> tuple[str, ...]:
    """The query parameters the page at `url` reads."""
    from grants.listing import ListPageView

    match = resolve(url.split("?", 1)[0])
    view = getattr(match.func, "view_class", None)
    names = [*EVERY_PAGE_PARAMETERS, *PAGE_PARAMETERS.get(match.view_name, ())]
    if view is not None and issubclass(view, ListPageView):
        names += [*LIST_PARAMETERS, *view.filterset_class.base_filters]
    return tuple(dict.fromkeys(names))


def _walk(patterns, namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespaces:
            yield namespaces, entry


def public_url_patterns() -> dict[str, bool]:
    """URL name -> whether the pattern takes parameters, for every public page."""
    public = set(settings.PUBLIC_URL_NAMESPACES)
    found = {}
    for namespaces, entry in _walk(get_resolver().url_patterns):
        if public.isdisjoint(namespaces):
            continue
        name = ":".join((*namespaces, entry.name))
        found[name] = bool(entry.pattern.regex.groups)
    return found


def _detail_urls_from_models() -> dict[str, str]:
    urls = {}
    for model in apps.get_models():
        if not hasattr(model, "get_absolute_url"):
            continue
        obj = public_rows(model).order_by("pk").first()
        if obj is None:
            continue
        url = obj.get_absolute_url().split("#", 1)[0]
        urls.setdefault(resolve(url).view_name, url)
    return urls


def public_urls() -> dict[str, str]:
    """URL name -> an example URL, for every public page that has one."""
    patterns = public_url_patterns()
    urls = {
        name: reverse(name) for name, has_params in patterns.items() if not has_params
    }
    for name, url in _detail_urls_from_models().items():
        if name in patterns:
            urls.setdefault(name, url)
    urls.update(EXTRA_PUBLIC_URLS)
    return dict(sorted(urls.items()))
