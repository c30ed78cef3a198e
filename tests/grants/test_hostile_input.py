"""Hostile input against every public page: bad query strings and paths, unsafe
methods, stored markup. The pages come from tests/public_pages.py, so pages added
later are covered too."""

from urllib.parse import quote

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, models, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.http import QueryDict
from django.test import Client, TestCase
from django.urls import resolve, reverse

from grants.listing import ListPageView
from tests.public_pages import (
    EVERY_PAGE_PARAMETERS,
    NON_PAGE_PUBLIC_URLS,
    parameters_read,
    public_url_patterns,
    public_urls,
)

# Names no page reads, tried beside the ones each page reads (tests/public_pages.py).
UNREAD_PARAMETER_NAMES = ["code", "year", "language", "signed_after"]

HOSTILE_VALUES = [
    "",
    "%00",
    "abc%00def",
    "99999999999999999999999999999999",
    "-99999999999999999999999999999999",
    "99999999999",
    "-5",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "abc",
    "../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f",
    "%",
    "%ZZ",
    "%C3%28",
    "%FF%FE",
    "%E2%80%AE",
    "<script>alert(1)</script>",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "'; DROP TABLE grants_agreement; --",
    "%25_%5C%25",
    "csv",
    "json",
    "xml",
    "public",
    "A" * 5000,
    "a+" * 500,
    "2023-02-30",
    "9999-12-31",
    "-title",
    "-password",
    "--",
    "__class__",
]

MALFORMED_QUERY_STRINGS = [
    "%00",
    "%00=%00",
    "%ZZ=%ZZ",
    "&&&===",
    "page=1&page=2&page=%00",
    "a[]=1&a[]=2",
    "sort=" + ",".join(["title"] * 500),
    "=".join(["x"] * 200),
]


def own_parameters(url):
    """The parameters the page at `url` reads besides those every page reads."""
    return [name for name in parameters_read(url) if name not in EVERY_PAGE_PARAMETERS]


def filters_refusing(url, query):
    """The filters of the list page at `url` that refuse their value in `query`
    (`__all__` for a refusal of the values together); none on other pages."""
    view = getattr(resolve(url.split("?", 1)[0]).func, "view_class", None)
    if view is None or not issubclass(view, ListPageView):
        return set()
    filterset = view.filterset_class(
        data=QueryDict(query),
        queryset=view.filterset_class.base_queryset(include_drafts=False),
    )
    return set(filterset.errors)


def hostile_query_strings(url, names=None):
    """The fixed table for the page at `url`, aimed at `names` (by default the
    parameters the page reads of its own).

    Each value goes into every parameter at once, beside names no page reads. A list
    whose filters refuse a value in some parameters shows no rows, so the filters that
    took it were not applied: the value goes again into only those (each alone if
    they refuse it together). So every parameter parses every value, and every filter
    that accepts a value filters with it. Then malformed query strings.
    """
    read = own_parameters(url) if names is None else list(names)
    if not read:
        return list(MALFORMED_QUERY_STRINGS)
    queries = []
    for value in HOSTILE_VALUES:
        everywhere = "&".join(
            f"{name}={value}" for name in [*read, *UNREAD_PARAMETER_NAMES]
        )
        queries.append(everywhere)
        refused = filters_refusing(url, everywhere)
        if not refused:
            continue
        took = [name for name in read if name not in refused]
        together = "&".join(f"{name}={value}" for name in took)
        if not filters_refusing(url, together):
            queries.append(together)
        else:
            queries += [f"{name}={value}" for name in took]
    return [*queries, *MALFORMED_QUERY_STRINGS]


def expected_statuses(url, query):
    """A NUL byte is refused outright (grants.project.middleware), and so is a CSV
    download whose filters are not understood (grants.listing); any other query string
    gets a normal page, with a message where a value was not understood."""
    data = QueryDict(query)
    if any(
        "\x00" in name or "\x00" in "".join(values) for name, values in data.lists()
    ):
        return (400,)
    if data.get("format") == "csv" and filters_refusing(url, query):
        return (400,)
    return (200,)


