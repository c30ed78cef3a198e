"""The jobs machinery in this process: who sees and confirms what, failures, the time
limit, interrupted workers, the status view and pruning (the worker processes are in
tests/indicators/test_iati_jobs.py)."""

import logging
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from grants.jobs import registry
from grants.jobs.models import Job, JobState, Upload
from grants.jobs.runner import JobError, job_start, mark_interrupted
from grants.jobs.storage import DatabaseTmpStorage
from tests.factories import make_user
from tests.jobs_support import run_waiting_jobs

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def count_units(job, progress):
    for n in range(1, 4):
        progress(n, 3)
    return {"units": 3}


def explode(job, progress):
    progress(1, 2)
    raise RuntimeError("disk on fire")


def refuse(job, progress):
    raise JobError("The file says nothing.")


for name, run in [("test-count", count_units), ("test-explode", explode)]:
    registry.register(
        registry.JobKind(name=name, label=name, unit_label="units", run=run)
    )
registry.register(
    registry.JobKind(
        name="test-preview",
        label="test preview",
        unit_label="units",
        run=count_units,
        confirms_as="test-count",
    )
)
registry.register(
    registry.JobKind(name="test-refuse", label="refuse", unit_label="u", run=refuse)
)


@override_settings(STORAGES=PLAIN_STATIC)
class JobPermissionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.clerk = make_user(role="Data entry")
        cls.other_clerk = make_user(role="Data entry")
        cls.reviewer = make_user(role="Reviewer")
        upload = Upload.objects.create(name="mine.xml", content=b"x", size=1)
        cls.preview = job_start(kind="test-preview", owner=cls.clerk, upload=upload)
        run_waiting_jobs()

    def test_data_entry_sees_only_their_own_jobs(self):
        self.client.force_login(self.other_clerk)
        page = self.client.get(reverse("jobs:list"))
        self.assertNotContains(page, "mine.xml")
        self.assertContains(page, "No jobs yet.")
        self.assertEqual(
            self.client.get(self.preview.get_absolute_url()).status_code, 404
        )
        status = self.client.get(reverse("jobs:status"), {"id": self.preview.pk})
        self.assertEqual(status.json(), {"jobs": []})

    def test_data_entry_cannot_confirm_someone_elses_preview(self):
        self.client.force_login(self.other_clerk)
        response = self.client.post(self.preview.get_absolute_url(), {"confirm": "1"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Job.objects.filter(kind="test-count").exists())

    def test_a_reviewer_sees_every_job_but_cannot_confirm_it(self):
        self.client.force_login(self.reviewer)
        self.assertContains(self.client.get(reverse("jobs:list")), "mine.xml")
        page = self.client.get(self.preview.get_absolute_url())
        self.assertContains(page, "3 of 3 units")
        self.assertNotContains(page, 'name="confirm"')
        response = self.client.post(self.preview.get_absolute_url(), {"confirm": "1"})
        self.assertEqual(response.status_code, 403)

    def test_the_owner_confirms_and_the_import_uses_the_same_upload(self):
        self.client.force_login(self.clerk)
        page = self.client.get(self.preview.get_absolute_url())
        self.assertContains(page, 'name="confirm"')
        self.client.post(self.preview.get_absolute_url(), {"confirm": "1"})
        confirmed = Job.objects.get(kind="test-count")
        self.assertEqual(confirmed.upload_id, self.preview.upload_id)
        self.assertEqual(confirmed.owner, self.clerk)
        self.assertEqual(confirmed.state, JobState.WAITING)

    def test_the_jobs_page_is_linked_from_the_admin_index(self):
        self.client.force_login(self.clerk)
        index = self.client.get(reverse("admin:index"))
        self.assertContains(index, f'href="{reverse("jobs:list")}"')
        self.assertContains(index, "Agreements")  # the index itself is still there

    def test_the_jobs_page_names_its_script_and_no_inline_script(self):
        self.client.force_login(self.clerk)
        page = self.client.get(reverse("jobs:list")).content.decode()
        self.assertIn('src="/static/js/jobs.js"', page)
        self.assertNotIn("<script>", page)


class JobRunTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.clerk = make_user(role="Data entry")

    def start(self, kind):
        return job_start(kind=kind, owner=self.clerk)

    def test_a_job_that_raises_is_failed_with_a_message_and_a_logged_traceback(self):
        job = self.start("test-explode")
        with self.assertLogs("grants.jobs.runner", logging.ERROR) as logs:
            run_waiting_jobs()
        job.refresh_from_db()
        self.assertEqual(job.state, JobState.FAILED)
        self.assertIn("The job failed (RuntimeError)", job.message)
        self.assertNotIn("disk on fire", job.message)
        self.assertIn("disk on fire", "\n".join(logs.output))
        self.assertIn("Traceback", "\n".join(logs.output))
        self.assertEqual((job.done, job.total), (1, 2))

    def test_a_job_error_is_shown_as_it_is(self):
        job = self.start("test-refuse")
        run_waiting_jobs()
        job.refresh_from_db()
        self.assertEqual(
            (job.state, job.message), (JobState.FAILED, "The file says nothing.")
        )

    @override_settings(JOBS_TIME_LIMIT_SECONDS=0)
    def test_a_job_past_its_time_limit_is_stopped_and_marked_so(self):
        job = self.start("test-count")
        run_waiting_jobs()
        job.refresh_from_db()
        self.assertEqual(job.state, JobState.TIMED_OUT)
        self.assertIn("time limit", job.message)

    def test_a_job_runs_once_even_if_enqueued_twice(self):
        from grants.jobs.runner import run_job

        job = self.start("test-count")
        self.assertEqual(run_job.call(job.pk), JobState.DONE)
        self.assertEqual(run_job.call(job.pk), "not waiting")
        job.refresh_from_db()
        self.assertEqual((job.attempts, job.report), (1, {"units": 3}))

    @override_settings(JOBS_STALE_SECONDS=60)
    def test_a_silent_job_on_another_machine_is_interrupted_and_can_be_restarted(self):
        job = self.start("test-count")
        Job.objects.filter(pk=job.pk).update(
            state=JobState.RUNNING,
            attempts=1,
            worker="elsewhere:123",
            heartbeat_at=timezone.now() - timedelta(seconds=61),
        )
        recent = self.start("test-count")
        Job.objects.filter(pk=recent.pk).update(
            state=JobState.RUNNING, worker="elsewhere:124", heartbeat_at=timezone.now()
        )
        mark_interrupted(Job.objects.all())
        job.refresh_from_db()
        recent.refresh_from_db()
        self.assertEqual(job.state, JobState.INTERRUPTED)
        self.assertEqual(recent.state, JobState.RUNNING)

        self.client.force_login(self.clerk)
        with self.captureOnCommitCallbacks(execute=False):
            self.client.post(job.get_absolute_url(), {"restart": "1"})
        job.refresh_from_db()
        self.assertEqual(job.state, JobState.WAITING)
        run_waiting_jobs()
        job.refresh_from_db()
        self.assertEqual((job.state, job.attempts), (JobState.DONE, 2))

    def test_the_status_view_gives_state_and_counts(self):
        job = self.start("test-count")
        run_waiting_jobs()
        self.client.force_login(self.clerk)
        # Session, user, its permissions (two), the jobs; no write for a finished job.
        with self.assertNumQueries(5):
            data = self.client.get(reverse("jobs:status"), {"id": [job.pk, "x"]}).json()
        (row,) = data["jobs"]
        self.assertEqual(row["state"], "done")
        self.assertEqual(row["progress"], "3 of 3 units")
        self.assertIs(row["finished"], True)


class PruneTests(TestCase):
    def test_old_uploads_and_finished_jobs_are_deleted_and_recent_ones_kept(self):
        clerk = make_user(role="Data entry")
        old_upload = Upload.objects.create(name="old.xml", content=b"x", size=1)
        old = job_start(kind="test-count", owner=clerk, upload=old_upload)
        new = job_start(kind="test-count", owner=clerk)
        run_waiting_jobs()
        waiting = job_start(kind="test-count", owner=clerk)
        long_ago = timezone.now() - timedelta(days=31)
        Upload.objects.filter(pk=old_upload.pk).update(created_at=long_ago)
        Job.objects.filter(pk__in=[old.pk, waiting.pk]).update(created_at=long_ago)
        out = StringIO()
        call_command("prune_jobs", "--days", "30", stdout=out)
        self.assertIn("Deleted 1 job records, 1 uploads", out.getvalue())
        self.assertEqual(
            set(Job.objects.values_list("pk", flat=True)), {new.pk, waiting.pk}
        )
        self.assertFalse(Upload.objects.exists())


class SpreadsheetStorageTests(TestCase):
    def test_the_waiting_spreadsheet_is_read_back_from_the_database(self):
        stored = DatabaseTmpStorage(read_mode="rb")
        stored.save(b"indicator,agreement\n")
        again = DatabaseTmpStorage(name=stored.name, read_mode="rb")
        self.assertEqual(again.read(), b"indicator,agreement\n")
        again.remove()
        self.assertFalse(Upload.objects.exists())

    def test_a_forged_name_reads_nothing(self):
        DatabaseTmpStorage().save(b"secret")
        forged = DatabaseTmpStorage(name="1")
        with self.assertRaises(ValueError):
            forged.read()
        self.assertTrue(Upload.objects.exists())
