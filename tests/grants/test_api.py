"""The public API (/api/v1/): the gate, the fields, pagination, bad input, caching
headers, throttling and CORS."""

import base64
import json
from dataclasses import replace
from decimal import Decimal

from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.api.core import get_endpoints, validators
from grants.models import Agreement, Disbursement
from grants.reports import AGREEMENTS, AMENDMENTS
from tests.factories import make_agreement, make_amendment, make_staff_user

from .api_support import all_rows, make_record_with_drafts


def list_path(name):
    return reverse(f"api:{name}-list")


class GateTests(TestCase):
    """A draft never appears: not in a list, a detail, a count or a filter."""

    @classmethod
    def setUpTestData(cls):
        cls.record = make_record_with_drafts()

    def test_no_list_holds_a_draft_and_the_count_is_the_rows(self):
        for endpoint in get_endpoints():
            with self.subTest(endpoint=endpoint.name):
                count, rows = all_rows(self.client, list_path(endpoint.name))
                self.assertEqual(count, len(rows))
                self.assertGreater(count, 0)
                self.assertNotIn("DRAFT", json.dumps(rows))

    def test_what_each_list_holds(self):
        expected = {
            "agreements": 2,  # PUBLIC-1, PUBLIC-2
            "amendments": 3,  # two of PUBLIC-1, one of PUBLIC-2
            "disbursements": 2,  # PUBLIC-1's published disbursement and expenditure
            "program-areas": 1,
            "indicators": 1,
            "results": 2,  # Lima, Cusco
        }
        for name, rows in expected.items():
            with self.subTest(endpoint=name):
                self.assertEqual(self.client.get(list_path(name)).json()["count"], rows)

    def test_totals_and_counts_are_the_public_ones(self):
        agreement = self.client.get(
            reverse("api:agreements-detail", kwargs={"code": "PUBLIC-1"})
        ).json()
        self.assertEqual(agreement["total"], "1500.00")  # not 1507.00
        self.assertEqual(agreement["currency"], "USD")
        self.assertEqual(agreement["disbursed"], "600.00")  # not 608.00
        area = self.client.get(
            reverse("api:program-areas-detail", kwargs={"code": "public-area"})
        ).json()
        self.assertEqual(area["agreements"], 1)  # PUBLIC-1; the draft is in it too
        indicator = self.client.get(
            reverse("api:indicators-detail", kwargs={"code": "public-indicator"})
        ).json()
        self.assertEqual(indicator["results"], 2)

    def test_a_draft_detail_is_not_found(self):
        draft_result = self.record["draft"].results.get()
        for url in [
            reverse("api:agreements-detail", kwargs={"code": "DRAFT-1"}),
            reverse(
                "api:amendments-detail",
                kwargs={"agreement_code": "DRAFT-1", "sequence": 1},
            ),
            reverse(
                "api:amendments-detail",
                kwargs={"agreement_code": "PUBLIC-1", "sequence": 3},
            ),
            reverse("api:indicators-detail", kwargs={"code": "draft-indicator"}),
            *[
                reverse("api:disbursements-detail", kwargs={"id": payment.pk})
                for payment in Disbursement.objects.exclude(
                    pk__in=Disbursement.objects.public()
                )
            ],
            reverse("api:results-detail", kwargs={"id": draft_result.pk}),
        ]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json(), {"detail": "Not found."})

    def test_a_drafts_code_in_a_filter_finds_what_an_unknown_code_finds(self):
        for name, params in [
            ("amendments", {"agreement": "DRAFT-1"}),
            ("disbursements", {"agreement": "DRAFT-1"}),
            ("disbursements", {"donor": str(self.record["draft"].donor_id)}),
            ("results", {"agreement": "DRAFT-1"}),
            ("agreements", {"framework": "DRAFT-1"}),
            ("agreements", {"currency": "JPY"}),
            ("agreements", {"donor": str(self.record["draft"].donor_id)}),
            ("results", {"indicator": "draft-indicator"}),
            ("agreements", {"q": "DRAFT"}),
            ("results", {"q": "DRAFT"}),
        ]:
            with self.subTest(endpoint=name, params=params):
                draft = self.client.get(list_path(name), params)
                unknown = self.client.get(
                    list_path(name), {key: "ZZ-UNKNOWN" for key in params}
                )
                self.assertEqual(draft.status_code, unknown.status_code)
                if draft.status_code == 200:
                    self.assertEqual(draft.json()["count"], 0)
                    self.assertEqual(unknown.json()["count"], 0)
                else:
                    self.assertEqual(draft.json().keys(), unknown.json().keys())

    def test_signed_in_staff_get_exactly_the_public_answer(self):
        paths = [list_path(e.name) for e in get_endpoints()] + [
            reverse("api:agreements-detail", kwargs={"code": "PUBLIC-1"})
        ]
        anonymous = {path: self.client.get(path).content for path in paths}
        self.client.force_login(make_staff_user(is_superuser=True))
        for path in paths:
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).content, anonymous[path])
        draft = reverse("api:agreements-detail", kwargs={"code": "DRAFT-1"})
        self.assertEqual(self.client.get(draft).status_code, 404)


class FieldTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.record = make_record_with_drafts()

    def test_fields_are_the_csv_reports_columns_with_their_names(self):
        # A text kept per language (title_en, title_es in the CSV) is one field of
        # the text's name, {"en": ..., "es": ...}.
        def names(report):
            return {column.text_of or column.name for column in report.columns}

        agreement = self.client.get(list_path("agreements")).json()["results"][0]
        self.assertLessEqual(names(AGREEMENTS), set(agreement))
        self.assertEqual(set(agreement["title"]), {"en", "es"})
        amendment = self.client.get(list_path("amendments")).json()["results"][0]
        self.assertLessEqual(names(AMENDMENTS), set(amendment))
        self.assertEqual(set(amendment["title"]), {"en", "es"})

    def test_money_is_a_decimal_string_beside_its_currency_and_dates_are_iso(self):
        rows = self.client.get(
            list_path("amendments"), {"agreement": "PUBLIC-1"}
        ).json()["results"]
        second = rows[1]
        self.assertEqual(second["amount"], "500.00")
        self.assertEqual(second["running_total"], "1500.00")
        self.assertEqual(second["stated_cumulative_total"], "1500.00")
        self.assertEqual(second["currency"], "USD")
        self.assertEqual(second["signed_on"], "2023-05-01")
        self.assertEqual(second["reconciliation"], "reconciled")
        self.assertIs(second["amount_is_derived"], False)
        self.assertEqual(
            second["url"],
            reverse(
                "api:amendments-detail",
                kwargs={"agreement_code": "PUBLIC-1", "sequence": 2},
            ),
        )

    def test_a_detail_is_the_same_row_as_in_the_list(self):
        listed = self.client.get(list_path("agreements"), {"q": "PUBLIC-2"}).json()
        (row,) = listed["results"]
        self.assertEqual(self.client.get(row["url"]).json(), row)
        self.assertEqual(row["total"], "250.50")
        self.assertEqual(row["currency"], "EUR")
        self.assertEqual(row["program_area_codes"], [])


class PaginationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()
        for n in range(7):
            agreement = make_agreement(code=f"MORE-{n}", title=f"Title {n % 3}")
            make_amendment(agreement=agreement, amount=Decimal(100 * (n % 4) + 1))

    def test_every_sort_pages_through_every_row_once_in_the_one_page_order(self):
        for endpoint in get_endpoints():
            for sort in ["", *endpoint.sort_names()]:
                with self.subTest(endpoint=endpoint.name, sort=sort):
                    path = list_path(endpoint.name)
                    whole = self.client.get(path, {"sort": sort, "page_size": 100})
                    expected = [row["url"] for row in whole.json()["results"]]
                    _count, rows = all_rows(self.client, path, sort=sort, page_size=2)
                    self.assertEqual([row["url"] for row in rows], expected)

    def test_the_share_sorts_as_on_the_list_page_empty_shares_smallest(self):
        make_agreement(code="NO-AMOUNTS")  # nothing committed: no share
        for sort in ("disbursed_share", "-disbursed_share"):
            with self.subTest(sort=sort):
                page = self.client.get(
                    reverse("grants:agreement-list"), {"sort": sort, "per_page": 100}
                )
                on_page = [
                    row.record.code for row in page.context["table"].page.object_list
                ]
                _count, rows = all_rows(
                    self.client, list_path("agreements"), sort=sort, page_size=2
                )
                self.assertEqual([row["code"] for row in rows], on_page)
                shares = [row["share_disbursed"] for row in rows]
                self.assertIn(None, shares)
                empty_first = sort == "disbursed_share"
                self.assertEqual(shares[0 if empty_first else -1], None)

    def test_a_sort_by_total_is_by_the_total(self):
        _count, rows = all_rows(self.client, list_path("agreements"), sort="-total")
        totals = [Decimal(row["total"]) for row in rows]
        self.assertEqual(totals, sorted(totals, reverse=True))

    def test_rows_written_between_pages_neither_repeat_nor_skip_a_row(self):
        path = list_path("agreements")
        first = self.client.get(path, {"page_size": 3}).json()
        seen = [row["code"] for row in first["results"]]
        make_agreement(code="AAA-BEFORE")  # sorts before the cursor
        make_agreement(code="ZZZ-AFTER")  # sorts after it
        page = self.client.get(first["next"]).json()
        rows = page["results"]
        while page["next"]:
            page = self.client.get(page["next"]).json()
            rows += page["results"]
        codes = seen + [row["code"] for row in rows]
        self.assertEqual(len(codes), len(set(codes)))
        self.assertNotIn("AAA-BEFORE", codes)
        self.assertEqual(codes[-1], "ZZZ-AFTER")
        self.assertEqual(len(codes), Agreement.objects.public().count() - 1)

    def test_the_page_size_is_capped(self):
        response = self.client.get(list_path("agreements"), {"page_size": 101})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"page_size"})
        page = self.client.get(list_path("agreements"), {"page_size": 100}).json()
        self.assertEqual(len(page["results"]), page["count"])


