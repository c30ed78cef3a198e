"""Invalidation proportional to the write (grants/cache.py): a write makes stale what
was read from its tables, and only that; whatever the cache serves equals the page
computed afresh."""

import datetime
from decimal import Decimal

from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.cache import (
    WHOLE_RECORD,
    bump_public_version,
    current_versions,
    reading_tables,
    remember,
)
from grants.jobs.models import Job
from grants.models import Agreement, AgreementKind, Amendment, PublicationState
from indicators.models import Result
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_program_area,
    make_result,
    make_staff_user,
)

CACHE_ON = {"PUBLIC_PAGE_CACHE_SECONDS": 300, "PUBLIC_VALUE_CACHE_SECONDS": 300}
CACHE_OFF = {"PUBLIC_PAGE_CACHE_SECONDS": 0, "PUBLIC_VALUE_CACHE_SECONDS": 0}


class RecordMixin:
    @classmethod
    def setUpTestData(cls):
        cls.area = make_program_area(name="Forests")
        # A framework: the agreements list shows what was signed under it (remembered).
        cls.framework = make_agreement(
            title="Framework agreement", kind=AgreementKind.FRAMEWORK
        )
        cls.agreement = make_agreement(
            title="Forest agreement", framework=cls.framework
        )
        cls.agreement.program_areas.add(cls.area)
        cls.amendment = make_amendment(agreement=cls.agreement, amount=Decimal("10"))
        cls.indicator = make_indicator(name="Hectares kept", program_area=cls.area)
        cls.result = make_result(indicator=cls.indicator, agreement=cls.agreement)

    def setUp(self):
        cache.clear()

    def urls(self):
        return [
            reverse("grants:home"),
            reverse("grants:agreement-list"),
            self.agreement.get_absolute_url(),
            reverse("grants:amendment-list"),
            reverse("grants:disbursement-list"),
            reverse("grants:programarea-list"),
            self.area.get_absolute_url(),
            reverse("indicators:indicator-list"),
            self.indicator.get_absolute_url(),
            reverse("indicators:result-list"),
            "/api/v1/agreements/",
            "/api/v1/results/",
        ]


@override_settings(**CACHE_ON)
class ServedEqualsFreshTests(RecordMixin, TestCase):
    """After each kind of write, every public page served with the cache on is the
    page computed with no cache at all: nothing stale survives a write."""

    def assert_served_is_fresh(self, write):
        for url in self.urls():
            self.client.get(url)
            self.client.get(url)  # page and remembered values warm
        with self.captureOnCommitCallbacks(execute=True):
            write()
        for url in self.urls():
            with self.subTest(url=url):
                served = self.client.get(url)
                with override_settings(**CACHE_OFF):
                    fresh = self.client.get(url)
                self.assertEqual(served.status_code, fresh.status_code)
                self.assertEqual(served.content.decode(), fresh.content.decode())

    def test_a_new_amendment(self):
        self.assert_served_is_fresh(
            lambda: make_amendment(
                agreement=self.agreement, amount=Decimal("5"), title="Fresh money"
            )
        )

    def test_a_changed_amount(self):
        def write():
            self.amendment.amount = Decimal("77.00")
            self.amendment.save()

        self.assert_served_is_fresh(write)

    def test_an_agreement_unpublished(self):
        def write():
            self.agreement.publication = PublicationState.DRAFT
            self.agreement.save()

        self.assert_served_is_fresh(write)

    def test_a_new_result(self):
        self.assert_served_is_fresh(
            lambda: make_result(
                indicator=self.indicator,
                agreement=self.agreement,
                actual_value=Decimal("4321"),
                period_start=datetime.date(2023, 1, 1),
                period_end=datetime.date(2023, 12, 31),
            )
        )

    def test_a_renamed_indicator(self):
        def write():
            self.indicator.name = "Hectares restored"
            self.indicator.save()

        self.assert_served_is_fresh(write)

    def test_a_renamed_donor(self):
        def write():
            donor = self.agreement.donor
            donor.name = "Renamed donor"
            donor.save()

        self.assert_served_is_fresh(write)

    def test_a_program_area_link_removed(self):
        self.assert_served_is_fresh(
            lambda: self.agreement.program_areas.remove(self.area)
        )

    def test_a_new_agreement(self):
        self.assert_served_is_fresh(
            lambda: make_agreement(
                title="Another agreement", donor=make_organization(name="New donor")
            )
        )

    def test_a_bulk_update_with_an_explicit_bump(self):
        def write():
            Agreement.objects.filter(pk=self.agreement.pk).update(title="Bulk title")
            bump_public_version()

        self.assert_served_is_fresh(write)

    def test_a_ledger_update_without_signals(self):
        # The amendments' QuerySet.update stores the figures (ledger.write_figures),
        # which names the ledger's tables.
        self.assert_served_is_fresh(
            lambda: Amendment.objects.filter(pk=self.amendment.pk).update(
                amount=Decimal("33.00")
            )
        )


@override_settings(**CACHE_ON)
class ProportionalInvalidationTests(RecordMixin, TestCase):
    def cached(self, url):
        return self.client.get(url)["X-Public-Cache"] == "hit"

    def test_a_new_result_leaves_the_amendments_list_cached(self):
        amendments = reverse("grants:amendment-list")
        results = reverse("indicators:result-list")
        self.client.get(amendments)
        self.client.get(results)
        with self.captureOnCommitCallbacks(execute=True):
            make_result(indicator=self.indicator, actual_value=Decimal("9"))
        self.assertIs(self.cached(amendments), True)
        self.assertIs(self.cached(results), False)

    def test_a_new_amendment_leaves_the_indicators_list_cached(self):
        indicators = reverse("indicators:indicator-list")
        agreements = reverse("grants:agreement-list")
        self.client.get(indicators)
        self.client.get(agreements)
        make_amendment(agreement=self.agreement, amount=Decimal("1"))
        self.assertIs(self.cached(indicators), True)
        self.assertIs(self.cached(agreements), False)

    def test_job_records_written_by_workers_invalidate_no_public_page(self):
        url = reverse("grants:agreement-list")
        self.client.get(url)
        Job.objects.create(kind="test", owner=make_staff_user())
        self.assertIs(self.cached(url), True)

    def test_a_write_that_names_no_table_invalidates_everything(self):
        url = reverse("indicators:indicator-list")
        self.client.get(url)
        bump_public_version()
        self.assertIs(self.cached(url), False)

    def test_a_value_served_from_the_cache_counts_as_a_read_of_its_tables(self):
        compute = lambda: Result.objects.count()  # noqa: E731
        remember("results", 1, compute)
        with reading_tables() as tables:
            self.assertEqual(remember("results", 1, compute), 1)
        self.assertIn(Result._meta.db_table, tables)

    def test_a_remembered_value_is_recomputed_after_a_write_to_its_table(self):
        compute = lambda: Result.objects.count()  # noqa: E731
        self.assertEqual(remember("results", 2, compute), 1)
        make_result(indicator=self.indicator)
        self.assertEqual(remember("results", 2, compute), 2)

    def test_a_remembered_value_survives_a_write_to_another_table(self):
        calls = []

        def compute():
            calls.append(1)
            return Result.objects.count()

        remember("results", 3, compute)
        make_amendment(agreement=self.agreement, amount=Decimal("1"))
        remember("results", 3, compute)
        self.assertEqual(len(calls), 1)

    def test_nothing_is_cached_without_the_whole_record_version(self):
        from grants.models import PublicVersion

        PublicVersion.objects.filter(scope=WHOLE_RECORD).delete()
        self.assertIn(WHOLE_RECORD, current_versions())
