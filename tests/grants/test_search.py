from django.test import SimpleTestCase

from grants.search import MAX_SEARCH_WORDS, fold, search_q


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
