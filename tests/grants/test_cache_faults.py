"""Degrade, never fail: with the cache (a Redis server of the test's own) stopped or
paused, pages are computed uncached and answer 200, /healthz says `degraded: cache`,
the import still starts (its upload waits in the database), and a write made while the cache was away is
never hidden by a page cached before it (issue 13, finding 2)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import redis

from django.core.cache import caches
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.models import PublicationState
from tests.factories import make_agreement, make_amendment, make_staff_user

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own on a free port, stopped by its PID."""

    def __init__(self):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="grants-test-redis-")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=0.5)
        for _attempt in range(100):  # bounded: about 5 s at most
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def redis_settings(url):
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
            }
        },
        PUBLIC_PAGE_CACHE_SECONDS=300,
        PUBLIC_VALUE_CACHE_SECONDS=300,
        # Every request tries the cache again, so the tests see each fault at once.
        PUBLIC_CACHE_RETRY_SECONDS=0,
    )


@unittest.skipIf(REDIS_SERVER is None, "redis-server is not installed")
class CacheFaultTestCase(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.addClassCleanup(cls.redis.stop)
        cls.enterClassContext(redis_settings(cls.redis.url))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        cls.agreement = make_agreement(code="CACHE-1", title="Cached agreement")
        make_amendment(agreement=cls.agreement)
        cls.staff = make_staff_user(is_superuser=True)

    def setUp(self):
        caches["default"].clear()
        self.url = self.agreement.get_absolute_url()
        self.pages = [
            self.url,
            reverse("grants:home"),
            reverse("grants:agreement-list"),
            reverse("grants:amendment-list"),
            reverse("indicators:result-list"),
        ]

    def assert_every_page_answers(self):
        for url in self.pages:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotEqual(response.get("X-Public-Cache"), "hit")


class StoppedCacheTests(CacheFaultTestCase):
    """These run last in the class order below: the server is stopped for good."""

    def test_with_the_cache_up_pages_are_cached_and_healthz_says_ok(self):
        self.assertEqual(self.client.get(self.url)["X-Public-Cache"], "miss")
        self.assertEqual(self.client.get(self.url)["X-Public-Cache"], "hit")
        response = self.client.get("/healthz")
        self.assertEqual((response.status_code, response.content), (200, b"ok\n"))

    def test_z_stopped_cache_pages_admin_healthz_and_import(self):
        for url in self.pages:
            self.client.get(url)  # warm the cache
        self.redis.stop()
        self.assert_every_page_answers()
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"degraded: cache\n")

        self.client.force_login(self.staff)
        for name in ("grants_agreement", "grants_amendment", "indicators_result"):
            with self.subTest(changelist=name):
                response = self.client.get(reverse(f"admin:{name}_changelist"))
                self.assertEqual(response.status_code, 200)
        # The upload waits in the database, not the cache: the import still starts.
        response = self.client.post(
            reverse("admin:grants_amendment_import"),
            {"import_file": _upload(), "resource": "0"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/jobs/", response["Location"])


class PausedCacheTests(CacheFaultTestCase):
    def test_a_paused_cache_answers_within_the_timeout_and_loses_no_unpublish(self):
        self.assertEqual(self.client.get(self.url)["X-Public-Cache"], "miss")
        self.assertEqual(self.client.get(self.url)["X-Public-Cache"], "hit")
        self.redis.pause()
        try:
            self.assert_every_page_answers()
            # Unpublished while the cache is away: the version moves in the database.
            self.agreement.publication = PublicationState.DRAFT
            self.agreement.save()
        finally:
            self.redis.resume()
        # The cache is back with the page it held: it is never served again.
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, "Cached agreement", status_code=404)


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "amendments.csv",
        b"agreement_code,sequence,title,amount\r\nCACHE-1,2,More,1.00\r\n",
        content_type="text/csv",
    )
