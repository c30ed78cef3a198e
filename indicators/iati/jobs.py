"""IATI imports as background jobs: the preview (a dry run: nothing kept) and the
import its confirmation starts. Registered by IndicatorsConfig.ready()."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.jobs import registry
from grants.jobs.runner import upload_content

from .importer import import_file, import_files
from .report import OUTCOME_LABELS, report_as_json, report_from_json

PREVIEW = "iati-preview"
IMPORT = "iati-import"


def run_preview(job, progress) -> dict:
    (report,) = import_files(
        [(job.file_name, upload_content(job))], dry_run=True, progress=progress
    )
    return {"file": report_as_json(report)}


def run_import(job, progress) -> dict:
    # Outside a transaction: each activity is committed on its own, so a worker
    # stopped half-way leaves whole activities only, and a second attempt updates
    # the same agreements (keyed by IATI identifier) instead of duplicating them.
    report = import_file(
        job.file_name, upload_content(job), progress=progress, user=job.owner
    )
    if job.attempts > 1:
        report.notes.insert(
            0,
            _(
                "Attempt %(attempt)s: activities imported by an earlier attempt show "
                "as unchanged."
            )
            % {"attempt": job.attempts},
        )
    return {"file": report_as_json(report)}


def can_confirm(job) -> bool:
    file = (job.report or {}).get("file") or {}
    return (
        job.upload_id is not None
        and not file.get("error")
        and bool(file.get("activities"))
    )


def file_report(job):
    """The finished job's report as the import page showed it (a FileReport), with a
    one-line `summary` of its outcomes."""
    data = (job.report or {}).get("file")
    if not data:
        return None
    report = report_from_json(data)
    values = {
        "name": report.name,
        "summary": ", ".join(
            f"{n} {OUTCOME_LABELS.get(o, o)}"
            for o, n in sorted(report.counts().items())
        )
        or _("no activities"),
    }
    if job.kind == IMPORT:
        report.summary = _("Imported %(name)s: %(summary)s.") % values
    else:
        report.summary = _("Would import from %(name)s: %(summary)s.") % values
    return report


registry.register_import(
    name="iati",
    preview_label=gettext_lazy("IATI preview"),
    import_label=gettext_lazy("IATI import"),
    unit_label=gettext_lazy("activities"),
    preview=run_preview,
    run=run_import,
    report_template="indicators/iati/job_report.html",
    present=file_report,
    can_confirm=can_confirm,
)
