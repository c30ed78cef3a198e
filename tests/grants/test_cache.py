import contextlib
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.cache import bump_public_version, current_versions, public_version
from grants.models import Amendment, PublicationState, PublicVersion
from tests.factories import make_agreement, make_amendment


@override_settings(PUBLIC_PAGE_CACHE_SECONDS=300)
class PublicPageCacheTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agreement = make_agreement(title="Cached agreement")
        cls.amendment = make_amendment(agreement=cls.agreement, amount=Decimal("10.00"))
        cls.staff = get_user_model().objects.create_user(
            "official", password="x", is_staff=True
        )

    def setUp(self):
        cache.clear()
        self.url = self.agreement.get_absolute_url()

    def test_a_repeated_anonymous_request_is_served_from_the_cache(self):
        first = self.client.get(self.url)
        self.assertEqual(first["X-Public-Cache"], "miss")
        # One query: the public version, read from the database at every request.
        with self.assertNumQueries(1):
            second = self.client.get(self.url)
        self.assertEqual(second["X-Public-Cache"], "hit")
        self.assertEqual(second.content, first.content)

    def test_a_committed_write_invalidates_the_cached_page(self):
        self.client.get(self.url)
        with self.captureOnCommitCallbacks(execute=True):
            make_amendment(
                agreement=self.agreement, amount=Decimal("5.00"), title="New money"
            )
        response = self.client.get(self.url)
        self.assertEqual(response["X-Public-Cache"], "miss")
        self.assertContains(response, "New money")

    def test_a_write_moves_the_version_in_its_own_transaction(self):
        before = public_version()
        with transaction.atomic():
            self.amendment.title = "Renamed"
            self.amendment.save()
            moved = public_version()
        self.assertNotEqual(moved, before)
        self.assertEqual(public_version(), moved)

    def test_a_rolled_back_write_leaves_the_version(self):
        before = public_version()
        with contextlib.suppress(RuntimeError), transaction.atomic():
            self.amendment.title = "Renamed"
            self.amendment.save()
            raise RuntimeError
        self.assertEqual(public_version(), before)

    def test_the_version_is_in_the_database_not_the_cache(self):
        # Finding 1 of issue 13: a per-process cache held its own version. Clearing
        # the cache (another worker's, a restarted Redis) no longer loses a write.
        self.client.get(self.url)
        before = public_version()
        cache.clear()
        self.assertEqual(public_version(), before)
        self.assertEqual(
            current_versions(),
            {row.scope: str(row) for row in PublicVersion.objects.all()},
        )

    def test_unpublishing_removes_the_page_at_once(self):
        self.client.get(self.url)
        with self.captureOnCommitCallbacks(execute=True):
            self.agreement.publication = PublicationState.DRAFT
            self.agreement.save()
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_many_to_many_changes_invalidate(self):
        before = public_version()
        from tests.factories import make_program_area

        area = make_program_area()
        with self.captureOnCommitCallbacks(execute=True):
            self.agreement.program_areas.add(area)
        self.assertNotEqual(public_version(), before)

    def test_staff_requests_neither_read_nor_fill_the_cache(self):
        draft = make_amendment(
            agreement=self.agreement,
            amount=Decimal("1.00"),
            title="Draft money",
            publication=PublicationState.DRAFT,
        )
        self.client.force_login(self.staff)
        staff_response = self.client.get(self.url)
        self.assertNotIn("X-Public-Cache", staff_response)
        self.client.logout()
        anonymous = self.client.get(self.url)
        self.assertEqual(anonymous["X-Public-Cache"], "miss")
        self.assertNotContains(anonymous, draft.title)

    def test_anonymous_page_cached_first_is_not_served_to_staff(self):
        self.client.get(self.url)
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        self.assertNotIn("X-Public-Cache", response)

    def test_languages_are_cached_apart(self):
        english = self.client.get(self.url, headers={"accept-language": "en"})
        spanish = self.client.get(self.url, headers={"accept-language": "es"})
        self.assertEqual(spanish["X-Public-Cache"], "miss")
        self.assertNotEqual(english.content, spanish.content)
        self.assertContains(spanish, 'lang="es"')

    def test_errors_are_not_cached(self):
        missing = reverse("grants:agreement-detail", args=["nothing-here"])
        self.assertEqual(self.client.get(missing).status_code, 404)
        self.assertNotIn("X-Public-Cache", self.client.get(missing))

    def test_bulk_writes_invalidate_through_an_explicit_bump(self):
        self.client.get(self.url)
        Amendment.objects.filter(pk=self.amendment.pk).update(title="Bulk renamed")
        self.assertEqual(self.client.get(self.url)["X-Public-Cache"], "hit")
        bump_public_version()
        self.assertContains(self.client.get(self.url), "Bulk renamed")

    @override_settings(PUBLIC_PAGE_CACHE_SECONDS=0)
    def test_the_cache_can_be_turned_off(self):
        self.client.get(self.url)
        self.assertNotIn("X-Public-Cache", self.client.get(self.url))


class LanguageSwitchTests(TestCase):
    def test_switching_sets_the_cookie_and_returns_to_the_page(self):
        response = self.client.get(
            reverse("grants:switch-language", args=["es"]), {"next": "/agreements/x/"}
        )
        self.assertRedirects(response, "/agreements/x/", fetch_redirect_response=False)
        self.assertEqual(response.cookies["django_language"].value, "es")

    def test_an_outside_next_address_goes_home_instead(self):
        response = self.client.get(
            reverse("grants:switch-language", args=["es"]),
            {"next": "https://evil.example/"},
        )
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_an_unknown_language_is_a_404(self):
        response = self.client.get(reverse("grants:switch-language", args=["xx"]))
        self.assertEqual(response.status_code, 404)

    def test_the_pages_link_to_the_other_language(self):
        response = self.client.get(reverse("grants:home"))
        self.assertContains(response, 'hreflang="es"')
        self.assertNotContains(response, "csrfmiddlewaretoken")


class LanguageSwitchNextTests(TestCase):
    def test_a_next_that_looks_like_a_url_name_goes_there_as_a_path(self):
        # Found by the sweep of the parameters each page reads: redirect() took
        # "abc" for a URL name and answered 500.
        response = self.client.get(
            reverse("grants:switch-language", args=["es"]), {"next": "abc"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "abc")
