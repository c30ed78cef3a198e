"""The admin and the public pages work in a real browser under the strict CSP."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from grants.api.core import get_endpoints
from grants.models import Agreement
from tests.e2e.test_browser import BrowserTestCase

PASSWORD = "correct horse battery staple"


class ContentSecurityPolicyInBrowserTests(BrowserTestCase):
    def setUp(self):
        call_command("load_seed", verbosity=0)
        get_user_model().objects.create_superuser("reviewer", password=PASSWORD)
        self.page = self.browser.new_page()
        # Injected by the browser itself, so the page's CSP does not apply to it.
        self.page.add_init_script(
            "document.addEventListener('securitypolicyviolation', (event) =>"
            " console.error(`CSP violation: ${event.violatedDirective}`));"
        )
        self.problems = []
        self.page.on("console", self.console_error)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("response", self.failed_response)

    def console_error(self, message):
        # Failed requests are reported by failed_response, with their address.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(message.text)

    def failed_response(self, response):
        # The site has no favicon; any other failed request counts.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.problems.append(f"{response.status} {response.url}")

    def tearDown(self):
        self.page.close()

    def visit(self, path):
        response = self.page.goto(self.live_server_url + path)
        self.assertEqual(response.status, 200, path)
        self.assertIn("script-src 'self'", response.headers["content-security-policy"])

    def test_admin_login_and_change_forms(self):
        self.visit("/admin/login/")
        self.page.fill("#id_username", "reviewer")
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]")
        self.page.wait_for_url(self.live_server_url + "/admin/")
        agreement = Agreement.objects.get(code="527-0427")
        self.visit(f"/admin/grants/agreement/{agreement.pk}/change/")
        # inlines.js ran: it adds the "Add another" links to the inline tables.
        self.assertGreater(self.page.locator(".add-row a").count(), 0)
        # The autocomplete widget (select2) ran.
        self.assertGreater(self.page.locator(".select2-container").count(), 0)
        self.visit("/admin/grants/amendment/add/")
        self.visit("/admin/indicators/result/")
        self.assertEqual(self.problems, [])

    def test_public_pages_and_language_switch(self):
        self.visit("/")
        self.visit("/agreements/527-0427/")
        self.page.click(".language a[hreflang=es]")
        self.page.wait_for_load_state()
        self.assertEqual(self.page.locator("html").get_attribute("lang"), "es")
        self.assertEqual(self.problems, [])

    def test_api_documentation_runs_swagger_ui_from_static_files(self):
        """/api/: Swagger UI (drf-spectacular-sidecar's files) started by a static
        script, reading the schema, and a request sent from it: no inline script or
        style is needed, so the policy stays as it is."""
        self.visit("/api/")
        self.page.wait_for_selector("#swagger-ui .opblock")
        operations = self.page.locator("#swagger-ui .opblock").count()
        self.assertEqual(operations, 2 * len(get_endpoints()))
        self.page.click("#swagger-ui .opblock-summary >> nth=0")
        self.page.click("text=Try it out")
        self.page.click("text=Execute")
        self.page.wait_for_selector(".live-responses-table .response-col_status")
        self.assertIn(
            "200",
            self.page.locator(
                ".live-responses-table .response-col_status"
            ).all_inner_texts(),
        )
        self.assertEqual(self.problems, [])

    def test_injected_markup_cannot_run_script(self):
        """The policy itself: markup slipped into a page runs no inline handler."""
        self.visit("/")
        with self.page.expect_console_message(lambda m: "CSP violation" in m.text):
            self.page.evaluate(
                'document.body.insertAdjacentHTML("beforeend",'
                ' `<img src=x onerror="document.title = 1">`)'
            )
        self.assertNotEqual(self.page.title(), "1")
        self.assertTrue(
            any("CSP violation: script-src" in p for p in self.problems), self.problems
        )
