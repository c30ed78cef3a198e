"""An official types an amount with a decimal comma in the Spanish admin, in a real
browser: the field shows what will be stored as they type, and 92,5 is stored as
92.50 (a number input used to drop the comma and store 925)."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from grants.models import Amendment
from tests.e2e.test_browser import BrowserTestCase
from tests.factories import make_agreement, make_amendment

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine
    expect = None


class SpanishAmountInABrowserTests(BrowserTestCase):
    def test_a_decimal_comma_is_shown_as_typed_and_stored_as_meant(self):
        get_user_model().objects.create_superuser("oficial", password="clave-larga-1")
        agreement = make_agreement(publication="draft")
        amendment = make_amendment(
            agreement=agreement, amount=Decimal("100.00"), publication="draft"
        )
        context = self.browser.new_context(
            locale="es-PE", extra_http_headers={"Accept-Language": "es"}
        )
        self.addCleanup(context.close)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{self.live_server_url}/admin/login/?next=/admin/")
        page.fill("#id_username", "oficial")
        page.fill("#id_password", "clave-larga-1")
        page.click("input[type=submit]")
        page.goto(
            f"{self.live_server_url}/admin/grants/amendment/{amendment.pk}/change/"
        )
        amount = page.locator("#id_amount")
        expect(amount).to_have_attribute("inputmode", "decimal")
        amount.fill("")
        amount.press_sequentially("92,5")
        expect(amount).to_have_value("92,5")
        expect(page.locator("#id_amount_preview")).to_have_text(
            "Se guardará como 92,50"
        )
        amount.fill("92.500")
        expect(page.locator("#id_amount_preview")).to_contain_text(
            "puede leerse como 92500 o como 92,5"
        )
        amount.fill("92.500.000,00")
        expect(page.locator("#id_amount_preview")).to_have_text(
            "Se guardará como 92\u00a0500\u00a0000,00 (92,5 millones)"
        )
        amount.fill("92,5")
        page.click("input[name=_save]")
        expect(page.locator(".messagelist")).to_be_visible()
        amendment.refresh_from_db()
        self.assertEqual(amendment.amount, Decimal("92.50"))
        self.assertEqual(
            Amendment.objects.get(pk=amendment.pk).running_total, Decimal("92.50")
        )
