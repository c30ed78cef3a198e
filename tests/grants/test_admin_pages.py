"""The admin pages that are not about one model (grants/admin_pages.py): each asks for
a staff login, is never cached, and refuses a user without its permission."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, TestCase
from django.urls import NoReverseMatch, reverse

from grants.admin_pages import admin_page
from tests.factories import make_staff_user, make_user

PAGES = ["amount-preview", "jobs:list", "jobs:status", "iati_admin:import"]


class AdminPageTests(TestCase):
    def test_every_page_sends_a_visitor_to_the_admin_login(self):
        login = reverse("admin:login")
        for name in PAGES:
            with self.subTest(page=name):
                response = self.client.get(reverse(name))
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(login))

    def test_a_user_who_is_not_staff_is_sent_to_the_login_too(self):
        self.client.force_login(make_user(is_staff=False))
        response = self.client.get(reverse("jobs:list"))
        self.assertEqual(response.status_code, 302)

    def test_every_page_is_never_cached_for_staff(self):
        self.client.force_login(make_user(role="Administrator"))
        for name in PAGES:
            with self.subTest(page=name):
                response = self.client.get(reverse(name))
                self.assertEqual(response.status_code, 200)
                self.assertIn("no-cache", response["Cache-Control"])

    def test_the_permission_is_checked_after_the_login(self):
        @admin_page(permission="grants.add_agreement")
        def page(request):
            raise AssertionError("reached")

        request = RequestFactory().get("/admin/test/")
        request.user = make_staff_user()
        with self.assertRaises(PermissionDenied):
            page(request)
        request.user = AnonymousUser()
        self.assertEqual(page(request).status_code, 302)


class OneImportConfirmationTests(TestCase):
    """Every import is confirmed through its preview job; django-import-export's own
    confirmation inside the request (`process_import`) is not routed."""

    IMPORTS = ["indicators_result", "grants_amendment", "grants_disbursement"]

    def test_the_in_request_confirmation_is_not_routed(self):
        self.client.force_login(make_user(role="Administrator"))
        for model in self.IMPORTS:
            with self.subTest(model=model):
                import_page = reverse(f"admin:{model}_import")
                self.assertEqual(self.client.get(import_page).status_code, 200)
                with self.assertRaises(NoReverseMatch):
                    reverse(f"admin:{model}_process_import")
                path = import_page.replace("/import/", "/process_import/")
                response = self.client.post(path, {"import_file_name": "x.csv"})
                self.assertNotEqual(response.status_code, 200)
                self.assertNotEqual(response.status_code, 500)
