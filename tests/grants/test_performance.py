"""Counts and choices remembered until the next write, and the admin's estimated count."""

from unittest import mock

from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.urls import reverse

from grants import pagination
from grants.admin_workflow import WorkflowAdmin
from grants.cache import bump_public_version, cached_count
from grants.filters import program_area_counts
from grants.models import Agreement, PublicationState
from grants.pagination import EstimatedCountPaginator
from tests.factories import make_agreement, make_program_area, make_staff_user


# Remembered values on, whole pages not cached: each view computes its page.
@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0, PUBLIC_VALUE_CACHE_SECONDS=300)
class RememberedValuesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_agreement(currency="USD")
        make_agreement(currency="EUR")
        make_agreement(currency="JPY", publication=PublicationState.DRAFT)
        cls.staff = make_staff_user(is_superuser=True)

    def setUp(self):
        cache.clear()
        self.url = reverse("grants:agreement-list")

    def test_a_count_is_remembered_until_the_next_write(self):
        public = Agreement.objects.public()
        self.assertEqual(cached_count(public), 2)
        # One query: the public version; the count itself is not run again.
        with self.assertNumQueries(1):
            self.assertEqual(cached_count(public), 2)
        # The write moves the version in its own transaction.
        make_agreement()
        self.assertEqual(cached_count(public), 3)
        Agreement.objects.filter(currency="EUR").delete()
        self.assertEqual(cached_count(public), 2)

    def test_a_write_without_signals_counts_once_bumped(self):
        public = Agreement.objects.public()
        self.assertEqual(cached_count(public), 2)
        Agreement.objects.filter(currency="EUR").update(
            publication=PublicationState.DRAFT
        )
        self.assertEqual(cached_count(public), 2)
        bump_public_version()
        self.assertEqual(cached_count(public), 1)

    def test_different_filters_are_counted_apart(self):
        self.assertEqual(cached_count(Agreement.objects.public()), 2)
        self.assertEqual(cached_count(Agreement.objects.filter(currency="EUR")), 1)
        self.assertEqual(cached_count(Agreement.objects.all()), 3)

    def test_the_list_shows_the_count_and_fewer_queries_the_second_time(self):
        first = self.client.get(self.url)
        self.assertEqual(first.context["matching_count"], 2)
        # The public version and the page's rows: no count.
        with self.assertNumQueries(2):
            second = self.client.get(self.url)
        self.assertEqual(second.context["matching_count"], 2)

    def test_a_draft_currency_never_reaches_the_public_choices(self):
        self.client.force_login(self.staff)
        staff_page = self.client.get(self.url)
        self.assertIn(
            ("JPY", "JPY"),
            staff_page.context["filter"].filters["currency"].extra["choices"],
        )
        self.client.logout()
        public_page = self.client.get(self.url)
        choices = public_page.context["filter"].filters["currency"].extra["choices"]
        self.assertEqual(choices, [("EUR", "EUR"), ("USD", "USD")])
        self.assertEqual(public_page.context["matching_count"], 2)

    def test_an_empty_set_counts_zero_without_a_query(self):
        with self.assertNumQueries(0):
            self.assertEqual(cached_count(Agreement.objects.none()), 0)

    def test_off_when_the_setting_is_zero(self):
        with override_settings(PUBLIC_VALUE_CACHE_SECONDS=0):
            cached_count(Agreement.objects.public())
            with self.assertNumQueries(1):
                cached_count(Agreement.objects.public())


class EstimatedCountPaginatorTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        for _ in range(3):
            make_agreement()
        cls.staff = make_staff_user(is_superuser=True)

    def test_the_workflow_admins_use_it_without_a_full_count(self):
        self.assertIs(WorkflowAdmin.paginator, EstimatedCountPaginator)
        self.assertFalse(WorkflowAdmin.show_full_result_count)

    @mock.patch.object(pagination, "ESTIMATE_ABOVE", 0)
    @mock.patch.object(pagination, "estimated_rows", return_value=12345)
    def test_estimate_only_unfiltered_and_only_where_the_database_gives_one(
        self, estimated_rows
    ):
        unfiltered = EstimatedCountPaginator(Agreement.objects.order_by("pk"), 10)
        filtered = EstimatedCountPaginator(
            Agreement.objects.filter(currency="USD").order_by("pk"), 10
        )
        self.assertEqual(unfiltered.count, 12345)
        self.assertEqual(filtered.count, 3)
        estimated_rows.return_value = None
        self.assertEqual(
            EstimatedCountPaginator(Agreement.objects.order_by("pk"), 10).count, 3
        )

    @mock.patch.object(pagination, "ESTIMATE_ABOVE", 0)
    def test_the_estimate_comes_from_postgresql_only(self):
        estimate = pagination.estimated_rows(Agreement.objects.all())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE grants_agreement")
            self.assertEqual(pagination.estimated_rows(Agreement.objects.all()), 3)
        else:
            self.assertIsNone(estimate)

    def test_small_tables_are_counted_exactly(self):
        paginator = EstimatedCountPaginator(Agreement.objects.order_by("pk"), 10)
        self.assertEqual(paginator.count, 3)

    def test_the_changelist_still_answers_filtered_and_not(self):
        self.client.force_login(self.staff)
        for query in ("", "?currency__exact=USD", "?q=AG"):
            response = self.client.get(
                reverse("admin:grants_agreement_changelist") + query
            )
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.context["cl"].result_count, 3)