query_values = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers().map(str),
    st.integers(min_value=10**18).map(lambda n: str(-n)),
    st.text(max_size=80).map(lambda text: quote(text, safe="")),
    st.text(alphabet="%0123456789ABCDEFZz.-/\\<>'\"&=?# ", max_size=40),
)


def query_strings(url):
    names = [*parameters_read(url), *UNREAD_PARAMETER_NAMES]
    return st.lists(
        st.tuples(
            st.one_of(st.sampled_from(names), st.text(max_size=10)), query_values
        ),
        max_size=6,
    ).map(
        lambda pairs: "&".join(
            f"{quote(name, safe='')}={value}" for name, value in pairs
        )
    )


class PublicPagesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)
        cls.urls = public_urls()


class PublicPageCoverageTests(PublicPagesTestCase):
    def test_every_public_url_pattern_has_an_example(self):
        missing = (
            set(public_url_patterns()) - set(self.urls) - set(NON_PAGE_PUBLIC_URLS)
        )
        self.assertEqual(
            missing,
            set(),
            "Add an example URL to EXTRA_PUBLIC_URLS in tests/public_pages.py, or give "
            "the page's model get_absolute_url().",
        )

    def test_every_public_page_answers(self):
        for name, url in self.urls.items():
            with self.subTest(name=name, url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_redirects_and_downloads_answer_and_refuse_hostile_input(self):
        for name, (url, status) in NON_PAGE_PUBLIC_URLS.items():
            with self.subTest(name=name):
                self.assertEqual(self.client.get(url).status_code, status)
                self.assertEqual(self.client.post(url).status_code, 405)
                for query in hostile_query_strings(url):
                    separator = "&" if "?" in url else "?"
                    response = self.client.get(f"{url}{separator}{query}")
                    self.assertLess(response.status_code, 500, query[:80])


class NoServerErrorMixin:
    def assert_no_server_error(self, url):
        response = self.client.get(url)
        self.assertLess(response.status_code, 500, url)
        return response


class HostileQueryStringTests(NoServerErrorMixin, PublicPagesTestCase):
    def test_fixed_table_of_hostile_query_strings(self):
        for name, url in self.urls.items():
            for query in hostile_query_strings(url):
                with self.subTest(name=name, query=query[:80]):
                    response = self.assert_no_server_error(f"{url}?{query}")
                    self.assertIn(response.status_code, expected_statuses(url, query))

    def test_parameters_every_page_reads(self):
        # Read the same way on every page (grants.listing.shows_drafts), by staff.
        self.client.force_login(
            get_user_model().objects.create_user("staff", is_staff=True)
        )
        name, url = next(iter(self.urls.items()))
        for query in hostile_query_strings(url, EVERY_PAGE_PARAMETERS):
            with self.subTest(name=name, query=query[:80]):
                self.assert_no_server_error(f"{url}?{query}")

    def test_nul_bytes_in_the_query_string_are_refused(self):
        for url in self.urls.values():
            for query in ("q=%00", "%00=1", "page=1%00"):
                with self.subTest(url=url, query=query):
                    response = self.client.get(f"{url}?{query}")
                    self.assertContains(
                        response,
                        "characters this site does not accept",
                        status_code=400,
                    )


# A class of its own, so that a second test worker can run it beside the fixed table.
class FuzzedQueryStringTests(
    NoServerErrorMixin, PublicPagesTestCase, HypothesisTestCase
):
    @hypothesis_settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def test_fuzzed_query_strings(self, data):
        url = data.draw(st.sampled_from(sorted(self.urls.values())), label="url")
        query = data.draw(query_strings(url), label="query")
        self.assert_no_server_error(f"{url}?{query}")


class HostilePathTests(PublicPagesTestCase):
    def test_hostile_paths_answer_404(self):
        paths = [
            "/agreements/%00/",
            "/agreements/527-0427%00/",
            "/%00",
            "/agreements/..%2F..%2Fetc%2Fpasswd/",
            "/agreements/../../etc/passwd",
            "/static/../grants/project/settings.py",
            "/static/%2e%2e/grants/project/settings.py",
            "/agreements/%ZZ/",
            "/agreements/%C3%28/",
            "/agreements/%FF%FE/",
            "/agreements/" + "9" * 400 + "/",
            "/agreements/" + "a" * 8000 + "/",
            "/" + "a/" * 2000,
            "/agreements/<script>alert(1)</script>/",
            "/agreements/'%20OR%201=1--/",
        ]
        for path in paths:
            with self.subTest(path=path[:80]):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(b"<script>alert(1)</script>", response.content)

    def test_hostile_paths_under_every_detail_page(self):
        for url in self.urls.values():
            for suffix in ("%00", "..%2F", "%ZZ", "x" * 3000):
                with self.subTest(url=url, suffix=suffix[:10]):
                    self.assertLess(self.client.get(url + suffix).status_code, 500)


class UnsafeMethodTests(PublicPagesTestCase):
    def test_unsafe_methods_answer_405(self):
        client = Client(enforce_csrf_checks=True)
        for name, url in self.urls.items():
            for method in ("post", "put", "patch", "delete"):
                with self.subTest(name=name, method=method):
                    response = getattr(client, method)(url)
                    self.assertEqual(response.status_code, 405)
                    self.assertEqual(response.headers["Allow"], "GET, HEAD")

    def test_safe_methods_still_answer(self):
        for name, url in self.urls.items():
            with self.subTest(name=name):
                self.assertEqual(self.client.head(url).status_code, 200)

    def test_the_admin_still_takes_posts(self):
        self.assertEqual(self.client.post(reverse("admin:login")).status_code, 200)


PAYLOAD = "<img src=x onerror=\"alert('xss')\">"
ESCAPED = "&lt;img src=x onerror=&quot;alert(&#x27;xss&#x27;)&quot;&gt;"
RAW_MARKER = "<img src=x onerror="


def inject_payload_into_every_text_field():
    """Append PAYLOAD to every free-text field of every row of the project's models.

    Fields the database refuses it in (codes checked by a constraint, short fields)
    are left alone; the names of the fields that took it are returned.
    """
    injected = []
    for config in (apps.get_app_config("grants"), apps.get_app_config("indicators")):
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                if (
                    not isinstance(field, models.CharField | models.TextField)
                    or isinstance(field, models.SlugField | models.URLField)
                    or field.choices
                    or field.unique
                    or (field.max_length or 10_000) < 200
                ):
                    continue
                try:
                    with transaction.atomic():
                        model._default_manager.update(
                            **{
                                field.name: Concat(
                                    field.name, Value(PAYLOAD), output_field=field
                                )
                            }
                        )
                except DatabaseError:
                    continue
                injected.append(f"{model._meta.label}.{field.name}")
    return injected


class StoredMarkupTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", verbosity=0)
        cls.injected = inject_payload_into_every_text_field()
        cls.urls = public_urls()
        cls.staff = get_user_model().objects.create_superuser(
            "reviewer", password="correct horse battery staple"
        )

    def test_payload_reached_the_records(self):
        for field in (
            "grants.Agreement.title",
            "grants.Agreement.summary",
            "grants.Amendment.title",
            "grants.Organization.name",
            "grants.SourceDocument.title",
            "indicators.Indicator.name",
        ):
            self.assertIn(field, self.injected)

    def test_public_pages_escape_stored_markup(self):
        shown = 0
        for name, url in self.urls.items():
            with self.subTest(name=name):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                content = response.getvalue().decode()
                self.assertNotIn(RAW_MARKER, content)
                shown += content.count(ESCAPED)
        self.assertContains(self.client.get("/"), ESCAPED)
        self.assertGreater(shown, 10)

    def test_admin_lists_and_forms_escape_stored_markup(self):
        self.client.force_login(self.staff)
        for model in admin.site._registry:
            if model._meta.app_label not in {"grants", "indicators"}:
                continue
            opts = model._meta
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            obj = model._default_manager.order_by("pk").first()
            pages = [changelist, changelist + "?q=" + quote(PAYLOAD)]
            if obj is not None:
                pages.append(
                    reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_change",
                        args=[obj.pk],
                    )
                )
            for page in pages:
                with self.subTest(page=page):
                    response = self.client.get(page)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn(RAW_MARKER, response.content.decode())
        response = self.client.get(reverse("admin:grants_agreement_changelist"))
        self.assertContains(response, ESCAPED)
