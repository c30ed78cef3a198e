"""`make serve`'s gunicorn (grants/project/gunicorn.conf.py) trusts no forwarded header
unless DJANGO_SECURE_PROXY_SSL_HEADER names one, and then only that one (issue 13,
finding 8). Real servers: what counts is what gunicorn hands to Django."""

import os
import runpy
import secrets
from unittest import mock

from django.test import SimpleTestCase

from tests.servers import ROOT, GunicornServer

CLAIMS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Ssl": "on",
    "X-Forwarded-Protocol": "ssl",
}


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="1",
        **extra,
    )
    return env


class GunicornProxyHeaderTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain = GunicornServer(production_env())
        cls.proxied = GunicornServer(
            production_env(DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
        )
        for server in (cls.plain, cls.proxied):
            cls.addClassCleanup(server.stop)
            server.wait_until_up()

    def test_without_the_setting_no_header_claims_https(self):
        for header, value in CLAIMS.items():
            with self.subTest(header=header):
                status, headers, _body = self.plain.get("/robots.txt", {header: value})
                self.assertEqual(status, 301)
                self.assertTrue(headers["Location"].startswith("https://"))
                self.assertNotIn("Strict-Transport-Security", headers)

    def test_with_the_setting_only_that_header_claims_https(self):
        status, headers, _body = self.proxied.get(
            "/robots.txt", {"X-Forwarded-Proto": "https"}
        )
        self.assertEqual(status, 200)
        self.assertIn("Strict-Transport-Security", headers)
        for header in ("X-Forwarded-Ssl", "X-Forwarded-Protocol"):
            with self.subTest(header=header):
                status, _headers, _body = self.proxied.get(
                    "/robots.txt", {header: CLAIMS[header]}
                )
                self.assertEqual(status, 301)


class GunicornConfigTests(SimpleTestCase):
    def config(self, **env):
        with mock.patch.dict("os.environ", env, clear=False):
            for name in ("DJANGO_SECURE_PROXY_SSL_HEADER", "FORWARDED_ALLOW_IPS"):
                if name not in env:
                    os.environ.pop(name, None)
            return runpy.run_path(str(ROOT / "grants" / "project" / "gunicorn.conf.py"))

    def test_gunicorn_trusts_no_proxy_by_default(self):
        config = self.config()
        self.assertEqual(config["secure_scheme_headers"], {})
        self.assertEqual(config["forwarded_allow_ips"], "")

    def test_gunicorn_follows_the_django_setting(self):
        config = self.config(
            DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
            FORWARDED_ALLOW_IPS="10.0.0.2",
        )
        self.assertEqual(
            config["secure_scheme_headers"], {"X-FORWARDED-PROTO": "https"}
        )
        self.assertEqual(config["forwarded_allow_ips"], "10.0.0.2")
