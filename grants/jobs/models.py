"""Uploads waiting for a job, and the jobs themselves."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Upload(models.Model):
    """A file an official uploaded, kept in the database so that every app server and
    every worker can read it. Deleted by `prune_jobs` after JOBS_RETENTION_DAYS."""

    name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    size = models.PositiveBigIntegerField(_("size in bytes"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self):
        return self.name


class JobState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    INTERRUPTED = "interrupted", _("interrupted")
    TIMED_OUT = "timed_out", _("stopped: time limit")


FINISHED_STATES = {JobState.DONE, JobState.FAILED, JobState.TIMED_OUT}
RESTARTABLE_STATES = {JobState.FAILED, JobState.INTERRUPTED, JobState.TIMED_OUT}


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviewers (and superusers) see every job; anyone else only their own."""
        if user.is_superuser or user.has_perm("grants.publish_agreement"):
            return self
        return self.filter(owner=user)


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=64)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState, default=JobState.WAITING
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("started by"),
    )
    upload = models.ForeignKey(
        Upload,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("upload"),
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    preview = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="confirmations",
        verbose_name=_("preview"),
        help_text=_("The preview whose confirmation started this import."),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    report = models.JSONField(_("report"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    worker = models.CharField(
        _("worker"),
        max_length=255,
        blank=True,
        help_text=_("host:process of the worker running the current attempt."),
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last news"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=JobState.values),
                name="grants_job_state_valid",
                violation_error_message=_("Choose a valid job state."),
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.file_name})"

    def get_absolute_url(self):
        return reverse("jobs:detail", args=[self.pk])
