"""The results' stored sort keys (indicators/sort_keys.py) stay true through every
write, and the list sorted by them gives the order the joins gave."""

import datetime
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from grants.models import Agreement
from indicators import sort_keys
from indicators.models import Result, Unit
from tests.factories import (
    make_agreement,
    make_indicator,
    make_program_area,
    make_result,
)


def stale_rows() -> int:
    """How many results had a key that was not true (they are made true)."""
    return sort_keys.refresh(Result.objects.all())


class SortKeysTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.area = make_program_area(name_en="Forests", name_es="Bosques")
        cls.indicator = make_indicator(
            name_en="Hectares", name_es="Hectáreas", program_area=cls.area
        )
        cls.agreement = make_agreement(code="AG-KEYS")
        cls.result = make_result(indicator=cls.indicator, agreement=cls.agreement)

    def test_a_saved_result_carries_its_keys(self):
        result = Result.objects.get(pk=self.result.pk)
        self.assertEqual(result.indicator_name_en, "Hectares")
        self.assertEqual(result.indicator_name_es, "Hectáreas")
        self.assertEqual(result.program_area_name_es, "Bosques")
        self.assertEqual(result.indicator_unit, self.indicator.unit)
        self.assertEqual(result.agreement_code, "AG-KEYS")
        self.assertEqual(stale_rows(), 0)

    def test_renaming_the_indicator_rewrites_the_keys(self):
        self.indicator.name_es = "Hectáreas conservadas"
        self.indicator.unit = Unit.HECTARES
        self.indicator.save()
        self.assertEqual(stale_rows(), 0)
        result = Result.objects.get(pk=self.result.pk)
        self.assertEqual(result.indicator_name_es, "Hectáreas conservadas")
        self.assertEqual(result.indicator_unit, Unit.HECTARES)

    def test_renaming_the_program_area_rewrites_the_keys(self):
        self.area.name_en = "Woodland"
        self.area.save()
        self.assertEqual(stale_rows(), 0)
        result = Result.objects.get(pk=self.result.pk)
        self.assertEqual(result.program_area_name_en, "Woodland")

    def test_a_new_agreement_code_rewrites_the_keys(self):
        agreement = Agreement.objects.get(pk=self.agreement.pk)
        agreement.code = "AG-RENAMED"
        agreement.save()
        self.assertEqual(stale_rows(), 0)
        self.assertEqual(
            Result.objects.get(pk=self.result.pk).agreement_code, "AG-RENAMED"
        )

    def test_bulk_inserts_and_moves_between_indicators_keep_them_true(self):
        other = make_indicator(name_en="People")
        Result.objects.bulk_create(
            [
                Result(
                    indicator=other,
                    period_start=datetime.date(2020, 1, 1),
                    period_end=datetime.date(2020, 12, 31),
                    actual_value=Decimal("3"),
                )
            ]
        )
        Result.objects.filter(pk=self.result.pk).update(indicator=other, agreement=None)
        self.assertEqual(stale_rows(), 0)

    def test_generate_demo_writes_true_keys(self):
        call_command("generate_demo", agreements=5, results=40, stdout=StringIO())
        self.assertEqual(stale_rows(), 0)


class SortedByKeysTests(TestCase):
    """Sorted by indicator, program area, agreement or unit, both ways and in both
    languages, the list gives the order the joined names give."""

    @classmethod
    def setUpTestData(cls):
        names = [("Zeta", "Alfa"), ("Alpha", "Zulú"), ("Mid", None)]
        for n, (english, spanish) in enumerate(names):
            area = make_program_area(name_en=f"Area {english}", name_es=spanish)
            indicator = make_indicator(
                name_en=english, name_es=spanish, program_area=area
            )
            agreement = make_agreement(code=f"AG-{3 - n}") if n != 2 else None
            for year in (2020, 2021):
                make_result(
                    indicator=indicator,
                    agreement=agreement,
                    period_start=datetime.date(year, 1, 1),
                    period_end=datetime.date(year, 12, 31),
                )

    def test_the_order_is_the_joins_order(self):
        joined = {
            "indicator": ("indicator__name", "period_start"),
            "program_area": ("indicator__program_area__name",),
            "agreement": ("agreement__code",),
            "unit": ("indicator__unit",),
        }
        for language in ("en", "es"):
            for column, fields in joined.items():
                for descending in (False, True):
                    sort = f"-{column}" if descending else column
                    with self.subTest(language=language, sort=sort):
                        response = self.client.get(
                            reverse("indicators:result-list"),
                            {"sort": sort},
                            headers={"accept-language": language},
                        )
                        shown = [
                            row.record.pk for row in response.context["table"].page
                        ]
                        order = [f"-{f}" if descending else f for f in fields]
                        order.append("-pk" if descending else "pk")
                        with translation.override(language):
                            expected = list(
                                Result.objects.public()
                                .order_by(*order)
                                .values_list("pk", flat=True)
                            )
                        self.assertEqual(shown, expected)
                        self.assertNotContains(response, "data-sort-refused")
