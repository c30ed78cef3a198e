from io import StringIO
from pathlib import Path

import polib

from django.conf import settings
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"


class SpanishCatalogueTests(TestCase):
    def test_the_spanish_catalogue_is_complete(self):
        catalogue = polib.pofile(str(CATALOGUE / "django.po"))
        self.assertEqual(
            [entry.msgid for entry in catalogue.untranslated_entries()], []
        )
        self.assertEqual([entry.msgid for entry in catalogue.fuzzy_entries()], [])
        self.assertGreater(len(catalogue.translated_entries()), 300)

    def test_the_compiled_catalogue_matches_the_source(self):
        source = {
            (entry.msgid, entry.msgstr)
            for entry in polib.pofile(str(CATALOGUE / "django.po"))
            if not entry.msgid_plural and not entry.obsolete
        }
        compiled = {
            (entry.msgid, entry.msgstr)
            for entry in polib.mofile(str(CATALOGUE / "django.mo"))
            if not entry.msgid_plural and entry.msgid
        }
        self.assertEqual(source - compiled, set(), "run `make messages`")


class SpanishPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=StringIO())

    def get(self, url, language="es", **params):
        return self.client.get(url, params, headers={"accept-language": language})

    def test_the_browser_language_chooses_spanish(self):
        response = self.get(reverse("grants:home"))
        self.assertContains(response, '<html lang="es">')
        self.assertContains(response, "Convenios de cooperación internacional")
        self.assertContains(response, "Totales por moneda")

    def test_numbers_and_money_use_the_comma_in_spanish(self):
        response = self.get(reverse("grants:home"))
        self.assertContains(response, "USD 202,9 millones")
        self.assertContains(response, "202\xa0900\xa0000,00")
        response = self.get(reverse("grants:agreement-detail", args=["527-0427"]))
        self.assertContains(response, "110,4 millones")
        english = self.get(reverse("grants:home"), language="en")
        self.assertContains(english, "USD 202.9 million")

    def test_every_list_and_detail_page_is_in_spanish(self):
        pages = {
            reverse("grants:agreement-list"): "Convenios",
            reverse("grants:amendment-list"): "Total acumulado",
            reverse("grants:programarea-list"): "Áreas programáticas",
            reverse("indicators:indicator-list"): "Cómo se combinan los periodos",
            reverse("indicators:result-list"): "Logrado",
            reverse("grants:reports"): "Una fila por convenio: partes, fechas",
            reverse("grants:agreement-detail", args=["527-0427"]): "Total a la fecha",
            reverse("grants:programarea-detail", args=["natural-resources"]): (
                "Convenios que financian esta área"
            ),
            reverse("indicators:indicator-detail", args=["ghg-emissions-reduced"]): (
                "toneladas de CO2 equivalente"
            ),
        }
        for url, text in pages.items():
            with self.subTest(url=url):
                response = self.get(url)
                self.assertContains(response, text)
                self.assertContains(response, 'hreflang="en">English</a>')

    def test_choices_and_filter_errors_are_translated(self):
        response = self.get(reverse("grants:agreement-list"), amount_min="abc")
        self.assertContains(response, "Convenio de donación")
        self.assertContains(response, "Introduzca un número")
        self.assertContains(response, "Algunos filtros no se entendieron")

    def test_the_country_filter_names_and_sorts_countries_in_the_language(self):
        def countries(language):
            html = self.get(reverse("grants:agreement-list"), language).content
            select = html.decode().split('name="country"')[1].split("</select>")[0]
            return [
                line.split(">")[1].split("<")[0]
                for line in select.split("<option ")[2:]
            ]

        for language, germany, before in (
            ("en", "Germany", "Georgia"),
            ("es", "Alemania", "Albania"),
            ("en", "Germany", "Georgia"),
        ):
            with self.subTest(language=language):
                names = countries(language)
                self.assertEqual(len(names), 249)
                self.assertEqual(names[names.index(germany) - 1], before)

    def test_the_language_switch_is_on_every_page_and_remembers_the_choice(self):
        response = self.client.get(
            reverse("grants:switch-language", args=["es"]),
            {"next": reverse("grants:agreement-list")},
        )
        self.assertRedirects(
            response, reverse("grants:agreement-list"), fetch_redirect_response=False
        )
        response = self.client.get(reverse("grants:agreement-list"))
        self.assertContains(response, '<html lang="es">')
        self.assertContains(response, "/language/en/?next=/agreements/")
