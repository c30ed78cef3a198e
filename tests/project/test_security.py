"""Security settings and middleware, in the manner of Django's own security tests."""

import json
import os
import re
import runpy
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

from axes.models import AccessAttempt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError, connection, transaction
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

BASE_DIR = Path(settings.BASE_DIR)

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "grants.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://grants.example.org",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
}


def production_env(**env) -> dict:
    """This process's environment with production-like settings, and `env`."""
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST"))
    }
    child_env.update(PRODUCTION_ENV)
    child_env.update(env)
    return child_env


def run_with_env(args, **env):
    """Run a Python command in a fresh process with production-like settings."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_under(names, **env):
    """Values of the named settings when grants/project/settings.py runs with `env`: the
    module is run afresh in this process (no subprocess to start), its values
    compared as JSON, as another process would print them."""
    with mock.patch.dict(os.environ, production_env(**env), clear=True):
        namespace = runpy.run_path(str(BASE_DIR / "grants" / "project" / "settings.py"))
    return json.loads(json.dumps({n: namespace.get(n) for n in names}, default=str))


class DeployCheckTests(TestCase):
    def test_deploy_check_is_clean_with_production_settings(self):
        result = run_with_env(
            ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_deploy_check_fails_without_hsts(self):
        result = run_with_env(
            ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            DJANGO_HSTS_SECONDS="0",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W004", result.stderr)

    def test_weak_secret_key_refused_at_start_up(self):
        with self.assertRaisesMessage(
            ImproperlyConfigured, "DJANGO_SECRET_KEY is too weak"
        ):
            settings_under([], DJANGO_SECRET_KEY="change-me-change-me")

    # A missing key: test_makemigrations_needs_no_key_and_nothing_else_does.

    def test_an_empty_database_url_means_sqlite_in_the_checkout(self):
        databases = settings_under(["DATABASES"], DATABASE_URL=" ")["DATABASES"]
        self.assertEqual(databases["default"]["ENGINE"], "django.db.backends.sqlite3")
        self.assertTrue(str(databases["default"]["NAME"]).endswith("db.sqlite3"))

    def test_makemigrations_needs_no_key_and_nothing_else_does(self):
        checked = run_with_env(
            ["manage.py", "makemigrations", "--check", "--dry-run"],
            DJANGO_SECRET_KEY="",
            DJANGO_DEBUG="",
        )
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("No changes detected", checked.stdout)
        for command in (["check"], ["migrate", "--plan"], ["runserver", "--noreload"]):
            with self.subTest(command=command):
                refused = run_with_env(["manage.py", *command], DJANGO_SECRET_KEY="")
                self.assertNotEqual(refused.returncode, 0)
                self.assertIn("Set DJANGO_SECRET_KEY", refused.stderr)

    def test_production_defaults_are_the_secure_ones(self):
        values = settings_under(
            [
                "DEBUG",
                "SECURE_SSL_REDIRECT",
                "SECURE_HSTS_SECONDS",
                "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                "SESSION_COOKIE_SECURE",
                "CSRF_COOKIE_SECURE",
                "SECURE_PROXY_SSL_HEADER",
                "ALLOWED_HOSTS",
                "CSRF_TRUSTED_ORIGINS",
            ]
        )
        self.assertEqual(
            values,
            {
                "DEBUG": False,
                "SECURE_SSL_REDIRECT": True,
                "SECURE_HSTS_SECONDS": 31_536_000,
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
                "SESSION_COOKIE_SECURE": True,
                "CSRF_COOKIE_SECURE": True,
                "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
                "ALLOWED_HOSTS": ["grants.example.org"],
                "CSRF_TRUSTED_ORIGINS": ["https://grants.example.org"],
            },
        )

    def test_statement_timeout_for_the_web_app_only(self):
        url = "postgres://app@db.example.org:5432/grants"
        command = settings_under(["DATABASES"], DATABASE_URL=url)
        # JIT is off for every connection of the app (grants/project/settings.py).
        self.assertEqual(
            command["DATABASES"]["default"]["OPTIONS"]["options"], "-c jit=off"
        )
        self.assertEqual(
            command["DATABASES"]["default"]["OPTIONS"]["connect_timeout"], 5
        )
        # grants/project/wsgi.py sets the web app's default before the settings load.
        result = run_with_env(
            [
                "-c",
                "import json, grants.project.wsgi; from django.conf import settings;"
                "print(json.dumps(settings.DATABASES['default']['OPTIONS']))",
            ],
            DATABASE_URL=url,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        web = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(web["options"], "-c jit=off -c statement_timeout=10000")
        tuned = settings_under(
            ["DATABASES"], DATABASE_URL=url, DJANGO_DB_STATEMENT_TIMEOUT_MS="2500"
        )
        self.assertEqual(
            tuned["DATABASES"]["default"]["OPTIONS"]["options"],
            "-c jit=off -c statement_timeout=2500",
        )
        with_jit = settings_under(["DATABASES"], DATABASE_URL=url, DJANGO_DB_JIT="1")
        self.assertNotIn("options", with_jit["DATABASES"]["default"]["OPTIONS"])


class SecurityHeadersTests(TestCase):
    def get(self, url="/", **kwargs):
        return self.client.get(url, secure=True, **kwargs)

    def test_content_security_policy(self):
        policy = self.get().headers["Content-Security-Policy"]
        directives = dict(
            part.strip().split(" ", 1) for part in policy.split(";") if part.strip()
        )
        self.assertEqual(directives["default-src"], "'self'")
        self.assertEqual(directives["script-src"], "'self'")
        self.assertEqual(directives["style-src"], "'self'")
        self.assertEqual(directives["object-src"], "'none'")
        self.assertEqual(directives["base-uri"], "'none'")
        self.assertEqual(directives["frame-ancestors"], "'none'")
        self.assertEqual(directives["form-action"], "'self'")
        self.assertNotIn("unsafe-inline", policy)
        self.assertNotIn("unsafe-eval", policy)

    def test_strict_transport_security(self):
        self.assertEqual(
            self.get().headers["Strict-Transport-Security"],
            "max-age=31536000; includeSubDomains",
        )

    def test_no_strict_transport_security_over_plain_http(self):
        # Browsers ignore HSTS over HTTP; Django only sends it over HTTPS.
        self.assertNotIn("Strict-Transport-Security", self.client.get("/").headers)

    def test_content_type_nosniff(self):
        self.assertEqual(self.get().headers["X-Content-Type-Options"], "nosniff")

    def test_referrer_policy(self):
        self.assertEqual(self.get().headers["Referrer-Policy"], "same-origin")

    def test_frame_options_deny(self):
        self.assertEqual(self.get().headers["X-Frame-Options"], "DENY")

    def test_cross_origin_opener_policy(self):
        self.assertEqual(
            self.get().headers["Cross-Origin-Opener-Policy"], "same-origin"
        )

    def test_permissions_policy_switches_off_unused_features(self):
        policy = self.get().headers["Permissions-Policy"]
        for feature in ("camera", "geolocation", "microphone", "payment", "usb"):
            self.assertIn(f"{feature}=()", policy)

    def test_headers_on_admin_error_and_health_responses(self):
        for url in (reverse("admin:login"), "/no-such-page/", reverse("healthz")):
            with self.subTest(url=url):
                response = self.get(url)
                self.assertIn("Content-Security-Policy", response.headers)
                self.assertIn("Permissions-Policy", response.headers)
                self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_plain_http_redirects_to_https(self):
        response = self.client.get("/")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response.headers["Location"], "https://testserver/")

    @override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    )
    def test_no_redirect_behind_a_tls_proxy(self):
        response = self.client.get("/", headers={"X-Forwarded-Proto": "https"})
        self.assertEqual(response.status_code, 200)

    def test_language_switch_still_works(self):
        client = Client(enforce_csrf_checks=True)
        response = client.get(
            reverse("grants:switch-language", args=["es"]), {"next": "/"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "es")


class TemplatesWithoutInlineCodeTests(TestCase):
    """The CSP refuses inline script and style, so no template may rely on them."""

    INLINE = [
        (
            re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>"),
            "script",
        ),
        (re.compile(r"<style[\s>]"), "<style>"),
        (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
        (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event handler attribute"),
        (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
    ]

    def test_no_inline_script_style_or_handlers_in_templates(self):
        templates = sorted((BASE_DIR / "templates").rglob("*.html"))
        self.assertTrue(templates)
        for path in templates:
            text = path.read_text(encoding="utf-8")
            for pattern, what in self.INLINE:
                with self.subTest(template=str(path.relative_to(BASE_DIR)), what=what):
                    self.assertIsNone(pattern.search(text))


class HealthCheckTests(TestCase):
    def test_healthy_database(self):
        response = self.client.get(reverse("healthz"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok\n")
        self.assertIn("no-store", response.headers["Cache-Control"])

    def test_unreachable_database(self):
        with mock.patch(
            "grants.project.health.connection.cursor",
            side_effect=OperationalError("connection refused"),
        ):
            response = self.client.get(reverse("healthz"))
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.content, b"database unavailable\n")
        self.assertIn("no-store", response.headers["Cache-Control"])

    def test_only_safe_methods(self):
        self.assertEqual(self.client.post(reverse("healthz")).status_code, 405)
        self.assertEqual(self.client.head(reverse("healthz")).status_code, 200)

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_plain_http_probe_is_not_redirected(self):
        self.assertEqual(self.client.get(reverse("healthz")).status_code, 200)


class DatabaseUnavailableTests(TestCase):
    def setUp(self):
        self.client.raise_request_exception = False

    def test_lost_connection_answers_503_page(self):
        for error in (
            OperationalError("server closed the connection unexpectedly"),
            InterfaceError("connection already closed"),
        ):
            with self.subTest(error=type(error).__name__):
                with (
                    mock.patch("grants.views.render", side_effect=error),
                    self.assertLogs("grants.project.middleware", "ERROR"),
                ):
                    response = self.client.get("/")
                self.assertEqual(response.status_code, 503)
                self.assertEqual(response.headers["Retry-After"], "30")
                self.assertIn("no-store", response.headers["Cache-Control"])
                self.assertContains(
                    response, "Temporarily unavailable", status_code=503
                )
                self.assertIn("Content-Security-Policy", response.headers)

    def test_lost_connection_outside_a_view_answers_503_page(self):
        with (
            mock.patch(
                "django.contrib.sessions.middleware.SessionMiddleware.process_request",
                side_effect=OperationalError("the database system is starting up"),
            ),
            self.assertLogs("grants.project.middleware", "ERROR"),
        ):
            response = self.client.get("/")
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, "Temporarily unavailable", status_code=503)

    def test_other_errors_stay_server_errors(self):
        with (
            mock.patch("grants.views.render", side_effect=RuntimeError("bug")),
            self.assertLogs("django.request", "ERROR"),
        ):
            response = self.client.get("/")
        self.assertEqual(response.status_code, 500)

    def test_cancelled_query_answers_503(self):
        if connection.vendor != "postgresql":
            self.skipTest("statement_timeout is a PostgreSQL setting")

        def slow_page(*args, **kwargs):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 20")
                cursor.execute("SELECT pg_sleep(2)")

        with (
            mock.patch("grants.views.render", side_effect=slow_page),
            self.assertLogs("grants.project.middleware", "ERROR") as logs,
        ):
            response = self.client.get("/")
        self.assertEqual(response.status_code, 503)
        self.assertIn("statement timeout", "\n".join(logs.output))


class LoginThrottlingTests(TestCase):
    password = "correct horse battery staple"

    @classmethod
    def setUpTestData(cls):
        cls.official = get_user_model().objects.create_user(
            "official", password=cls.password, is_staff=True
        )

    def login(self, password, username="official", ip="203.0.113.7", **extra):
        return Client(REMOTE_ADDR=ip, **extra).post(
            reverse("admin:login"),
            {"username": username, "password": password, "next": "/admin/"},
        )

    def fail(self, times, **kwargs):
        return [self.login("wrong", **kwargs).status_code for _ in range(times)]

    def test_locked_out_after_the_failure_limit(self):
        limit = settings.AXES_FAILURE_LIMIT
        self.assertEqual(self.fail(limit - 1), [200] * (limit - 1))
        response = self.login("wrong")
        self.assertEqual(response.status_code, 429)
        self.assertContains(
            response, "Too many failed sign-in attempts", status_code=429
        )
        # Even the right password is refused during the cool-off.
        self.assertEqual(self.login(self.password).status_code, 429)

    def test_other_clients_and_accounts_are_not_locked_out(self):
        self.fail(settings.AXES_FAILURE_LIMIT)
        self.assertEqual(self.login(self.password, ip="198.51.100.20").status_code, 302)
        get_user_model().objects.create_user(
            "colleague", password=self.password, is_staff=True
        )
        self.assertEqual(
            self.login(self.password, username="colleague").status_code, 302
        )

    def test_released_after_the_cool_off(self):
        self.fail(settings.AXES_FAILURE_LIMIT)
        self.assertEqual(self.login(self.password).status_code, 429)
        AccessAttempt.objects.update(
            attempt_time=timezone.now()
            - settings.AXES_COOLOFF_TIME
            - timedelta(seconds=1)
        )
        self.assertEqual(self.login(self.password).status_code, 302)

    def test_success_resets_the_failure_count(self):
        limit = settings.AXES_FAILURE_LIMIT
        self.fail(limit - 1)
        self.assertEqual(self.login(self.password).status_code, 302)
        self.assertEqual(self.fail(limit - 1), [200] * (limit - 1))

    def test_overlong_and_nul_usernames_are_refused_cleanly(self):
        for username in ("x" * 100_000, "offi\x00cial"):
            with self.subTest(length=len(username)):
                response = self.login("wrong", username=username)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "errornote")
        # The overlong names are throttled like any other.
        self.assertEqual(
            self.fail(settings.AXES_FAILURE_LIMIT, username="y" * 100_000)[-1], 429
        )

    def test_login_without_a_request_still_works(self):
        # The shell and the test client's login() authenticate without a request.
        self.assertIs(
            self.client.login(username="official", password=self.password), True
        )

    @override_settings(
        AXES_IPWARE_META_PRECEDENCE_ORDER=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
        AXES_IPWARE_PROXY_COUNT=0,
        IPWARE_STRICT=False,
    )
    def test_client_address_from_the_proxy(self):
        """Behind one proxy (DJANGO_TRUSTED_PROXY_COUNT=1): its appended address counts."""
        proxy = "10.0.0.2"
        self.fail(
            settings.AXES_FAILURE_LIMIT,
            ip=proxy,
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        # A forged header is ignored: the proxy appends the real address last.
        forged = {"X-Forwarded-For": "198.51.100.99, 203.0.113.7"}
        self.assertEqual(
            self.login(self.password, ip=proxy, headers=forged).status_code, 429
        )
        # Another visitor behind the same proxy is not locked out.
        other = {"X-Forwarded-For": "198.51.100.20"}
        self.assertEqual(
            self.login(self.password, ip=proxy, headers=other).status_code, 302
        )

    def test_proxy_count_setting(self):
        values = settings_under(
            [
                "AXES_IPWARE_META_PRECEDENCE_ORDER",
                "AXES_IPWARE_PROXY_COUNT",
                "IPWARE_STRICT",
            ],
            DJANGO_TRUSTED_PROXY_COUNT="1",
        )
        self.assertEqual(
            values,
            {
                "AXES_IPWARE_META_PRECEDENCE_ORDER": [
                    "HTTP_X_FORWARDED_FOR",
                    "REMOTE_ADDR",
                ],
                "AXES_IPWARE_PROXY_COUNT": 0,
                "IPWARE_STRICT": False,
            },
        )
        direct = settings_under(["AXES_IPWARE_META_PRECEDENCE_ORDER"])
        self.assertEqual(direct["AXES_IPWARE_META_PRECEDENCE_ORDER"], ["REMOTE_ADDR"])


class StaffSessionTests(TestCase):
    def test_session_lasts_a_working_day(self):
        get_user_model().objects.create_user(
            "official", password="correct horse battery staple", is_staff=True
        )
        response = self.client.post(
            reverse("admin:login"),
            {"username": "official", "password": "correct horse battery staple"},
        )
        self.assertEqual(response.status_code, 302)
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        self.assertEqual(cookie["max-age"], 9 * 60 * 60)
        self.assertTrue(cookie["httponly"])


class RequestSizeTests(TestCase):
    def test_oversized_form_post_is_refused(self):
        self.client.raise_request_exception = False
        with self.assertLogs("django.security.RequestDataTooBig", "ERROR"):
            response = self.client.post(
                reverse("admin:login"),
                {"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
            )
        self.assertEqual(response.status_code, 400)

    def test_form_post_within_the_limit_is_read(self):
        response = self.client.post(
            reverse("admin:login"), {"username": "x" * 100_000, "password": "y"}
        )
        self.assertEqual(response.status_code, 200)
