import datetime
import re
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import RequestFactory, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.defaults import server_error

from grants.listing import MAX_PER_PAGE
from grants.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Amendment,
    ProgramArea,
    PublicationState,
)
from indicators.models import Indicator, ResultStatus
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_result,
    make_staff_user,
)

DRAFT = PublicationState.DRAFT

LIST_URLS = [
    reverse("grants:agreement-list"),
    reverse("grants:amendment-list"),
    reverse("grants:programarea-list"),
    reverse("indicators:indicator-list"),
    reverse("indicators:result-list"),
]


def rows(response):
    """The records of the table on the current page."""
    return [row.record for row in response.context["table"].paginated_rows]


def codes(response):
    return [record.code for record in rows(response)]


class SeedWithDraftsMixin:
    """The seed plus one draft of each kind, each with a name that must never leak."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())
        cls.seed = Agreement.objects.get(code="527-0427")
        cls.area = ProgramArea.objects.get(code="natural-resources")
        cls.draft_agreement = make_agreement(
            code="SECRET-1",
            title="Secret draft agreement",
            publication=DRAFT,
            donor=cls.seed.donor,
            recipient=cls.seed.recipient,
        )
        cls.draft_agreement.program_areas.add(cls.area)
        make_amendment(
            agreement=cls.draft_agreement,
            title="Secret amendment of a draft agreement",
            amount=Decimal("7777777.00"),
        )
        cls.draft_amendment = make_amendment(
            agreement=cls.seed,
            sequence=3,
            title="Secret draft top-up",
            amount=Decimal("5000000.00"),
            publication=DRAFT,
        )
        cls.draft_indicator = make_indicator(
            code="secret-indicator",
            name="Secret draft indicator",
            program_area=cls.area,
            publication=DRAFT,
        )
        make_result(
            indicator=cls.draft_indicator,
            agreement=cls.seed,
            actual_value=Decimal("31337"),
        )
        cls.unapproved = make_result(
            indicator=Indicator.objects.get(code="ghg-emissions-reduced"),
            agreement=cls.seed,
            period_start=datetime.date(2023, 1, 1),
            period_end=datetime.date(2023, 12, 31),
            actual_value=Decimal("4242"),
            location="Secret submitted location",
            status=ResultStatus.SUBMITTED,
        )
        cls.staff = make_staff_user()

    def all_public_urls(self):
        return [
            reverse("grants:home"),
            *LIST_URLS,
            reverse("grants:reports"),
            self.seed.get_absolute_url(),
            reverse("grants:agreement-detail", kwargs={"code": "PE-US-1951"}),
            self.area.get_absolute_url(),
            Indicator.objects.get(code="ghg-emissions-reduced").get_absolute_url(),
        ]


SECRETS = ["SECRET-1", "Secret", "secret-indicator", "31337", "31,337", "4,242"]


class PublicPagesTests(SeedWithDraftsMixin, TestCase):
    def test_every_public_page_answers_200_with_the_seed(self):
        for url in self.all_public_urls():
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_every_program_area_and_indicator_page_answers_200(self):
        for area in ProgramArea.objects.all():
            self.assertEqual(self.client.get(area.get_absolute_url()).status_code, 200)
        for indicator in Indicator.objects.public():
            response = self.client.get(indicator.get_absolute_url())
            self.assertEqual(response.status_code, 200)

    def test_drafts_never_appear_for_an_anonymous_visitor(self):
        for url in self.all_public_urls():
            content = self.client.get(url).content.decode()
            for secret in SECRETS:
                with self.subTest(url=url, secret=secret):
                    self.assertNotIn(secret, content)

    def test_drafts_are_not_offered_as_filter_choices(self):
        # Agreements are typed by code (a dropdown of every agreement would not scale),
        # so no agreement is offered at all; indicators are offered, public ones only.
        content = self.client.get(reverse("grants:amendment-list")).content.decode()
        self.assertIn('<input type="text" name="agreement"', content)
        self.assertNotIn('value="527-0427"', content)
        self.assertNotIn("SECRET-1", content)
        content = self.client.get(reverse("indicators:result-list")).content.decode()
        self.assertIn('value="ghg-emissions-reduced"', content)
        self.assertNotIn('value="secret-indicator"', content)

    def test_draft_detail_pages_answer_404_with_the_custom_page(self):
        for url in [
            self.draft_agreement.get_absolute_url(),
            self.draft_indicator.get_absolute_url(),
        ]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertContains(
                    response, "There is no public page", status_code=404
                )

    def test_a_filter_cannot_reach_a_draft(self):
        response = self.client.get(
            reverse("grants:amendment-list"), {"agreement": "SECRET-1"}
        )
        self.assertEqual(rows(response), [])
        self.assertNotContains(response, "SECRET-1</a>")
        response = self.client.get(
            reverse("grants:amendment-list"), {"agreement": "527-0427".upper()}
        )
        self.assertEqual({a.agreement.code for a in rows(response)}, {"527-0427"})

    def test_totals_equal_the_sum_of_public_rows(self):
        public_sum = Amendment.objects.public().aggregate(t=Sum("amount"))["t"]
        self.assertEqual(public_sum, Decimal("202900000.00"))
        home = self.client.get(reverse("grants:home"))
        self.assertEqual(
            [(row["currency"], row["total"]) for row in home.context["totals"]],
            [("USD", public_sum)],
        )
        self.assertContains(home, "USD 202.9 million")
        self.assertContains(home, "202,900,000.00")
        listing = self.client.get(reverse("grants:agreement-list"))
        totals = {record.code: record.shown_total for record in rows(listing)}
        self.assertEqual(totals, {"527-0427": public_sum, "PE-US-1951": Decimal(0)})
        detail = self.client.get(self.seed.get_absolute_url())
        self.assertEqual(detail.context["total"], public_sum)
        self.assertEqual(len(detail.context["amendments"]), 2)
        amendments = self.client.get(reverse("grants:amendment-list"))
        self.assertEqual(
            [a.shown_running_total for a in rows(amendments)],
            [Decimal("110400000.00"), public_sum],
        )

    def test_the_overview_says_in_words_what_equal_bars_would_show(self):
        # The seed's one agreement funds all six areas: six equal bars say nothing.
        response = self.client.get(reverse("grants:home"))
        self.assertEqual(response.context["charts"], [])
        self.assertContains(
            response,
            "All 6 program areas funded in USD have the same USD 202.9 million",
        )

    def test_the_overview_chart_is_sorted_with_whole_labels(self):
        extra = make_agreement(code="AREA-MORE", currency="USD")
        extra.program_areas.add(self.area)
        make_amendment(agreement=extra, amount=Decimal("50000000.00"))
        response = self.client.get(reverse("grants:home"))
        self.assertNotContains(response, 'data-testid="same-money"')
        (chart,) = response.context["charts"]
        labels = [row["label"] for row in chart["rows"]]
        self.assertEqual(
            labels[0], "Sustainable management of natural resources (2 agreements)"
        )
        self.assertEqual(len(labels), 6)
        self.assertEqual(
            [row["text"] for row in chart["rows"]][:2],
            ["USD 252.9 million", "USD 202.9 million"],
        )
        self.assertNotContains(response, "…")
        # A long label is wrapped on whole words, every word kept.
        lines = [line for row in chart["rows"] for line, _y, _own in row["label_lines"]]
        self.assertTrue(all(len(line) <= 46 for line in lines), lines)
        self.assertEqual(" ".join(lines).split(), " ".join(labels).split())
        # Each bar is drawn just under its label's last line, and the next label
        # just under the bar: nothing overlaps, no row is padded.
        top = 0.0
        for row in chart["rows"]:
            label_ys = [float(y) for _line, y, _own in row["label_lines"]]
            self.assertEqual(label_ys[0], top + 14)
            self.assertEqual(float(row["bar_y"]), top + 18 * len(label_ys) + 4)
            top = float(row["bar_y"]) + chart["bar_height"] + 14
        self.assertEqual(float(chart["height"]), top + 4)

    def test_a_framework_shows_what_was_signed_under_it(self):
        framework = reverse("grants:agreement-detail", kwargs={"code": "PE-US-1951"})
        response = self.client.get(framework)
        self.assertContains(response, "1 agreement, USD 202.9 million")
        listing = self.client.get(reverse("grants:agreement-list"))
        self.assertContains(listing, "Signed under it: 1 agreement, USD 202.9 million")
        spanish = self.client.get(framework, headers={"accept-language": "es"})
        self.assertContains(spanish, "1 convenio, USD 202,9 millones")

    def test_overview_counts_an_agreement_once_per_area(self):
        extra = make_agreement(code="AREA-TWICE", currency="USD")
        extra.program_areas.add(self.area)
        make_amendment(agreement=extra, amount=Decimal("100.00"))
        response = self.client.get(reverse("grants:home"))
        area = next(a for a in response.context["areas"] if a.pk == self.area.pk)
        self.assertEqual(area.agreement_count, 2)
        self.assertEqual(area.totals, [("USD", Decimal("202900100.00"), 0)])
        total = response.context["totals"][0]
        self.assertEqual(total["agreements"], 2)
        self.assertEqual(total["total"], Decimal("202900100.00"))

    def test_pages_have_charts_with_their_numbers_in_a_table_and_no_inline_style(self):
        for url, table_id in [
            (self.seed.get_absolute_url(), "amendments"),
            (
                Indicator.objects.get(code="ghg-emissions-reduced").get_absolute_url(),
                "results-table",
            ),
        ]:
            with self.subTest(url=url):
                content = self.client.get(url).content.decode()
                self.assertIn('<svg class="chart-svg"', content)
                self.assertIn('role="img"', content)
                self.assertIn(f'id="{table_id}"', content)
        for url in self.all_public_urls():
            content = self.client.get(url).content.decode()
            with self.subTest(url=url):
                self.assertNotIn("style=", content)
                # One script, from the site's static files, that nothing needs: it
                # folds a list's filters on a phone. No inline script.
                self.assertEqual(
                    re.findall(r"<script[^>]*>", content),
                    ['<script src="/static/js/site.js" defer>'],
                )

    def test_anonymous_pages_vary_on_cookie_and_are_not_private(self):
        response = self.client.get(reverse("grants:agreement-list"))
        self.assertIn("Cookie", response["Vary"])
        self.assertNotIn("private", response.get("Cache-Control", ""))

    def test_the_html_lang_follows_the_language(self):
        self.assertContains(self.client.get("/"), '<html lang="en">')


class StaffViewTests(SeedWithDraftsMixin, TestCase):
    def setUp(self):
        self.client.force_login(self.staff)

    def test_staff_see_draft_agreements_marked_with_edit_links(self):
        response = self.client.get(reverse("grants:agreement-list"))
        self.assertIn("SECRET-1", codes(response))
        self.assertContains(response, "Not public")
        self.assertContains(
            response,
            reverse("admin:grants_agreement_change", args=[self.draft_agreement.pk]),
        )
        self.assertContains(
            response, reverse("admin:grants_agreement_change", args=[self.seed.pk])
        )

    def test_staff_see_draft_amendments_indicators_and_unapproved_results(self):
        amendments = self.client.get(reverse("grants:amendment-list"))
        self.assertIn(self.draft_amendment, rows(amendments))
        indicators = self.client.get(reverse("indicators:indicator-list"))
        self.assertIn(self.draft_indicator, rows(indicators))
        results = self.client.get(reverse("indicators:result-list"))
        self.assertIn(self.unapproved, rows(results))
        self.assertContains(results, "Submitted for review")
        self.assertContains(
            results,
            reverse("admin:indicators_result_change", args=[self.unapproved.pk]),
        )

    def test_staff_open_draft_detail_pages(self):
        response = self.client.get(self.draft_agreement.get_absolute_url())
        self.assertContains(response, "Not public")
        self.assertContains(response, "Edit this agreement in the admin")
        response = self.client.get(self.seed.get_absolute_url())
        self.assertContains(response, "Secret draft top-up")
        self.assertContains(response, "Secret draft indicator")
        response = self.client.get(self.draft_indicator.get_absolute_url())
        self.assertEqual(response.status_code, 200)

    def test_the_public_switch_shows_exactly_what_the_public_sees(self):
        for url in self.all_public_urls():
            with self.subTest(url=url):
                staff = self.client.get(url, {"view": "public"}).content.decode()
                for secret in SECRETS:
                    self.assertNotIn(secret, staff)
        response = self.client.get(reverse("grants:agreement-list"), {"view": "public"})
        self.assertEqual(codes(response), ["527-0427", "PE-US-1951"])
        self.assertContains(response, "Back to the staff view")
        response = self.client.get(
            self.draft_agreement.get_absolute_url(), {"view": "public"}
        )
        self.assertEqual(response.status_code, 404)

    def test_staff_responses_are_private_and_vary_on_cookie(self):
        response = self.client.get(reverse("grants:agreement-list"))
        self.assertIn("private", response["Cache-Control"])
        self.assertIn("Cookie", response["Vary"])


class AgreementFilterTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())
        cls.seed = Agreement.objects.get(code="527-0427")
        cls.eu = make_organization(name="European Union", acronym="EU", country="")
        cls.bolivia = make_organization(name="Government of Bolivia", country="BO")
        cls.grant = make_agreement(
            code="EU-2020-07",
            title="Cooperación técnica en Bolivia",
            kind=AgreementKind.GRANT,
            status=AgreementStatus.CLOSED,
            donor=cls.eu,
            recipient=cls.bolivia,
            currency="EUR",
            start_on=datetime.date(2019, 1, 1),
            end_on=datetime.date(2020, 12, 31),
        )
        cls.grant.program_areas.add(ProgramArea.objects.get(code="illicit-drugs"))
        make_amendment(agreement=cls.grant, amount=Decimal("5000.00"))

    def get(self, **params):
        return self.client.get(reverse("grants:agreement-list"), params)

    def test_without_filters_every_public_agreement_is_listed_and_counted(self):
        response = self.get()
        self.assertEqual(set(codes(response)), {"527-0427", "PE-US-1951", "EU-2020-07"})
        self.assertContains(response, "3 matching rows")

    def test_each_filter_narrows(self):
        cases = [
            ({"donor": self.eu.pk}, ["EU-2020-07"]),
            ({"recipient": self.seed.recipient.pk}, ["527-0427", "PE-US-1951"]),
            ({"kind": "donation"}, ["527-0427"]),
            ({"status": "closed"}, ["EU-2020-07"]),
            ({"program_area": "illicit-drugs"}, ["527-0427", "EU-2020-07"]),
            ({"program_area": "natural-resources"}, ["527-0427"]),
            ({"currency": "EUR"}, ["EU-2020-07"]),
            ({"active_in": "2020"}, ["EU-2020-07"]),
            ({"active_in": "2023"}, ["527-0427"]),
            ({"active_in": "2010"}, []),
            ({"amount_min": "1000000"}, ["527-0427"]),
            ({"amount_max": "10000"}, ["EU-2020-07", "PE-US-1951"]),
            ({"amount_min": "1", "amount_max": "10000"}, ["EU-2020-07"]),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assertEqual(sorted(codes(self.get(**params))), sorted(expected))

    def test_q_finds_the_seed_agreement_by_code_and_title_in_any_case_and_accents(self):
        for q in ["527-0427", "0427", "527-04", "donation", "DONATION", "Donation"]:
            with self.subTest(q=q):
                self.assertIn("527-0427", codes(self.get(q=q)))
        for q in ["peru", "PERU", "Perú", "PERÚ", "perú"]:
            with self.subTest(q=q):
                self.assertIn("527-0427", codes(self.get(q=q)))
        self.assertEqual(codes(self.get(q="0427 donation")), ["527-0427"])
        self.assertEqual(codes(self.get(q="no-such-thing")), [])

    def test_q_ignores_accents_in_the_stored_text_too(self):
        for q in ["cooperacion bolivia", "COOPERACIÓN BOLIVIA", "tecnica bolivia"]:
            with self.subTest(q=q):
                self.assertEqual(codes(self.get(q=q)), ["EU-2020-07"])

    def test_q_finds_by_party_name_or_acronym(self):
        self.assertEqual(codes(self.get(q="eu")), ["EU-2020-07"])
        self.assertEqual(codes(self.get(q="european")), ["EU-2020-07"])

    def test_q_treats_like_wildcards_as_text(self):
        self.assertEqual(codes(self.get(q="%")), [])
        self.assertEqual(codes(self.get(q="_")), [])

    def test_sorting_by_total_descending(self):
        response = self.get(sort="-total")
        self.assertEqual(codes(response), ["527-0427", "EU-2020-07", "PE-US-1951"])

    def test_sort_and_page_links_keep_the_filters(self):
        response = self.get(q="a", kind="donation")
        self.assertContains(response, "sort=title")
        self.assertContains(response, "q=a")
        self.assertContains(response, "kind=donation")


class PaginationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        donor, recipient = make_organization(), make_organization()
        for n in range(MAX_PER_PAGE + 15):
            make_agreement(
                code=f"P-{n:04d}", title="Same title", donor=donor, recipient=recipient
            )

    def test_pages_never_repeat_or_skip_rows_when_sort_keys_tie(self):
        seen = []
        for page in range(1, 13):
            response = self.client.get(
                reverse("grants:agreement-list"),
                {"sort": "title", "per_page": 10, "page": page},
            )
            seen.extend(codes(response))
        self.assertEqual(len(seen), MAX_PER_PAGE + 15)
        self.assertEqual(len(set(seen)), MAX_PER_PAGE + 15)

    def test_page_size_is_capped(self):
        response = self.client.get(
            reverse("grants:agreement-list"), {"per_page": 10**9}
        )
        self.assertEqual(len(rows(response)), MAX_PER_PAGE)
        self.assertContains(response, f"{MAX_PER_PAGE + 15} matching rows")

    def test_negative_page_size_falls_back_to_the_default(self):
        response = self.client.get(reverse("grants:agreement-list"), {"per_page": -5})
        self.assertEqual(len(rows(response)), 25)

    def test_page_past_the_end_shows_the_last_page_with_a_message(self):
        response = self.client.get(reverse("grants:agreement-list"), {"page": 99999})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "There is no page 99999")
        self.assertEqual(response.context["table"].page.number, 5)


# Every public page against a table of hostile query strings: tests/grants/test_hostile_input.py.
class HostileQueryStringTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())

    def test_a_value_that_is_not_a_number_is_explained(self):
        response = self.client.get(
            reverse("grants:agreement-list"), {"amount_min": "abc"}
        )
        self.assertContains(response, "Enter a number.")
        self.assertContains(response, "Some filters could not be understood")
        self.assertEqual(rows(response), [])

    def test_a_very_long_search_is_refused_with_a_message(self):
        response = self.client.get(reverse("grants:agreement-list"), {"q": "x" * 500})
        self.assertContains(response, "at most 200 characters")


# Counts the queries of a page computed afresh, as after a write: both caches off.
@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0, PUBLIC_VALUE_CACHE_SECONDS=0)
class QueryCountTests(TestCase):
    """Query counts per page do not grow with the number of rows, and stay small."""

    MAX_QUERIES = 7

    def add_rows(self, count):
        indicator = Indicator.objects.get(code="ghg-emissions-reduced")
        for _ in range(count):
            # Codes after the seed's, so its framework stays on the list's first
            # page: a page with a framework reads what was signed under it (one
            # query for the page, however many frameworks).
            agreement = make_agreement(
                code=f"ZZ-{Agreement.objects.count():04d}",
                donor=self.donor,
                recipient=self.recipient,
                currency="USD",
            )
            agreement.program_areas.add(indicator.program_area)
            make_amendment(agreement=agreement, amount=Decimal("10.00"))
            make_result(indicator=indicator, agreement=agreement)

    def count_queries(self, url):
        with CaptureQueriesContext(connection) as context:
            response = self.client.get(url, {"per_page": 100})
        self.assertEqual(response.status_code, 200)
        return len(context.captured_queries)

    def test_queries_per_page_are_flat_from_5_to_100_agreements(self):
        call_command("load_seed", stdout=StringIO())
        self.donor, self.recipient = make_organization(), make_organization()
        area = ProgramArea.objects.get(code="natural-resources")
        urls = [
            reverse("grants:home"),
            *LIST_URLS,
            reverse("grants:agreement-detail", kwargs={"code": "527-0427"}),
            reverse("grants:agreement-detail", kwargs={"code": "PE-US-1951"}),
            area.get_absolute_url(),
            Indicator.objects.get(code="ghg-emissions-reduced").get_absolute_url(),
        ]
        self.add_rows(5)
        small = {url: self.count_queries(url) for url in urls}
        self.add_rows(95)
        large = {url: self.count_queries(url) for url in urls}
        self.assertEqual(small, large)
        for url, count in large.items():
            with self.subTest(url=url):
                self.assertLessEqual(count, self.MAX_QUERIES)

    def test_staff_list_queries_are_flat_too(self):
        call_command("load_seed", stdout=StringIO())
        self.donor, self.recipient = make_organization(), make_organization()
        self.client.force_login(make_staff_user())
        self.add_rows(5)
        small = [self.count_queries(url) for url in LIST_URLS]
        self.add_rows(95)
        self.assertEqual(small, [self.count_queries(url) for url in LIST_URLS])


class ErrorPageTests(TestCase):
    def test_unknown_address_gives_the_custom_404(self):
        response = self.client.get("/no/such/page/")
        self.assertContains(response, "Page not found", status_code=404)
        self.assertContains(response, "Go to the overview", status_code=404)

    def test_server_error_page_renders_without_a_request_context(self):
        response = server_error(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        self.assertIn(b"Something went wrong on our side", response.content)

    def test_public_pages_refuse_writes(self):
        response = self.client.post(reverse("grants:agreement-list"))
        self.assertEqual(response.status_code, 405)


class AmendmentFilterTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())
        cls.other = make_agreement(code="OTHER-1", title="Another agreement")
        cls.signed = make_amendment(
            agreement=cls.other,
            title="Signed original",
            signed_on=datetime.date(2021, 6, 1),
            period_start=datetime.date(2021, 1, 1),
            period_end=datetime.date(2021, 12, 31),
            amount=Decimal("300.00"),
            stated_cumulative_total=Decimal("999.00"),
        )

    def titles(self, **params):
        response = self.client.get(reverse("grants:amendment-list"), params)
        return sorted(amendment.title for amendment in rows(response))

    def test_each_filter_narrows(self):
        seed_titles = [
            "Amendment adding 92.5 million USD for 2023–2024",
            "Obligations before this amendment",
        ]
        cases = [
            ({"agreement": "527-0427"}, seed_titles),
            ({"agreement": "OTHER-1"}, ["Signed original"]),
            ({"signed_year": "2021"}, ["Signed original"]),
            ({"signed_year": "2022"}, []),
            ({"period_year": "2024"}, [seed_titles[0]]),
            ({"period_year": "2021"}, ["Signed original"]),
            ({"amount_min": "100000000"}, [seed_titles[1]]),
            ({"amount_max": "1000"}, ["Signed original"]),
            ({"reconciliation": "yes"}, [seed_titles[0]]),
            ({"reconciliation": "no"}, ["Signed original"]),
            ({"reconciliation": "none"}, [seed_titles[1]]),
            ({"q": "0427"}, seed_titles),
            ({"q": "ORIGINAL"}, ["Signed original"]),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assertEqual(self.titles(**params), expected)

    def test_the_flag_shows_on_an_unreconciled_amendment(self):
        response = self.client.get(
            reverse("grants:amendment-list"), {"reconciliation": "no"}
        )
        self.assertContains(response, "differs from the computed total")


class ProgramAreaListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())

    def test_q_narrows_the_areas_ignoring_accents(self):
        response = self.client.get(reverse("grants:programarea-list"), {"q": "NATURAL"})
        self.assertEqual(codes(response), ["natural-resources"])
        ProgramArea.objects.filter(code="illicit-drugs").update(
            name="Lucha contra el tráfico ilícito de drogas"
        )
        response = self.client.get(
            reverse("grants:programarea-list"), {"q": "trafico ILICITO"}
        )
        self.assertEqual(codes(response), ["illicit-drugs"])

    def test_counts_only_public_agreements_and_indicators(self):
        area = ProgramArea.objects.get(code="natural-resources")
        draft = make_agreement(publication=DRAFT)
        draft.program_areas.add(area)
        make_indicator(program_area=area, publication=DRAFT)
        response = self.client.get(reverse("grants:programarea-list"), {"q": "natural"})
        [record] = rows(response)
        self.assertEqual((record.agreement_count, record.indicator_count), (1, 3))
