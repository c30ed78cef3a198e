"""The record's texts in English and Spanish (grants/languages.py): the visitor's
language on the pages, the other one marked, search in either, CSV columns per
language, the admin's side-by-side form and missing-translation filter."""

import csv
import io
import re
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from grants import languages
from grants.models import (
    Agreement,
    Amendment,
    Organization,
    ProgramArea,
    PublicationState,
    SourceDocument,
)
from grants.reports import get_report
from indicators.models import Indicator, Result
from tests.factories import make_agreement

PUBLISHED = PublicationState.PUBLISHED
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def english_texts_of_the_record():
    """Every English text of the seeded record that has a different Spanish one."""
    texts = set()
    for model in (Agreement, Amendment, Organization, ProgramArea, SourceDocument):
        texts |= record_texts(model.objects.all())
    texts |= record_texts(Indicator.objects.all())
    texts |= record_texts(Result.objects.all())
    return {text for text in texts if len(text) > 3}


def record_texts(queryset):
    found = set()
    for obj in queryset:
        for field in languages.translated_fields(type(obj)):
            english = getattr(obj, languages.column(field, "en")) or ""
            spanish = getattr(obj, languages.column(field, "es")) or ""
            if english and english != spanish:
                found.add(english)
    return found


def text_of(html):
    """The page's text (tags removed, entities of quotes unescaped)."""
    text = re.sub(r"<[^>]+>", " ", html)
    return text.replace("&#x27;", "'").replace("&quot;", '"')


class SeededRecordInSpanishTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=io.StringIO())
        cls.agreement = Agreement.objects.get(code="527-0427")

    def test_the_spanish_page_shows_the_spanish_title_and_no_english_text_of_the_record(
        self,
    ):
        response = self.client.get(self.agreement.get_absolute_url(), **SPANISH)
        html = response.content.decode()
        spanish_title = self.agreement.title_es
        self.assertIn('<html lang="es">', html)
        self.assertIn(f"<h1>527-0427: {spanish_title}</h1>", html)
        self.assertRegex(html, rf"<title>527-0427: {re.escape(spanish_title)}")
        english = english_texts_of_the_record()
        self.assertIn(self.agreement.title_en, english)
        page = text_of(html)
        self.assertEqual(sorted(t for t in english if t in page), [])
        self.assertNotIn("solo en inglés", html)

    def test_the_english_page_shows_the_english_title(self):
        response = self.client.get(self.agreement.get_absolute_url(), **ENGLISH)
        self.assertContains(response, f"<h1>527-0427: {self.agreement.title_en}</h1>")
        self.assertNotContains(response, self.agreement.title_es)

    def test_program_area_and_indicator_pages_are_in_spanish(self):
        area = ProgramArea.objects.get(code="natural-resources")
        response = self.client.get(area.get_absolute_url(), **SPANISH)
        self.assertContains(response, "<h1>Manejo sostenible de los recursos naturales")
        indicator = Indicator.objects.get(code="forest-area-better-managed")
        response = self.client.get(indicator.get_absolute_url(), **SPANISH)
        self.assertContains(response, f"<h1>{indicator.name_es}</h1>")
        self.assertContains(response, "hectáreas")

    def test_search_in_spanish_finds_the_record_by_its_spanish_title(self):
        url = reverse("grants:agreement-list")
        response = self.client.get(url, {"q": "convenio de donacion"}, **SPANISH)
        self.assertContains(response, "527-0427")
        self.assertNotContains(response, "PE-US-1951")

    def test_search_in_english_finds_the_record_by_its_english_title(self):
        url = reverse("grants:agreement-list")
        response = self.client.get(url, {"q": "donation agreement"}, **ENGLISH)
        self.assertContains(response, "527-0427")
        self.assertNotContains(response, "PE-US-1951")

    def test_a_search_matches_either_language_whatever_the_visitors(self):
        url = reverse("grants:agreement-list")
        response = self.client.get(url, {"q": "cooperación técnica"}, **ENGLISH)
        self.assertContains(response, "PE-US-1951")
        url = reverse("indicators:result-list")
        response = self.client.get(url, {"q": "superficie de bosque"}, **ENGLISH)
        self.assertContains(response, "forest-area-better-managed")

    def test_the_agreements_csv_has_a_column_per_language_of_each_text(self):
        response = self.client.get(reverse("grants:report-csv", args=["agreements"]))
        rows = list(csv.DictReader(io.StringIO(b"".join(response).decode("utf-8-sig"))))
        header = list(rows[0])
        for name in ("title", "summary", "donor", "recipient"):
            self.assertEqual(
                [column for column in header if column.startswith(f"{name}_")][:2],
                [f"{name}_en", f"{name}_es"],
            )
        self.assertNotIn("title", header)
        row = {r["code"]: r for r in rows}["527-0427"]
        self.assertEqual(row["title_en"], self.agreement.title_en)
        self.assertEqual(row["title_es"], self.agreement.title_es)
        self.assertEqual(row["recipient_es"], "Gobierno del Perú")

    def test_the_catalogue_describes_each_language_column(self):
        report = get_report("agreements")
        with translation.override("en"):
            described = {c.name: str(c.description) for c in report.columns}
        self.assertTrue(described["title_en"].endswith("In English (the original)."))
        self.assertTrue(described["title_es"].endswith("In Spanish."))
        title_columns = [c for c in report.columns if c.text_of == "title"]
        self.assertEqual([c.language for c in title_columns], ["en", "es"])
        response = self.client.get(reverse("grants:reports"), **SPANISH)
        self.assertContains(response, "<code>title_es</code>")
        self.assertContains(response, "En español.")


class OneLanguageOnlyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.english_only = make_agreement(
            code="EN-1", title="Water for the valley", publication=PUBLISHED
        )
        cls.spanish_only = make_agreement(
            code="ES-1", title="", title_es="Agua para el valle", publication=PUBLISHED
        )

    def test_an_english_only_record_on_a_spanish_page_is_marked_lang_en(self):
        response = self.client.get(self.english_only.get_absolute_url(), **SPANISH)
        self.assertContains(
            response,
            '<h1>EN-1: <span lang="en">Water for the valley</span> '
            '<small class="other-language">(solo en inglés)</small></h1>',
            html=True,
        )
        self.assertContains(response, "<title>EN-1: Water for the valley (solo en")

    def test_a_spanish_only_record_on_an_english_page_is_marked_lang_es(self):
        response = self.client.get(self.spanish_only.get_absolute_url(), **ENGLISH)
        self.assertContains(
            response,
            '<h1>ES-1: <span lang="es">Agua para el valle</span> '
            '<small class="other-language">(Spanish only)</small></h1>',
            html=True,
        )

    def test_the_list_marks_the_text_shown_in_the_other_language(self):
        response = self.client.get(reverse("grants:agreement-list"), **SPANISH)
        self.assertContains(response, '<span lang="en">Water for the valley</span>')
        self.assertContains(response, "Agua para el valle")
        self.assertNotContains(response, '<span lang="es">')

    def test_search_finds_each_by_the_language_it_has(self):
        url = reverse("grants:agreement-list")
        for headers in (SPANISH, ENGLISH):
            response = self.client.get(url, {"q": "agua valle"}, **headers)
            self.assertContains(response, "ES-1")
            self.assertNotContains(response, "EN-1:")
            response = self.client.get(url, {"q": "water"}, **headers)
            self.assertContains(response, "EN-1")

    def test_a_spanish_only_record_keeps_a_text_in_the_original_column(self):
        self.spanish_only.refresh_from_db()
        self.assertEqual(self.spanish_only.title_en, "")
        with translation.override("en"):
            self.assertEqual(self.spanish_only.title, "Agua para el valle")


class AdminLanguagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_superuser(
            "root", "root@example.org", "not-used-here"
        )
        cls.both = make_agreement(
            code="BOTH", title="Both", title_es="Ambos", publication=PUBLISHED
        )
        cls.english_only = make_agreement(
            code="EN-ONLY", title="Only English", publication=PUBLISHED
        )
        cls.spanish_only = make_agreement(
            code="ES-ONLY", title="", title_es="Solo español", publication=PUBLISHED
        )
        cls.summary_untranslated = make_agreement(
            code="SUMMARY",
            title="Summary",
            title_es="Resumen",
            summary="Only the summary is English",
            publication=PUBLISHED,
        )
        cls.draft = make_agreement(
            code="DRAFT", title="Draft in English", publication=PublicationState.DRAFT
        )

    def setUp(self):
        self.client.force_login(self.admin)

    def listed(self, **params):
        response = self.client.get(
            reverse("admin:grants_agreement_changelist"), params, **ENGLISH
        )
        self.assertEqual(response.status_code, 200)
        return sorted(a.code for a in response.context["cl"].result_list)

    def test_the_missing_spanish_filter_lists_exactly_the_untranslated_public_records(
        self,
    ):
        self.assertEqual(self.listed(missing="es"), ["EN-ONLY", "SUMMARY"])

    def test_the_missing_english_filter_lists_exactly_the_untranslated_public_records(
        self,
    ):
        self.assertEqual(self.listed(missing="en"), ["ES-ONLY"])

    def test_the_filter_offers_each_language(self):
        response = self.client.get(
            reverse("admin:grants_agreement_changelist"), **ENGLISH
        )
        self.assertContains(response, "Missing Spanish")
        self.assertContains(response, "Missing English")

    def test_the_admin_search_looks_in_every_language(self):
        self.assertEqual(self.listed(q="ambos"), ["BOTH"])
        self.assertEqual(self.listed(q="solo"), ["ES-ONLY"])

    def test_the_change_form_shows_both_versions_side_by_side_the_original_marked(
        self,
    ):
        response = self.client.get(
            reverse("admin:grants_agreement_change", args=[self.both.pk]), **ENGLISH
        )
        html = response.content.decode()
        self.assertRegex(html, r'class="form-row[^"]*field-title_en field-title_es')
        self.assertIn("Title [en, original]", html)
        self.assertIn("Title [es]", html)
        self.assertIn('value="Ambos"', html)
        self.assertNotIn("//ajax.googleapis.com", html)

    def test_a_record_may_be_entered_in_spanish_only_but_not_in_no_language(self):
        url = reverse("admin:grants_sourcedocument_add")
        response = self.client.post(url, {"title_es": "Fuente en español"})
        self.assertEqual(response.status_code, 302)
        document = SourceDocument.objects.get(title_es="Fuente en español")
        self.assertFalse(document.title_en)
        response = self.client.post(url, {"publisher": "Nadie"})
        self.assertContains(response, "Give the title in at least one language.")


class ChartLabelLanguageTests(TestCase):
    def test_a_label_in_another_language_is_marked_on_a_line_of_its_own(self):
        from django.utils import translation

        from grants.charts import Bar, bar_chart

        label = "Natural resources and the environment in the Amazon basin of Peru"
        with translation.override("es"):
            chart = bar_chart(
                [Bar(label=label, value=Decimal(1), text="USD 1", lang="en")],
                chart_id="c",
                title="t",
                description="d",
            )
        lines = chart["rows"][0]["label_lines"]
        # The label wraps in its own language; the marker, in the visitor's, is
        # the last line (so it wraps too, and never widens a phone's page).
        self.assertEqual(" ".join(line for line, _y, own in lines if own), label)
        self.assertEqual(lines[-1][0], "(solo en inglés)")
        self.assertFalse(lines[-1][2])
        self.assertTrue(all(own for _line, _y, own in lines[:-1]))
