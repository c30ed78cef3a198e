"""Browser tests: Playwright for Python driving Debian's chromium, headless.

They skip, saying why, when /usr/bin/chromium (or the playwright package) is missing;
`.ci/run` installs chromium first so CI always runs them. Never `playwright install`.
"""

import os
import shutil
import unittest
from io import StringIO

from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.management import call_command
from django.db import connections

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

SKIP_REASON = None
if sync_playwright is None:
    SKIP_REASON = "browser tests skipped: the playwright package is not installed"
elif not shutil.which(CHROMIUM):
    SKIP_REASON = (
        f"browser tests skipped: no chromium at {CHROMIUM} "
        "(apt-get install chromium, or set E2E_CHROMIUM)"
    )

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 375, "height": 740},
}


@unittest.skipIf(SKIP_REASON, SKIP_REASON or "")
class BrowserTestCase(StaticLiveServerTestCase):
    """A live server and one headless chromium for the class."""

    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; Django's database
        # calls from the same thread are still synchronous and safe.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        # While Playwright's loop runs, asgiref keeps this thread's database
        # connections in the loop's context, out of reach of a close_all() after it
        # stops: left open, the PostgreSQL test database could not be dropped.
        connections.close_all()
        cls.playwright.stop()
        super().tearDownClass()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class PublicPagesInABrowserTests(BrowserTestCase):
    def setUp(self):
        call_command("load_seed", stdout=StringIO())

    def open_page(self, viewport, locale="en-US"):
        context = self.browser.new_context(viewport=VIEWPORTS[viewport], locale=locale)
        self.addCleanup(context.close)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    def test_filter_sort_open_and_switch_language(self):
        for viewport in VIEWPORTS:
            with self.subTest(viewport=viewport):
                page = self.open_page(viewport)
                page.goto(f"{self.live_server_url}/agreements/")
                expect(page.get_by_test_id("matching-count")).to_have_text(
                    "2 matching rows"
                )

                if viewport == "phone":  # the filters are folded: open them
                    page.get_by_test_id("filters-summary").click()
                page.get_by_label("Search").fill("PERÚ donation")
                page.get_by_role("button", name="Filter").click()
                expect(page.get_by_test_id("matching-count")).to_have_text(
                    "1 matching row"
                )
                self.assertIn("q=PER", page.url)

                page.get_by_role("link", name="Total", exact=True).click()
                self.assertIn("sort=total", page.url)
                self.assertIn("q=PER", page.url)  # the filter survives the sort
                expect(page.get_by_test_id("matching-count")).to_have_text(
                    "1 matching row"
                )

                page.get_by_role("link", name="527-0427").click()
                expect(page.locator("h1")).to_contain_text("527-0427")
                expect(page.get_by_test_id("agreement-total")).to_have_text(
                    "USD 202.9 million"
                )
                expect(page.locator("svg.chart-svg")).to_be_visible()

                page.get_by_role("navigation", name="Language").get_by_role(
                    "link", name="Español"
                ).click()
                expect(page.locator("html")).to_have_attribute("lang", "es")
                expect(page.get_by_test_id("agreement-total")).to_have_text(
                    "USD 202,9 millones"
                )
                expect(page.locator("h2#total-heading")).to_have_text(
                    "Total a la fecha"
                )

    def test_a_phone_can_reach_every_list_from_the_navigation(self):
        page = self.open_page("phone", locale="es-ES")
        page.goto(self.live_server_url)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        for name, heading in [
            ("Enmiendas", "Enmiendas"),
            ("Indicadores", "Indicadores"),
            ("Resultados", "Resultados"),
        ]:
            page.get_by_role("navigation", name="Principal").get_by_role(
                "link", name=name
            ).click()
            expect(page.locator("h1")).to_have_text(heading)
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, VIEWPORTS["phone"]["width"])
