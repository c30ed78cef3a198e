"""Every public page on a phone (390 px) and a desktop (1,366 px), in both languages,
in Chromium: no sideways scroll of the page, chart text that can be read, the
figures in view, and no serious or critical finding of axe-core.

A class per language and width, each one browser walking every page, so the test
workers share them out. With E2E_SCREENSHOTS=1 (as `.ci/run` sets it) every page is
also saved to test-artifacts/screenshots/ (git-ignored; CI keeps them as artifacts):
`<language>-<width>-<page>.png`. A screenshot asserts nothing, so `make test` takes
none by default: they are a third of the walk's time.
"""

import os
import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.public_pages import NON_PAGE_PUBLIC_URLS, public_urls

from .test_browser import BrowserTestCase, expect

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "") not in ("", "0")
AXE = Path(settings.BASE_DIR) / ".venv" / "node" / "node_modules" / "axe-core"
PHONE, DESKTOP = 390, 1366
MIN_CHART_TEXT_PX = 12

CHART_TEXT_SIZES = """() => [...document.querySelectorAll("svg.chart-svg")].flatMap(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll("text")].map(
    text => parseFloat(getComputedStyle(text).fontSize) * scale);
})"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.nodes.length} × ${v.help}: ` +
              v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def html_pages():
    """Every public HTML page (the IATI XML and downloads are not pages), and both
    agreements of the seed: the framework too."""
    skip = set(NON_PAGE_PUBLIC_URLS)
    urls = {
        url
        for name, url in public_urls().items()
        if name not in skip and not name.startswith("iati:")
    }
    urls |= {
        reverse("grants:agreement-detail", kwargs={"code": code})
        for code in ("527-0427", "PE-US-1951")
    }
    return sorted(urls)


class PagesInABrowser(BrowserTestCase):
    def setUp(self):
        call_command("load_seed", stdout=StringIO())

    def new_page(self, width, locale, *, axe=False):
        context = self.browser.new_context(
            viewport={"width": width, "height": 900}, locale=locale
        )
        self.addCleanup(context.close)
        if axe:
            # An init script, as a browser extension would add it: the page's own
            # Content-Security-Policy (no inline script) stays as served.
            context.add_init_script(path=str(AXE / "axe.min.js"))
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page


class EveryPageChecks:
    """Every page at one width in one language (each class below)."""

    width = None
    locale = None

    def test_every_page_fits_reads_and_passes_axe(self):
        self.assertTrue(
            (AXE / "axe.min.js").exists(),
            f"axe-core is missing at {AXE}: `make install-test` installs it",
        )
        pages = html_pages()
        self.assertGreaterEqual(len(pages), 10)
        if TAKE_SCREENSHOTS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width, locale = self.width, self.locale
        problems = []
        page = self.new_page(width, locale, axe=True)
        for url in pages:
            response = page.goto(self.live_server_url + url)
            if not response.headers["content-type"].startswith("text/html"):
                continue  # robots.txt and the like
            expect(page.locator("html")).to_have_attribute("lang", locale[:2])
            if TAKE_SCREENSHOTS:
                name = re.sub(r"\W+", "-", url).strip("-") or "overview"
                page.screenshot(
                    path=SCREENSHOTS / f"{locale[:2]}-{width}-{name}.png",
                    full_page=True,
                )
            where = f"{url} at {width} px in {locale}"
            scroll, client = page.evaluate(
                "() => [document.documentElement.scrollWidth,"
                " document.documentElement.clientWidth]"
            )
            if scroll > client:
                problems.append(
                    f"{where}: the page scrolls sideways "
                    f"(scrollWidth {scroll} > clientWidth {client})"
                )
            if width == PHONE:
                small = [
                    size
                    for size in page.evaluate(CHART_TEXT_SIZES)
                    if size < MIN_CHART_TEXT_PX
                ]
                if small:
                    problems.append(f"{where}: chart text at {min(small):.1f} px")
            problems += [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN)]
        self.assertEqual(problems, [])


class EnglishOnAPhoneTests(EveryPageChecks, PagesInABrowser):
    width, locale = PHONE, "en-US"


class EnglishOnADesktopTests(EveryPageChecks, PagesInABrowser):
    width, locale = DESKTOP, "en-US"


class SpanishOnAPhoneTests(EveryPageChecks, PagesInABrowser):
    width, locale = PHONE, "es-ES"


class SpanishOnADesktopTests(EveryPageChecks, PagesInABrowser):
    width, locale = DESKTOP, "es-ES"


class PhoneAndDesktopLayoutTests(PagesInABrowser):
    def test_a_phone_sees_the_figures_first_and_folds_the_filters(self):
        page = self.new_page(PHONE, "es-ES")
        page.goto(f"{self.live_server_url}/results/?location=&indicator=&q=forest")
        summary = page.get_by_test_id("filters-summary")
        expect(summary).to_have_text("Filtros (1 activo)")
        search = page.get_by_label("Buscar")
        expect(search).to_be_hidden()
        # The first row's figure is on the first screen, within its width.
        actual = page.locator('td[data-label="Logrado"]').first
        expect(actual).to_be_in_viewport()
        box = actual.bounding_box()
        self.assertLessEqual(box["x"] + box["width"], PHONE)
        summary.click()
        expect(search).to_be_visible()

        page.goto(f"{self.live_server_url}/agreements/527-0427/")
        for label in ("Monto", "Total acumulado", "Conciliación"):
            cell = page.locator(f'#amendments td[data-label="{label}"]').first
            cell.scroll_into_view_if_needed()
            box = cell.bounding_box()
            self.assertLessEqual(box["x"] + box["width"], PHONE, label)
            expect(cell).to_be_visible()

    def test_a_desktop_shows_every_column_and_the_filters_open(self):
        page = self.new_page(DESKTOP, "es-ES")
        page.goto(f"{self.live_server_url}/results/")
        expect(page.get_by_label("Buscar")).to_be_visible()
        for path, last_header in [
            ("/results/", "Unidad"),
            ("/amendments/", "Conciliación"),
        ]:
            page.goto(self.live_server_url + path)
            header = page.locator("table.data thead th").last
            expect(header).to_have_text(re.compile(last_header))
            box = header.bounding_box()
            self.assertLessEqual(box["x"] + box["width"], DESKTOP, path)
        # Codes never wrap ("527-/0427").
        page.goto(f"{self.live_server_url}/agreements/")
        code = page.locator("td.code a").first
        self.assertLess(code.bounding_box()["height"], 30)  # one line
