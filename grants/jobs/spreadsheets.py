"""Spreadsheet imports (django-import-export) as jobs: the preview (a dry run) and the
import its confirmation starts, for every admin that uses StaffImportMixin (amendments
here, results in indicators). The model admin is found from the job's `model`
parameter, so grants needs to know nothing of indicators.

Both run the whole file in one transaction, as the admin did in the request: if any
row fails nothing is saved, and a worker stopped half-way leaves nothing; starting the
job again redoes the file."""

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..spreadsheet_reading import Reading, SpreadsheetError, read_spreadsheet
from . import registry
from .runner import JobError, upload_content

PREVIEW = "spreadsheet-preview"
IMPORT = "spreadsheet-import"
ROWS_SHOWN = 1000


def model_admin_for(job):
    try:
        model = apps.get_model(job.params["model"])
        return admin.site.get_model_admin(model)
    except (KeyError, LookupError, admin.sites.NotRegistered):
        raise JobError(_("This import no longer exists.")) from None


def read_dataset(job, model_admin, resource_class):
    """The upload's rows, read as the file was saved (grants.spreadsheet_reading)."""
    formats = model_admin.get_import_formats()
    try:
        dataset, reading = read_spreadsheet(
            upload_content(job),
            file_format=formats[int(job.params.get("format", 0))],
            number_columns=resource_class.number_columns(),
        )
    except SpreadsheetError as error:
        raise JobError(str(error)) from error
    if not dataset:
        raise JobError(
            _(
                "No valid data to import. Ensure your file has the correct headers "
                "or data for import."
            )
        )
    return dataset, reading


def run(job, progress, *, dry_run):
    from grants.admin_import import result_problems

    model_admin = model_admin_for(job)
    resource_class = model_admin.get_import_resource_classes(None)[0]
    dataset, reading = read_dataset(job, model_admin, resource_class)
    if dry_run:
        versions = {}
        resource = resource_class(seen_versions=versions)
    else:
        preview_report = (job.preview.report if job.preview else None) or {}
        resource = resource_class(expected_versions=preview_report.get("versions", {}))
    total = len(dataset)
    done = 0

    def after_import_row(row, row_result, **kwargs):
        nonlocal done
        type(resource).after_import_row(resource, row, row_result, **kwargs)
        done += 1
        progress(done, total)

    resource.after_import_row = after_import_row
    progress(0, total)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        collect_failed_rows=True,
        rollback_on_validation_errors=True,
        user=job.owner,
        file_name=job.file_name,
        number_decimal=reading.decimal,
    )
    problems = result_problems(result)
    if problems and not dry_run:
        raise JobError(
            _("Nothing was imported. %(problems)s") % {"problems": " ".join(problems)}
        )
    report = {
        "totals": dict(result.totals),
        "reading": reading.as_dict(),
        "problems": problems,
        "headers": list(dataset.headers or []),
        "rows": [
            {
                "number": number,
                "type": row.import_type,
                "values": [
                    str(v) if v is not None else "" for v in dataset[number - 1]
                ],
            }
            for number, row in enumerate(result.rows[:ROWS_SHOWN], 1)
        ],
    }
    if dry_run:
        report["versions"] = versions
    return report


def can_confirm(job) -> bool:
    report = job.report or {}
    return job.upload_id is not None and not report.get("problems")


def present(job):
    report = dict(job.report or {})
    totals = report.get("totals", {})
    values = {
        "new": totals.get("new", 0),
        "update": totals.get("update", 0),
        "skip": totals.get("skip", 0),
    }
    if job.kind == IMPORT:
        report["summary"] = (
            _("Import finished: %(new)s new, %(update)s updated, %(skip)s skipped.")
            % values
        )
    else:
        report["summary"] = (
            _("Would import: %(new)s new, %(update)s updated, %(skip)s skipped.")
            % values
        )
    if "reading" in report:
        report["reading_text"] = Reading.from_dict(report["reading"]).describe()
    labels = {
        "new": _("New"),
        "update": _("Update"),
        "skip": _("Skip"),
        "error": _("Error"),
        "invalid": _("Invalid"),
    }
    for row in report.get("rows", []):
        row["label"] = labels.get(row["type"], row["type"])
    return report


registry.register_import(
    name="spreadsheet",
    preview_label=gettext_lazy("Spreadsheet preview"),
    import_label=gettext_lazy("Spreadsheet import"),
    unit_label=gettext_lazy("rows"),
    preview=lambda job, progress: run(job, progress, dry_run=True),
    run=lambda job, progress: run(job, progress, dry_run=False),
    report_template="grants/jobs/spreadsheet_report.html",
    present=present,
    can_confirm=can_confirm,
    confirm_label=gettext_lazy("Confirm import"),
)
