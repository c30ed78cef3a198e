from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from grants.models import (
    Agreement,
    Amendment,
    Organization,
    Participation,
    ProgramArea,
    SourceDocument,
)
from indicators.models import Indicator, Result, ResultStatus

MODELS = [
    Organization,
    SourceDocument,
    ProgramArea,
    Agreement,
    Participation,
    Amendment,
    Indicator,
    Result,
]


def snapshot():
    return {
        model.__name__: sorted(
            tuple(
                str(v) for k, v in row.items() if k not in {"updated_at", "created_at"}
            )
            for row in model.objects.values()
        )
        for model in MODELS
    }


class LoadSeedTests(TestCase):
    def test_loads_exactly_the_facts_of_the_article(self):
        call_command("load_seed", stdout=StringIO())
        self.assertEqual(Agreement.objects.public().count(), 2)
        self.assertEqual(Amendment.objects.public().count(), 2)
        self.assertEqual(ProgramArea.objects.count(), 6)
        self.assertEqual(Indicator.objects.public().count(), 9)
        self.assertEqual(Result.objects.public().count(), 9)
        self.assertEqual(
            Result.objects.exclude(status=ResultStatus.APPROVED).count(), 0
        )
        self.assertEqual(SourceDocument.objects.count(), 1)
        donation = Agreement.objects.get(code="527-0427")
        self.assertEqual(donation.framework.code, "PE-US-1951")
        self.assertEqual(donation.currency, "USD")
        self.assertEqual(donation.program_areas.count(), 6)
        self.assertIsNone(donation.signed_on)
        self.assertEqual(donation.public_total, Decimal("202900000.00"))
        self.assertEqual(donation.total, Decimal("202900000.00"))
        derived = donation.amendments.get(sequence=1)
        self.assertTrue(derived.amount_is_derived)
        self.assertIn("Derived", derived.description)

    def test_values_are_stored_as_numbers_in_their_units(self):
        call_command("load_seed", stdout=StringIO())
        values = dict(Result.objects.values_list("indicator__code", "actual_value"))
        self.assertEqual(values["rural-families-improved-living"], Decimal("87000"))
        self.assertEqual(values["rural-families-income-increase"], Decimal("97.5"))
        self.assertEqual(values["forest-area-better-managed"], Decimal("2000000"))
        self.assertEqual(values["ghg-emissions-reduced"], Decimal("17100000"))
        families = Result.objects.get(indicator__code="rural-families-improved-living")
        self.assertIn("more than 87,000", families.comment)
        implied = Result.objects.get(indicator__code="rural-communities-connected")
        self.assertIn("implied", implied.comment)

    def test_running_it_twice_changes_nothing(self):
        call_command("load_seed", stdout=StringIO())
        first = snapshot()
        out = StringIO()
        call_command("load_seed", stdout=out)
        self.assertEqual(snapshot(), first)
        self.assertIn("nothing changed", out.getvalue())

    def test_it_runs_again_beside_the_demo_data(self):
        # generate_demo's donors include a namesake of the seed's USAID.
        call_command("load_seed", stdout=StringIO())
        call_command("generate_demo", agreements=10, results=10, stdout=StringIO())
        out = StringIO()
        call_command("load_seed", stdout=out)
        self.assertIn("nothing changed", out.getvalue())
        self.assertEqual(
            Organization.objects.filter(iati_identifier="US-GOV-1").count(), 1
        )

    def test_a_hand_edit_is_restored_and_nothing_duplicated(self):
        call_command("load_seed", stdout=StringIO())
        Amendment.objects.filter(sequence=2).update(title="Edited by hand")
        call_command("load_seed", stdout=StringIO())
        self.assertEqual(Amendment.objects.count(), 2)
        self.assertTrue(
            Amendment.objects.filter(title__startswith="Amendment adding").exists()
        )