class BadInputTests(TestCase):
    """400 with a JSON body naming the parameter; 404 for an unknown code; never 500."""

    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def assertNamesParameter(self, path, params, parameter):
        response = self.client.get(path, params)
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn(parameter, response.json())

    def test_bad_values_are_named(self):
        agreements = list_path("agreements")
        other_sort = self.client.get(agreements, {"page_size": 1}).json()["next"]
        cursor = other_sort.split("cursor=")[1].split("&")[0]
        cases = [
            (agreements, {"page_size": "0"}, "page_size"),
            (agreements, {"page_size": "-5"}, "page_size"),
            (agreements, {"page_size": "ten"}, "page_size"),
            (agreements, {"sort": "donor"}, "sort"),  # a sort no index serves
            (agreements, {"sort": "--total"}, "sort"),
            (agreements, {"cursor": "not-a-cursor"}, "cursor"),
            (agreements, {"cursor": base64.b64encode(b"[1]").decode()}, "cursor"),
            (agreements, {"cursor": cursor, "sort": "-total"}, "cursor"),
            (agreements, {"amount_min": "abc"}, "amount_min"),
            (agreements, {"active_in": "99999"}, "active_in"),
            (agreements, {"kind": "nonsense"}, "kind"),
            (list_path("results"), {"period_year": "x"}, "period_year"),
            (list_path("results"), {"indicator": "no-such"}, "indicator"),
            (list_path("amendments"), {"signed_year": "0"}, "signed_year"),
        ]
        for path, params, parameter in cases:
            with self.subTest(path=path, params=params):
                self.assertNamesParameter(path, params, parameter)

    def test_a_forged_cursor_answers_400_not_a_database_error(self):
        def forged(values, sort=""):
            text = json.dumps({"s": sort, "v": values}).encode()
            return base64.urlsafe_b64encode(text).decode()

        for values in [
            ["PUBLIC-1", 2**70],
            ["PUBLIC-1\x00", 1],
            [["a"], 1],
            [True, 1],
            ["PUBLIC-1"],
        ]:
            with self.subTest(values=values):
                self.assertNamesParameter(
                    list_path("agreements"), {"cursor": forged(values)}, "cursor"
                )
        results = list_path("results")
        self.assertNamesParameter(
            results, {"cursor": forged(["not a date", "2022-01-01", 1])}, "cursor"
        )

    def test_unknown_codes_are_not_found(self):
        for url in [
            reverse("api:agreements-detail", kwargs={"code": "NO-SUCH"}),
            reverse("api:organizations-detail", kwargs={"id": 2**70}),
            reverse("api:results-detail", kwargs={"id": 999999}),
            "/api/v1/amendments/PUBLIC-1/99999999999999999999999/",
        ]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)

    def test_nothing_needs_a_session_or_sets_a_cookie_and_writes_are_refused(self):
        response = self.client.get(list_path("agreements"))
        self.assertEqual(response.cookies, {})
        post = self.client.post(
            list_path("agreements"), {}, content_type="application/json"
        )
        self.assertEqual(post.status_code, 405)


class ConditionalRequestTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def setUp(self):
        cache.clear()

    def test_an_unchanged_answer_is_304_until_the_next_write(self):
        path = list_path("agreements")
        first = self.client.get(path)
        etag = first["ETag"]
        self.assertTrue(first.has_header("Last-Modified"))
        again = self.client.get(path, headers={"if-none-match": etag})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
        make_agreement(code="NEW-ONE")
        changed = self.client.get(path, headers={"if-none-match": etag})
        self.assertEqual(changed.status_code, 200)
        self.assertNotEqual(changed["ETag"], etag)
        self.assertEqual(changed.json()["count"], 3)

    def test_another_query_has_another_etag(self):
        path = list_path("agreements")
        self.assertNotEqual(
            self.client.get(path)["ETag"],
            self.client.get(path, {"sort": "-total"})["ETag"],
        )

    @override_settings(PUBLIC_PAGE_CACHE_SECONDS=300, PUBLIC_VALUE_CACHE_SECONDS=300)
    def test_answers_come_from_the_page_cache_which_honours_if_none_match(self):
        path = list_path("results")
        first = self.client.get(path)
        self.assertEqual(first["X-Public-Cache"], "miss")
        hit = self.client.get(path)
        self.assertEqual(hit["X-Public-Cache"], "hit")
        self.assertEqual(hit.content, first.content)
        self.assertEqual(hit["Last-Modified"], first["Last-Modified"])
        not_modified = self.client.get(path, headers={"if-none-match": first["ETag"]})
        self.assertEqual(not_modified.status_code, 304)
        since = self.client.get(
            path, headers={"if-modified-since": first["Last-Modified"]}
        )
        self.assertEqual(since.status_code, 304)
        make_agreement(code="NEW-ONE")
        self.assertEqual(
            self.client.get(path, headers={"if-none-match": first["ETag"]}).status_code,
            200,
        )


# The throttle counts requests that reach the API: no whole page from the cache.
@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0)
class ThrottleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def setUp(self):
        cache.clear()

    @override_settings(API_THROTTLE_RATE="3/minute")
    def test_past_the_rate_an_address_gets_429_with_retry_after(self):
        path = list_path("organizations")
        for _ in range(3):
            self.assertEqual(self.client.get(path).status_code, 200)
        refused = self.client.get(path)
        self.assertEqual(refused.status_code, 429)
        self.assertGreater(int(refused["Retry-After"]), 0)
        self.assertIn("detail", refused.json())
        # Another address is not affected; a signed-in visitor is counted by address.
        other = self.client.get(path, REMOTE_ADDR="192.0.2.7")
        self.assertEqual(other.status_code, 200)
        self.client.force_login(make_staff_user())
        self.assertEqual(self.client.get(path).status_code, 429)

    @override_settings(API_THROTTLE_RATE="")
    def test_an_empty_rate_turns_it_off(self):
        for _ in range(5):
            self.assertEqual(self.client.get(list_path("results")).status_code, 200)


class CorsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def test_any_origin_may_read_the_api_and_only_the_api(self):
        origin = {"origin": "https://newsroom.example"}
        response = self.client.get(list_path("agreements"), headers=origin)
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")
        self.assertIn("ETag", response["Access-Control-Expose-Headers"])
        self.assertFalse(response.has_header("Access-Control-Allow-Credentials"))
        page = self.client.get(reverse("grants:agreement-list"), headers=origin)
        self.assertFalse(page.has_header("Access-Control-Allow-Origin"))

    def test_a_preflight_allows_get_with_if_none_match(self):
        response = self.client.options(
            list_path("results"),
            headers={
                "origin": "https://newsroom.example",
                "access-control-request-method": "GET",
                "access-control-request-headers": "if-none-match",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("GET", response["Access-Control-Allow-Methods"])
        self.assertIn("if-none-match", response["Access-Control-Allow-Headers"])


class ReleaseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_record_with_drafts()

    def test_a_release_that_changes_the_fields_changes_the_etag(self):
        """Without a write, a client's ETag would otherwise stay valid across it."""
        response = self.client.get(list_path("organizations"))
        request = response.wsgi_request
        endpoint = next(e for e in get_endpoints() if e.name == "organizations")
        self.assertEqual(validators(request, endpoint)[0], response["ETag"])
        fewer = replace(endpoint, columns=endpoint.columns[:-1])
        self.assertNotEqual(validators(request, fewer)[0], response["ETag"])