@override_settings(PUBLIC_VALUE_CACHE_SECONDS=300)
class ProgramAreaCountTests(TestCase):
    def setUp(self):
        cache.clear()

    def test_counts_are_remembered_exact_and_sortable(self):
        busy, quiet = make_program_area(name="Busy"), make_program_area(name="Quiet")
        for publication in (PublicationState.PUBLISHED, PublicationState.PUBLISHED):
            make_agreement(publication=publication).program_areas.add(busy)
        make_agreement(publication=PublicationState.DRAFT).program_areas.add(quiet)
        url = reverse("grants:programarea-list")
        response = self.client.get(url, {"sort": "-agreement_count"})
        rows = [
            (row.record.name, row.record.agreement_count)
            for row in response.context["table"].page.object_list
        ]
        self.assertEqual(rows[:2], [("Busy", 2), ("Quiet", 0)])
        self.assertEqual(program_area_counts(include_drafts=True)[quiet.pk], (1, 0))


class ProgramAreaPageTests(TestCase):
    def test_a_large_area_shows_its_first_agreements_and_links_to_all(self):
        area = make_program_area(code="big-area")
        for _ in range(3):
            make_agreement().program_areas.add(area)
        make_agreement(publication=PublicationState.DRAFT).program_areas.add(area)
        with mock.patch("grants.views.AREA_AGREEMENTS_SHOWN", 2):
            response = self.client.get(area.get_absolute_url())
        self.assertEqual(len(response.context["agreements"]), 2)
        self.assertEqual(response.context["agreement_count"], 3)
        self.assertContains(response, "The first 2 of 3 agreements")
        self.assertContains(response, "/agreements/?program_area=big-area")
        listed = self.client.get("/agreements/?program_area=big-area")
        self.assertEqual(listed.context["matching_count"], 3)

    def test_a_small_area_has_no_link(self):
        area = make_program_area()
        make_agreement().program_areas.add(area)
        response = self.client.get(area.get_absolute_url())
        self.assertNotContains(response, 'data-testid="more-agreements"')


class FrameworkPageTests(TestCase):
    def test_a_large_framework_lists_its_first_agreements_and_links_to_all(self):
        framework = make_agreement(code="FW-1", kind="framework")
        for _ in range(3):
            make_agreement(framework=framework)
        make_agreement(framework=framework, publication=PublicationState.DRAFT)
        with mock.patch("grants.views.FRAMEWORK_AGREEMENTS_SHOWN", 2):
            response = self.client.get(framework.get_absolute_url())
        self.assertEqual(len(response.context["agreements_under"]), 2)
        self.assertEqual(response.context["agreements_under_count"], 3)
        self.assertContains(response, "The first 2 of 3 agreements")
        self.assertContains(response, "/agreements/?framework=FW-1")
        listed = self.client.get("/agreements/?framework=FW-1")
        self.assertEqual(listed.context["matching_count"], 3)

    def test_a_small_framework_has_no_link(self):
        framework = make_agreement(kind="framework")
        make_agreement(framework=framework)
        response = self.client.get(framework.get_absolute_url())
        self.assertEqual(response.context["agreements_under_count"], 1)
        self.assertNotContains(response, 'data-testid="more-agreements-under"')


@override_settings(PUBLIC_VALUE_CACHE_SECONDS=300)
class RememberedAdminCountTests(TestCase):
    def test_a_filtered_admin_count_is_exact_and_refreshed_by_a_write(self):
        cache.clear()
        make_agreement(currency="USD")
        filtered = Agreement.objects.filter(currency="USD").order_by("pk")
        self.assertEqual(EstimatedCountPaginator(filtered, 10).count, 1)
        make_agreement(currency="USD")
        self.assertEqual(EstimatedCountPaginator(filtered, 10).count, 2)
