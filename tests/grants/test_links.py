"""grants.links.remembered_reverse: Django's reverse(), remembered per URLconf, script
prefix, language and arguments."""

from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from grants.links import remembered_reverse
from tests.factories import make_agreement, make_indicator, make_program_area


class RememberedReverseTests(SimpleTestCase):
    def test_the_same_answer_as_reverse(self):
        codes = {
            "grants:agreement-detail": ["527-0427", "x y", "ÑANDÚ-1"],
            "grants:programarea-detail": ["natural-resources"],
            "indicators:indicator-detail": ["rural-families-improved"],
        }
        for viewname, values in codes.items():
            for code in values:
                with self.subTest(viewname=viewname, code=code):
                    for _ in range(2):  # computed, then remembered
                        self.assertEqual(
                            remembered_reverse(viewname, code=code),
                            reverse(viewname, kwargs={"code": code}),
                        )

    def test_a_script_prefix_is_part_of_the_key(self):
        plain = remembered_reverse("grants:agreement-detail", code="527-0427")
        set_script_prefix("/tracker/")
        try:
            self.assertEqual(
                remembered_reverse("grants:agreement-detail", code="527-0427"),
                "/tracker" + plain,
            )
        finally:
            clear_script_prefix()
        self.assertEqual(
            remembered_reverse("grants:agreement-detail", code="527-0427"), plain
        )

    def test_another_urlconf_is_not_answered_from_memory(self):
        before = remembered_reverse("grants:agreement-detail", code="527-0427")
        with override_settings(ROOT_URLCONF="tests.grants.urls_elsewhere"):
            self.assertEqual(
                remembered_reverse("grants:agreement-detail", code="527-0427"),
                "/elsewhere" + before,
            )
        self.assertEqual(
            remembered_reverse("grants:agreement-detail", code="527-0427"), before
        )


class DetailLinksTests(TestCase):
    def test_the_models_links_are_remembered_reverses(self):
        agreement = make_agreement(code="527-0427")
        area = make_program_area(code="natural-resources")
        indicator = make_indicator(code="rural-families-improved")
        self.assertEqual(agreement.get_absolute_url(), "/agreements/527-0427/")
        self.assertEqual(area.get_absolute_url(), "/program-areas/natural-resources/")
        self.assertEqual(
            indicator.get_absolute_url(), "/indicators/rural-families-improved/"
        )
        with override_settings(ROOT_URLCONF="tests.grants.urls_elsewhere"):
            self.assertEqual(
                agreement.get_absolute_url(), "/elsewhere/agreements/527-0427/"
            )
