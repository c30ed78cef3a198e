from decimal import Decimal

from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import translation

from grants.forms import AmountField
from grants.money import AmountError, parse_amount
from tests.factories import make_user


class ParseAmountTests(SimpleTestCase):
    def test_both_conventions_are_read_as_typed(self):
        for text, expected in [
            ("92,5", "92.5"),
            ("92.500.000,00", "92500000.00"),
            ("92500000", "92500000"),
            ("92.5", "92.5"),
            ("92,500,000.00", "92500000.00"),
            ("92.500.000", "92500000"),
            ("92,500,000", "92500000"),
            ("-2.500.000,00", "-2500000.00"),
            ("\u22122,5", "-2.5"),
            ("1 234,56", "1234.56"),
            ("0,500", "0.500"),
            ("1234.567", "1234.567"),
        ]:
            with self.subTest(text=text):
                self.assertEqual(parse_amount(text), Decimal(expected))

    def test_one_separator_before_three_digits_is_refused_with_both_readings(self):
        for text, readings in [
            ("92.500", ("92500", "92.500")),
            ("92,500", ("92500", "92.500")),
            ("-1.000", ("-1000", "-1.000")),
        ]:
            with self.subTest(text=text), self.assertRaises(AmountError) as caught:
                parse_amount(text)
            self.assertEqual(caught.exception.readings, tuple(map(Decimal, readings)))

    def test_what_is_not_an_amount_is_refused(self):
        for text in ("", "abc", "92.", "1e5", "1.2.3,4,5", "1,2.5", "12.34.56", "--5"):
            with self.subTest(text=text), self.assertRaises(AmountError) as caught:
                parse_amount(text)
            self.assertEqual(caught.exception.readings, ())


class AmountFieldTests(SimpleTestCase):
    def field(self):
        return AmountField(max_digits=18, decimal_places=2)

    def test_spanish_and_english_amounts_are_read_as_the_official_meant(self):
        for language in ("es", "en"):
            with self.subTest(language=language), translation.override(language):
                self.assertEqual(self.field().clean("92,5"), Decimal("92.5"))
                self.assertEqual(
                    self.field().clean("92.500.000,00"), Decimal("92500000.00")
                )
                self.assertEqual(
                    self.field().clean("92,500,000.00"), Decimal("92500000.00")
                )

    def test_an_ambiguous_amount_gets_both_readings_in_the_staff_language(self):
        with (
            translation.override("es"),
            self.assertRaisesMessage(Exception, "92500 o como 92,5"),
        ):
            self.field().clean("92.500")
        with (
            translation.override("en"),
            self.assertRaisesMessage(Exception, "92500 or as 92.5"),
        ):
            self.field().clean("92,500")

    def test_more_than_two_decimals_is_refused_not_rounded(self):
        with self.assertRaisesMessage(Exception, "2 decimal places"):
            self.field().clean("1234.567")

    @override_settings(ROOT_URLCONF="grants.project.urls")
    def test_the_widget_is_a_decimal_text_input_with_the_stored_amount_below(self):
        with translation.override("es"):
            html = self.field().widget.render(
                "amount", Decimal("92500000.00"), {"id": "id_amount"}
            )
        self.assertIn('type="text"', html)
        self.assertIn('inputmode="decimal"', html)
        # Spanish groups thousands with a non-breaking space; it reads back the same.
        self.assertIn('value="92\xa0500\xa0000,00"', html)
        self.assertIn("Se guardará como 92\xa0500\xa0000,00 (92,5 millones)", html)
        self.assertNotIn('type="number"', html)


class AmountPreviewViewTests(TestCase):
    def test_staff_get_the_reading_of_the_same_rule_and_others_a_login(self):
        url = reverse("amount-preview")
        self.assertEqual(self.client.get(url, {"value": "92,5"}).status_code, 302)
        self.client.force_login(make_user())
        answer = self.client.get(
            url, {"value": "92,5"}, headers={"accept-language": "es"}
        ).json()
        self.assertEqual(answer, {"text": "Se guardará como 92,50", "error": False})
        answer = self.client.get(url, {"value": "92,500"}).json()
        self.assertTrue(answer["error"])
        self.assertIn("92500 or as 92.5", answer["text"])
