"""Every public page on a phone (390 px) and a desktop (1,366 px), in both languages,
in Chromium: no sideways scroll of the page, chart text that can be read, the
figures in view, and no serious or critical finding of axe-core.

One browser for the class and one test walking every page, so `make test` stays fast.
Screenshots of every page go to test-artifacts/screenshots/ (git-ignored; CI keeps
them as artifacts): `<language>-<width>-<page>.png`.
"""

import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.public_pages import NON_PAGE_PUBLIC_URLS, public_urls

from .test_browser import BrowserTestCase, expect

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
AXE = Path(settings.BASE_DIR) / ".venv" / "node" / "node_modules" / "axe-core"
WIDTHS = (390, 1366)
LANGUAGES = ("en-US", "es-ES")
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


class PublicPagesAtEveryWidthTests(BrowserTestCase):
    def setUp(self):
        call_command("load_seed", stdout=StringIO())
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

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

    def test_every_page_fits_reads_and_passes_axe_in_both_languages(self):
        self.assertTrue(
            (AXE / "axe.min.js").exists(),
            f"axe-core is missing at {AXE}: `make install-test` installs it",
        )
        pages = html_pages()
        self.assertGreaterEqual(len(pages), 10)
        problems = []
        for locale in LANGUAGES:
            for width in WIDTHS:
                page = self.new_page(width, locale, axe=True)
                for url in pages:
                    response = page.goto(self.live_server_url + url)
                    if not response.headers["content-type"].startswith("text/html"):
                        continue  # robots.txt and the like
                    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
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
                    if width == 390:
                        small = [
                            size
                            for size in page.evaluate(CHART_TEXT_SIZES)
                            if size < MIN_CHART_TEXT_PX
                        ]
                        if small:
                            problems.append(
                                f"{where}: chart text at {min(small):.1f} px"
                            )
                    problems += [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN)]
        self.assertEqual(problems, [])

    def test_a_phone_sees_the_figures_first_and_folds_the_filters(self):
        page = self.new_page(390, "es-ES")
        page.goto(f"{self.live_server_url}/results/?location=&indicator=&q=forest")
        summary = page.get_by_test_id("filters-summary")
        expect(summary).to_have_text("Filtros (1 activo)")
        search = page.get_by_label("Buscar")
        expect(search).to_be_hidden()
        # The first row's figure is on the first screen, within its width.
        actual = page.locator('td[data-label="Logrado"]').first
        expect(actual).to_be_in_viewport()
        box = actual.bounding_box()
        self.assertLessEqual(box["x"] + box["width"], 390)
        summary.click()
        expect(search).to_be_visible()

        page.goto(f"{self.live_server_url}/agreements/527-0427/")
        for label in ("Monto", "Total acumulado", "Conciliación"):
            cell = page.locator(f'#amendments td[data-label="{label}"]').first
            cell.scroll_into_view_if_needed()
            box = cell.bounding_box()
            self.assertLessEqual(box["x"] + box["width"], 390, label)
            expect(cell).to_be_visible()

    def test_a_desktop_shows_every_column_and_the_filters_open(self):
        page = self.new_page(1366, "es-ES")
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
            self.assertLessEqual(box["x"] + box["width"], 1366, path)
        # Codes never wrap ("527-/0427").
        page.goto(f"{self.live_server_url}/agreements/")
        code = page.locator("td.code a").first
        self.assertLess(code.bounding_box()["height"], 30)  # one line
