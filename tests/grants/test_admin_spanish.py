"""The admin as an official's workplace, in Spanish: no English left on the index."""

import re
from html.parser import HTMLParser

from django.test import TestCase
from django.urls import reverse

from tests.factories import make_user

# Names that are the same in both languages: products, standards, acronyms.
PROPER_NAMES = {"Axes", "IATI", "CSV", "Django", "XML"}


class TextParser(HTMLParser):
    """The words a person reads: text and the attributes read aloud or shown."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "svg"}:
            self.skip += 1
        for name, value in attrs:
            if name in {"title", "aria-label", "placeholder", "value"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style", "svg"}:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def words(html: str, *, ignore=()) -> set[str]:
    parser = TextParser()
    parser.feed(html)
    text = " ".join(parser.parts)
    for phrase in ignore:
        text = text.replace(phrase, " ")
    return set(re.findall(r"[^\W\d_]{2,}", text))


class SpanishAdminIndexTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = make_user(
            username="ana", is_superuser=True, first_name="Ana", last_name="Quispe"
        )

    def index(self, language):
        self.client.force_login(self.admin)
        self.client.cookies["django_language"] = language
        response = self.client.get(reverse("admin:index"))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_the_spanish_index_has_no_english_word_outside_proper_names(self):
        # A word the English index also shows is English, unless it is a proper name
        # (or the official's own name): every label must have been translated.
        spanish = words(self.index("es"), ignore=["Ana"])
        english = words(self.index("en"), ignore=["Ana"])
        self.assertEqual(sorted((spanish & english) - PROPER_NAMES), [])
        # And the pieces the issue found untranslated are there, in Spanish.
        page = self.index("es")
        self.assertNotIn("Django administration", page)
        self.assertIn("Intentos de acceso", page)  # Axes' models

    def test_the_index_links_the_iati_import_and_the_jobs(self):
        page = self.index("es")
        self.assertIn(reverse("iati_admin:import"), page)
        self.assertIn(reverse("jobs:list"), page)
