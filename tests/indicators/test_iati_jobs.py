"""IATI imports as jobs on the real task queue: the database backend, with workers
(`manage.py db_worker`) and a second app server started as processes by the tests."""

import re
import signal
import urllib.request
from http.cookiejar import CookieJar

from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.contrib.auth.models import User
from django.test import TransactionTestCase, override_settings
from django.urls import reverse

from grants.jobs.models import Job, JobState, Upload
from grants.jobs.runner import job_start
from grants.models import Agreement, Amendment
from indicators.iati.jobs import IMPORT, PREVIEW
from indicators.models import Result
from tests.jobs_support import (
    free_port,
    iati_file,
    start_server,
    start_worker,
    stop,
    wait_for,
)

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def state_of(job):
    job.refresh_from_db()
    return job.state


@override_settings(STORAGES=PLAIN_STATIC)
class WorkerTests(TransactionTestCase):
    def setUp(self):
        self.official = User.objects.create_superuser("official", password="pw")
        self.client.force_login(self.official)
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            stop(process)

    def worker(self, **env):
        process = start_worker(**env)
        self.processes.append(process)
        return process

    def upload(self, content, name="activities.xml"):
        return Upload.objects.create(
            name=name, content=content, size=len(content), owner=self.official
        )

    def test_an_upload_is_previewed_then_imported_by_a_worker(self):
        response = self.client.post(
            reverse("iati_admin:import"),
            {"file": _named(iati_file(3), "three.xml")},
        )
        preview = Job.objects.get(kind=PREVIEW)
        self.assertRedirects(response, preview.get_absolute_url())
        self.assertEqual(preview.state, JobState.WAITING)
        # Enqueued on the database backend, for a worker to take.
        self.assertTrue(DBTaskResult.objects.filter(pk=preview.task_id).exists())

        worker = self.worker()
        wait_for(lambda: state_of(preview) == JobState.DONE, "the preview", worker)
        self.assertEqual(Agreement.objects.count(), 0)  # a preview keeps nothing
        page = self.client.get(preview.get_absolute_url())
        self.assertContains(page, "ZZ-JOB-0003")
        self.assertContains(page, "3 of 3 activities")

        self.client.post(preview.get_absolute_url(), {"confirm": "1"})
        imported = Job.objects.get(kind=IMPORT)
        self.assertEqual(imported.preview, preview)
        wait_for(lambda: state_of(imported) == JobState.DONE, "the import", worker)
        self.assertEqual(Agreement.objects.count(), 3)
        self.assertContains(self.client.get(imported.get_absolute_url()), "3 created")
        status = self.client.get(reverse("jobs:status"), {"id": imported.pk}).json()
        self.assertEqual(status["jobs"][0]["progress"], "3 of 3 activities")
        self.assertTrue(DBTaskResult.objects.get(pk=imported.task_id).worker_ids)

    def test_a_killed_worker_leaves_whole_activities_and_the_job_resumes(self):
        count = 12
        job = job_start(
            kind=IMPORT, owner=self.official, upload=self.upload(iati_file(count))
        )
        slow = self.worker(JOBS_UNIT_DELAY_SECONDS="0.1")
        wait_for(lambda: (job.refresh_from_db() or job.done) >= 5, "progress", slow)
        slow.send_signal(signal.SIGKILL)
        slow.wait()

        # Every agreement written has all of its amendments and results.
        written = Agreement.objects.count()
        self.assertGreaterEqual(written, 5)
        self.assertLess(written, count)
        self.assertEqual(Amendment.objects.count(), 2 * written)
        self.assertEqual(Result.objects.count(), written)

        page = self.client.get(reverse("jobs:list"))
        self.assertContains(page, "interrupted")
        self.assertEqual(state_of(job), JobState.INTERRUPTED)
        self.assertContains(
            self.client.get(job.get_absolute_url()), f"of {count} activities"
        )

        response = self.client.post(job.get_absolute_url(), {"restart": "1"})
        self.assertRedirects(response, job.get_absolute_url())
        self.assertEqual(state_of(job), JobState.WAITING)
        worker = self.worker()
        wait_for(
            lambda: state_of(job) in (JobState.DONE, JobState.FAILED),
            "the resumed job",
            worker,
        )
        self.assertEqual(job.state, JobState.DONE, job.message)
        self.assertEqual(job.attempts, 2)
        self.assertEqual(Agreement.objects.count(), count)
        self.assertEqual(
            Agreement.objects.values("iati_identifier").distinct().count(), count
        )
        self.assertEqual(Amendment.objects.count(), 2 * count)
        self.assertEqual(Result.objects.count(), count)
        outcomes = {a["outcome"] for a in job.report["file"]["activities"]}
        self.assertEqual(outcomes, {"created", "unchanged"})

    def test_two_workers_never_run_the_same_job(self):
        jobs = [
            job_start(
                kind=PREVIEW,
                owner=self.official,
                upload=self.upload(iati_file(2, prefix=f"ZZ-TWO-{n}")),
            )
            for n in range(6)
        ]
        first, second = self.worker(), self.worker()
        wait_for(
            lambda: all(state_of(job) == JobState.DONE for job in jobs),
            "all jobs",
            first,
        )
        for job in jobs:
            self.assertEqual(job.attempts, 1)
            task = DBTaskResult.objects.get(pk=job.task_id)
            self.assertEqual(len(task.worker_ids), 1)
        self.assertIsNone(second.poll(), "the second worker died")

    def test_a_preview_is_confirmed_through_another_server(self):
        job = job_start(
            kind=PREVIEW, owner=self.official, upload=self.upload(iati_file(2))
        )
        worker = self.worker()
        wait_for(lambda: state_of(job) == JobState.DONE, "the preview", worker)

        port = free_port()
        server = start_server(port)
        self.processes.append(server)
        base = f"http://127.0.0.1:{port}"
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        opener.addheaders = [("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")]
        wait_for(lambda: _answers(opener, base + "/healthz"), "the server", server)

        page = opener.open(base + job.get_absolute_url()).read().decode()
        self.assertIn("ZZ-JOB-0002", page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        csrf_cookie = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
        request = urllib.request.Request(
            base + job.get_absolute_url(),
            data=f"csrfmiddlewaretoken={token}&confirm=1".encode(),
            headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; "
                f"{settings.CSRF_COOKIE_NAME}={csrf_cookie}",
                "Referer": base + job.get_absolute_url(),
            },
        )
        opener.open(request).read()
        imported = Job.objects.get(kind=IMPORT, preview=job)
        wait_for(lambda: state_of(imported) == JobState.DONE, "the import", worker)
        self.assertEqual(Agreement.objects.count(), 2)


def _named(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/xml")


def _answers(opener, url):
    try:
        return opener.open(url, timeout=2).status == 200
    except OSError:
        return False
