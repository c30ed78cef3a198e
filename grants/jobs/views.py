"""The admin's Jobs page, one job's page (its progress, its report, its confirmation
or restart) and the small JSON view that static/js/jobs.js polls."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..admin_pages import admin_page
from . import registry
from .models import FINISHED_STATES, RESTARTABLE_STATES, Job, JobState
from .runner import job_restart, job_start, mark_interrupted

LIST_LIMIT = 100


def kind_label(job) -> str:
    kind = registry.get(job.kind)
    return str(kind.label) if kind else job.kind


def progress_text(job) -> str:
    """ "312 of 1,193 activities", in the active language."""
    kind = registry.get(job.kind)
    unit = str(kind.unit_label) if kind else ""
    done = number_format(job.done, force_grouping=True)
    if job.total is None:
        return f"{done} {unit}".strip() if job.done else ""
    return _("%(done)s of %(total)s %(unit)s") % {
        "done": done,
        "total": number_format(job.total, force_grouping=True),
        "unit": unit,
    }


def as_json(job) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "done": job.done,
        "total": job.total,
        "progress": progress_text(job),
        "finished": job.state in FINISHED_STATES or job.state == JobState.INTERRUPTED,
        "message": job.message,
    }


def decorate(jobs):
    for job in jobs:
        job.kind_label = kind_label(job)
        job.progress_text = progress_text(job)
    return jobs


def visible_jobs(request):
    return Job.objects.visible_to(request.user).select_related("owner")


@admin_page
def jobs_list(request):
    jobs = list(visible_jobs(request).defer("report", "params")[:LIST_LIMIT])
    mark_interrupted(jobs)
    context = {
        **admin.site.each_context(request),
        "title": _("Jobs"),
        "jobs": decorate(jobs),
        "limit": LIST_LIMIT,
    }
    return render(request, "grants/jobs/list.html", context)


@admin_page
def job_detail(request, pk):
    job = get_object_or_404(visible_jobs(request), pk=pk)
    mark_interrupted([job])
    kind = registry.get(job.kind)
    mine = job.owner_id == request.user.pk
    can_confirm = bool(
        mine
        and kind
        and kind.confirms_as
        and job.state == JobState.DONE
        and (kind.can_confirm is None or kind.can_confirm(job))
    )
    confirmation = job.confirmations.order_by("-pk").first() if kind else None
    if request.method == "POST":
        if "confirm" in request.POST:
            if not can_confirm:
                raise PermissionDenied
            if confirmation is not None:  # a second click: show the first import
                return redirect(confirmation)
            with transaction.atomic():
                started = job_start(
                    kind=kind.confirms_as,
                    owner=request.user,
                    upload=job.upload,
                    preview=job,
                    params=job.params,
                )
            return redirect(started)
        if "restart" in request.POST:
            if not mine:
                raise PermissionDenied
            if job_restart(job):
                messages.success(request, _("The job was started again."))
            return redirect(job)
        raise Http404
    context = {
        **admin.site.each_context(request),
        "title": _("Job: %(kind)s, %(file)s")
        % {"kind": kind_label(job), "file": job.file_name or "—"},
        "job": decorate([job])[0],
        "kind": kind,
        "report": (kind.present(job) if kind and kind.present else job.report),
        "can_confirm": can_confirm and confirmation is None,
        "confirmation": confirmation,
        "can_restart": mine and job.state in RESTARTABLE_STATES,
        "finished": job.state in FINISHED_STATES,
    }
    return render(request, "grants/jobs/detail.html", context)


@require_GET
@admin_page
def jobs_status(request):
    ids = [int(i) for i in request.GET.getlist("id") if i.isdigit()][:LIST_LIMIT]
    jobs = list(visible_jobs(request).filter(pk__in=ids).defer("report", "params"))
    mark_interrupted(jobs)
    return JsonResponse({"jobs": [as_json(job) for job in jobs]})
