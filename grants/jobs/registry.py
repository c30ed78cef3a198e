"""The kinds of job. Each app registers its own in its AppConfig.ready(), so the
worker and the Jobs page know every kind without grants importing indicators."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str | Promise
    # "activities", "rows": what the progress counts, as a plural noun.
    unit_label: str | Promise
    # run(job, progress) -> report (JSON); raise JobError for a message to the official.
    run: Callable
    # The template that shows the finished job's report, given `job` and `report`.
    report_template: str = "grants/jobs/report.html"
    # For a preview: the kind of the import its confirmation starts.
    confirms_as: str = ""
    # Whether a finished job of this kind may be confirmed (e.g. the preview found
    # something to import); given the job.
    can_confirm: Callable | None = None
    # What the report template gets as `report`, given the job (default: job.report).
    present: Callable | None = None
    # The confirmation button of a preview.
    confirm_label: str | Promise = ""


KINDS: dict[str, JobKind] = {}


def register_import(
    *,
    name: str,
    preview_label,
    import_label,
    unit_label,
    preview: Callable,
    run: Callable,
    report_template: str,
    present: Callable,
    can_confirm: Callable,
    confirm_label="",
) -> None:
    """An import in two kinds: `<name>-preview`, whose confirmation starts
    `<name>-import`; both show their report with the same template."""
    shared = {
        "unit_label": unit_label,
        "report_template": report_template,
        "present": present,
    }
    register(JobKind(name=f"{name}-import", label=import_label, run=run, **shared))
    register(
        JobKind(
            name=f"{name}-preview",
            label=preview_label,
            run=preview,
            confirms_as=f"{name}-import",
            can_confirm=can_confirm,
            confirm_label=confirm_label,
            **shared,
        )
    )


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind | None:
    return KINDS.get(name)
