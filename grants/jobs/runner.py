"""Starting, running and watching jobs.

- `job_start` stores the job (its upload already in the database) and enqueues the one
  task, `run_job`, on Django's task API.
- `run_job` runs in a worker: it claims the job with a conditional UPDATE (so a job
  enqueued twice still runs once), writes progress from a heartbeat thread on its own
  database connection, stops the job at its time limit, and records the report, or the
  failure (message for the official, traceback in the log).
- `mark_interrupted` finds running jobs whose worker has died: on this machine by
  asking the operating system about the worker's process, elsewhere by the age of the
  last heartbeat. An interrupted or failed job can be started again (`job_restart`):
  the imports are idempotent, so redoing what was done duplicates nothing.
"""

import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta

from django_tasks import task

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry
from .models import FINISHED_STATES, RESTARTABLE_STATES, Job, JobState, Upload

logger = logging.getLogger(__name__)

HOST = socket.gethostname()
INTERRUPTED_MESSAGE = gettext_lazy(
    "The worker stopped during this job. What was done is kept; start it again to "
    "finish (nothing is imported twice)."
)


class JobError(Exception):
    """A job cannot go on; the message is for the official."""


class TimeLimitExceeded(BaseException):
    """Raised in the job's thread when its time limit is reached. A BaseException, so
    the importers' per-unit `except Exception` does not swallow it: the unit being
    written is rolled back and the job stops."""


def job_start(*, kind: str, owner, upload=None, preview=None, params=None) -> Job:
    """Create a job and enqueue it once the surrounding transaction commits. It runs
    in the language of the request that starts it, so its messages and report are in
    the official's language."""
    job = Job.objects.create(
        kind=kind,
        owner=owner,
        upload=upload,
        file_name=upload.name if upload else "",
        preview=preview,
        params={**(params or {}), "language": translation.get_language()},
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def upload_store(*, uploaded, owner) -> Upload:
    """Keep an uploaded file in the database, where every server and worker reads it."""
    content = b"".join(uploaded.chunks())
    return Upload.objects.create(
        name=uploaded.name[:255], content=content, size=len(content), owner=owner
    )


def upload_content(job: Job) -> bytes:
    """The job's uploaded file, or a JobError once it has been pruned."""
    if job.upload is None:
        raise JobError(
            _(
                "The uploaded file is no longer kept (uploads are deleted after some "
                "days): upload it again."
            )
        )
    return bytes(job.upload.content)


def job_restart(job: Job) -> bool:
    """Start an interrupted, failed or timed-out job again; False if it was not in
    such a state (e.g. another click restarted it first)."""
    restarted = Job.objects.filter(pk=job.pk, state__in=RESTARTABLE_STATES).update(
        state=JobState.WAITING, message="", finished_at=None
    )
    if restarted:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return bool(restarted)


def _enqueue(job_id: int) -> None:
    result = run_job.enqueue(job_id)
    Job.objects.filter(pk=job_id).update(task_id=str(result.id))


class Progress:
    """Given to a job's run(): call it with (done, total) after each unit. The
    heartbeat thread writes the latest numbers; the time limit is checked here too."""

    def __init__(self, job: Job, deadline: float):
        self.job = job
        self.done = job.done
        self.total = job.total
        self.deadline = deadline
        self.delay = float(getattr(settings, "JOBS_UNIT_DELAY_SECONDS", 0) or 0)

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done, self.total = done, total if total is not None else self.total
        if time.monotonic() > self.deadline:
            raise TimeLimitExceeded
        if self.delay:  # tests only: gives them time to kill a worker mid-job
            time.sleep(self.delay)


class Heartbeat(threading.Thread):
    """Writes the job's progress and the time every JOBS_HEARTBEAT_SECONDS through
    this thread's own database connection, so the numbers are seen even while the job
    holds a transaction open (on PostgreSQL; SQLite has one writer, and the write
    waits for the job's transaction)."""

    def __init__(self, job_id: int, attempt: int, progress: Progress):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.job_id, self.attempt, self.progress = job_id, attempt, progress
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.JOBS_HEARTBEAT_SECONDS):
                self.beat()
        finally:
            connection.close()

    def beat(self):
        try:
            Job.objects.filter(
                pk=self.job_id, attempts=self.attempt, state=JobState.RUNNING
            ).update(
                done=self.progress.done,
                total=self.progress.total,
                heartbeat_at=timezone.now(),
            )
        except OperationalError:  # SQLite busy: the next beat tries again
            logger.debug("heartbeat of job %s skipped: database busy", self.job_id)


