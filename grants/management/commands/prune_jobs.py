"""Deletes uploads and finished job records older than JOBS_RETENTION_DAYS, with the
task queue's rows of those jobs; marks jobs whose worker died as interrupted. Run it
daily (cron or a systemd timer, README "Jobs")."""

from datetime import timedelta

from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from grants.jobs.models import Job, JobState, Upload
from grants.jobs.runner import mark_interrupted


class Command(BaseCommand):
    help = "Delete uploads and job records older than JOBS_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.JOBS_RETENTION_DAYS,
            help="Age in days past which uploads and finished jobs are deleted.",
        )

    def handle(self, *args, days, **options):
        mark_interrupted(Job.objects.filter(state=JobState.RUNNING))
        before = timezone.now() - timedelta(days=days)
        old_jobs = Job.objects.filter(created_at__lt=before).exclude(
            state__in=[JobState.WAITING, JobState.RUNNING]
        )
        task_ids = [t for t in old_jobs.values_list("task_id", flat=True) if t]
        tasks, _ = DBTaskResult.objects.filter(pk__in=task_ids).delete()
        jobs, _ = old_jobs.delete()
        uploads, _ = Upload.objects.filter(created_at__lt=before).delete()
        # Finished task rows of jobs kept (or of no job) past the same age.
        tasks += (
            DBTaskResult.objects.filter(enqueued_at__lt=before)
            .exclude(status__in=["READY", "RUNNING"])
            .delete()[0]
        )
        self.stdout.write(
            f"Deleted {jobs} job records, {uploads} uploads and {tasks} task rows "
            f"older than {days} days."
        )
