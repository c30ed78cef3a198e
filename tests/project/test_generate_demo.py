from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.test import TestCase

from grants import ledger
from grants.models import Agreement, Amendment, PublicationState
from indicators.models import Aggregation, Indicator, Measure, Result, Unit


def generate(**options):
    call_command("generate_demo", stdout=StringIO(), **options)


def snapshot():
    """The generated data by natural keys, without primary keys or timestamps."""
    return (
        list(
            Agreement.objects.order_by("code").values_list(
                "code", "title", "donor__name", "recipient__name", "currency",
                "signed_on", "end_on", "publication", "framework__code", "summary",
            )
        ),
        list(
            Amendment.objects.order_by("agreement__code", "sequence").values_list(
                "agreement__code", "sequence", "amount", "stated_cumulative_total",
                "publication",
            )
        ),
        list(
            Result.objects.order_by(
                "indicator__code", "agreement__code", "period_start", "period_end",
                "location", "disaggregation",
            ).values_list(
                "indicator__code", "agreement__code", "period_start", "period_end",
                "location", "disaggregation", "actual_value", "target_value",
                "baseline_value", "status",
            )
        ),
    )  # fmt: skip


class GenerateDemoTests(TestCase):
    def test_same_seed_gives_the_same_data_and_another_seed_does_not(self):
        generate(agreements=12, results=300, seed=7)
        first = snapshot()
        generate(agreements=12, results=300, seed=7, replace=True)
        self.assertEqual(snapshot(), first)
        generate(agreements=12, results=300, seed=8, replace=True)
        self.assertNotEqual(snapshot(), first)

    def test_data_is_valid_and_varied(self):
        generate(agreements=30, results=500, seed=3)
        self.assertEqual(Agreement.objects.count(), 30)
        self.assertEqual(Result.objects.count(), 500)
        # The stored figures equal a recomputation from the amounts, and none of
        # them is negative (the constraints would have refused it).
        self.assertEqual(list(ledger.differences()), [])
        call_command("check_ledger", stdout=StringIO())
        for agreement in Agreement.objects.all():
            for amendment in agreement.amendments.all():
                amendment.full_clean()
        self.assertTrue(
            Amendment.objects.filter(public_running_total__lt=F("running_total"))
            .exclude(publication=PublicationState.PUBLISHED)
            .exists()
        )
        self.assertTrue(Amendment.objects.filter(amount__lt=0).exists())
        self.assertGreater(Agreement.objects.values("currency").distinct().count(), 2)
        self.assertGreater(Agreement.objects.values("donor").distinct().count(), 2)
        self.assertGreater(Agreement.objects.values("recipient").distinct().count(), 2)
        self.assertTrue(Agreement.objects.filter(framework__isnull=False).exists())
        self.assertTrue(Agreement.objects.filter(publication="draft").exists())
        indicators = Indicator.objects.all()
        self.assertEqual({i.unit for i in indicators}, set(Unit.values), "every unit")
        self.assertEqual({i.measure for i in indicators}, set(Measure.values))
        self.assertEqual({i.aggregation for i in indicators}, set(Aggregation.values))
        self.assertTrue(indicators.filter(program_area__parent__isnull=False).exists())
        self.assertTrue(Result.objects.filter(target_value__isnull=True).exists())
        self.assertTrue(Result.objects.filter(target_value__isnull=False).exists())
        self.assertTrue(Result.objects.exclude(status="approved").exists())
        self.assertTrue(Result.objects.public().exists())
        for result in Result.objects.all()[:50]:
            result.full_clean()

    def test_refuses_to_run_twice_without_replace(self):
        generate(agreements=2, results=10, seed=1)
        with self.assertRaisesMessage(CommandError, "add --replace"):
            generate(agreements=2, results=10, seed=1)

    def test_refuses_more_results_than_distinct_facts(self):
        with self.assertRaisesMessage(CommandError, "raise --agreements"):
            generate(agreements=1, results=10_000_000, seed=1)