def _alarm(signum, frame):
    raise TimeLimitExceeded


@task()
def run_job(job_id: int) -> str:
    """The one task: run job `job_id` with its kind's run()."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return "gone"
    worker = f"{HOST}:{os.getpid()}"
    attempt = job.attempts + 1
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.WAITING).update(
        state=JobState.RUNNING,
        attempts=attempt,
        worker=worker,
        started_at=now,
        heartbeat_at=now,
    )
    if not claimed:  # already taken, finished or restarted elsewhere
        return "not waiting"
    job.refresh_from_db()
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        return _run_claimed(job, attempt)


def _run_claimed(job: Job, attempt: int) -> str:
    job_id = job.pk
    kind = registry.get(job.kind)
    limit = settings.JOBS_TIME_LIMIT_SECONDS
    progress = Progress(job, deadline=time.monotonic() + limit)
    heartbeat = None
    if not connection.in_atomic_block:  # a real worker, not an immediate backend
        heartbeat = Heartbeat(job_id, attempt, progress)
        heartbeat.start()
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    state, message, report = JobState.DONE, "", None
    try:
        try:
            if kind is None:
                raise JobError(_("This kind of job is unknown: %s.") % job.kind)
            report = kind.run(job, progress)
        finally:
            if in_main:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            if heartbeat is not None:
                heartbeat.stopped.set()
                heartbeat.join()
    except TimeLimitExceeded:
        logger.warning("job %s stopped after its time limit of %ss", job_id, limit)
        state = JobState.TIMED_OUT
        message = _(
            "Stopped after the time limit of %(minutes)s minutes. What was done is "
            "kept; start it again to finish."
        ) % {"minutes": round(limit / 60, 1)}
    except JobError as error:
        logger.warning("job %s failed: %s", job_id, error)
        state, message = JobState.FAILED, str(error)
    except Exception as error:
        logger.exception("job %s failed", job_id)
        state = JobState.FAILED
        message = _(
            "The job failed (%(error)s). The details are in the server's log; what "
            "was done is kept."
        ) % {"error": type(error).__name__}
    finished = Job.objects.filter(pk=job_id, attempts=attempt)
    values = {
        "done": progress.done,
        "total": progress.total,
        "heartbeat_at": timezone.now(),
        "finished_at": timezone.now(),
    }
    try:
        finished.update(state=state, message=message, report=report, **values)
    except Exception:  # e.g. a report that cannot be stored: still end the job
        logger.exception("job %s: its report could not be stored", job_id)
        state = JobState.FAILED
        finished.update(
            state=state,
            message=_("The job ran but its report could not be stored."),
            **values,
        )
    return state


def worker_alive(job: Job) -> bool | None:
    """True or False when the worker runs on this machine (its process is asked),
    None when it runs elsewhere."""
    host, _sep, pid = job.worker.rpartition(":")
    if host != HOST or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted(jobs) -> None:
    """Mark as interrupted the running jobs among `jobs` whose worker is gone."""
    stale_before = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    for job in jobs:
        if job.state != JobState.RUNNING:
            continue
        alive = worker_alive(job)
        if alive is None:
            alive = job.heartbeat_at is not None and job.heartbeat_at >= stale_before
        if alive:
            continue
        updated = Job.objects.filter(
            pk=job.pk, state=JobState.RUNNING, attempts=job.attempts
        ).update(
            state=JobState.INTERRUPTED,
            message=INTERRUPTED_MESSAGE,
        )
        if updated:
            logger.warning("job %s interrupted: worker %s is gone", job.pk, job.worker)
            job.state = JobState.INTERRUPTED
            job.message = str(INTERRUPTED_MESSAGE)


def is_finished(job: Job) -> bool:
    return job.state in FINISHED_STATES
