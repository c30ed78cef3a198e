from unittest import mock, skipUnless

from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from grants.filters import AgreementFilter
from grants.models import Agreement
from grants.search import MAX_SEARCH_WORDS, fold, search_in, search_q
from tests.factories import make_agreement, make_amendment, make_organization


class FoldTests(SimpleTestCase):
    def test_fold_lowercases_and_strips_accents(self):
        self.assertEqual(fold("Perú"), "peru")
        self.assertEqual(fold("PERÚ ÑANDÚ Ça"), "peru nandu ca")
        self.assertIsNone(fold(None))

    def test_an_empty_search_matches_everything(self):
        self.assertEqual(len(search_q(["code"], "   ")), 0)

    def test_each_word_must_match_and_words_are_capped(self):
        self.assertEqual(len(search_q(["code", "title"], "a b")), 2)
        words = " ".join(f"w{n}" for n in range(50))
        self.assertEqual(len(search_q(["code"], words)), MAX_SEARCH_WORDS)


class SearchInTests(TestCase):
    """`search_in`: the table's own columns and, through a relation, the ids of the
    related rows that match, looked up first."""

    @classmethod
    def setUpTestData(cls):
        cls.usaid = make_organization(name="United States Agency", acronym="USAID")
        cls.minam = make_organization(name="Ministerio del Ambiente", acronym="MINAM")
        cls.forest = make_agreement(
            code="FOR-1", title="Bosques del Perú", donor=cls.usaid
        )
        cls.water = make_agreement(
            code="WAT-1", title="Agua potable", recipient=cls.minam
        )
        cls.both = make_agreement(
            code="MIX-1", title="Agua y bosques", donor=cls.usaid, recipient=cls.minam
        )

    def codes(self, text, fields=AgreementFilter.search_fields):
        found = search_in(Agreement.objects.order_by("code"), fields, text)
        return [agreement.code for agreement in found]

    def test_own_columns_and_related_names_ignore_case_and_accents(self):
        self.assertEqual(self.codes("PERU"), ["FOR-1"])
        self.assertEqual(self.codes("usaid"), ["FOR-1", "MIX-1"])
        self.assertEqual(self.codes("ministerio"), ["MIX-1", "WAT-1"])

    def test_every_word_must_match_somewhere(self):
        # "agua" in a title, "usaid" in the donor: only the agreement with both.
        self.assertEqual(self.codes("agua usaid"), ["MIX-1"])
        self.assertEqual(self.codes("agua nowhere"), [])

    def test_one_lookup_for_donor_and_recipient_then_the_rows(self):
        with self.assertNumQueries(2):
            self.assertEqual(self.codes("minam bosques"), ["MIX-1"])

    def test_a_word_in_no_field_of_any_kind_costs_no_query_for_the_rows(self):
        with self.assertNumQueries(1):
            self.assertEqual(
                self.codes("zzzz", fields=("donor__name", "recipient__name")), []
            )

    def test_many_related_matches_join_instead_and_find_the_same(self):
        expected = {
            text: self.codes(text) for text in ("usaid", "agua usaid", "ministerio")
        }
        with mock.patch("grants.search.RELATED_IDS_LIMIT", 0):
            for text, codes in expected.items():
                with self.subTest(text=text):
                    self.assertEqual(self.codes(text), codes)

    def test_the_amendment_list_searches_its_agreement(self):
        make_amendment(agreement=self.forest, title="Primera enmienda")
        response = self.client.get(
            reverse("grants:amendment-list"), {"q": "bosques peru"}
        )
        self.assertEqual(response.context["matching_count"], 1)


@skipUnless(connection.vendor == "postgresql", "trigram indexes are PostgreSQL's")
class TrigramIndexTests(TestCase):
    def test_the_fold_function_and_the_indexes_exist(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT grants_fold('PERÚ Ñandú')")
            self.assertEqual(cursor.fetchone()[0], "peru nandu")
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexdef LIKE %s",
                ["%gin_trgm_ops%"],
            )
            names = {row[0] for row in cursor.fetchall()}
        # The texts' indexes are per language (grants 0016, indicators 0008).
        self.assertLessEqual(
            {
                "grants_agreement_code_trgm",
                "grants_agreement_title_en_trgm",
                "grants_agreement_title_es_trgm",
                "grants_amendment_title_en_trgm",
                "grants_amendment_title_es_trgm",
                "indicators_result_location_trgm",
                "indicators_result_disaggregation_en_trgm",
                "indicators_result_disaggregation_es_trgm",
            },
            names,
        )
        self.assertNotIn("grants_agreement_title_trgm", names)
