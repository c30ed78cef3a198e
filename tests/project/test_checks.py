"""grants.E001 (`manage.py check --deploy`): several workers with a per-process cache."""

from unittest import mock

from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import SimpleTestCase, override_settings

from grants.project.checks import configured_workers

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def deploy_errors():
    return [
        message.id
        for message in checks.run_checks(include_deployment_checks=True)
        if message.id == "grants.E001"
    ]


class PerProcessCacheCheckTests(SimpleTestCase):
    @override_settings(CACHES=LOCMEM)
    def test_several_workers_with_a_memory_cache_fail_the_deploy_check(self):
        with mock.patch.dict("os.environ", {"WEB_CONCURRENCY": "4"}):
            self.assertEqual(deploy_errors(), ["grants.E001"])
            with self.assertRaisesMessage(SystemCheckError, "grants.E001"):
                call_command("check", "--deploy", verbosity=0)

    @override_settings(CACHES=LOCMEM)
    def test_the_workers_setting_of_gunicorn_counts_too(self):
        environ = {"WEB_CONCURRENCY": "1", "GUNICORN_CMD_ARGS": "--workers 3"}
        with mock.patch.dict("os.environ", environ):
            self.assertEqual(configured_workers(), 3)
            self.assertEqual(deploy_errors(), ["grants.E001"])

    @override_settings(CACHES=LOCMEM)
    def test_one_worker_may_keep_its_cache_in_memory(self):
        environ = {"WEB_CONCURRENCY": "1", "GUNICORN_CMD_ARGS": ""}
        with mock.patch.dict("os.environ", environ):
            self.assertEqual(deploy_errors(), [])

    def test_the_default_cache_is_shared_by_every_worker(self):
        with mock.patch.dict("os.environ", {"WEB_CONCURRENCY": "8"}):
            self.assertEqual(deploy_errors(), [])
