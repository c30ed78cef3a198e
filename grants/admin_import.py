"""The spreadsheet import page in the admin (django-import-export), with a template file
to download. The upload is previewed and imported by jobs (grants/jobs/spreadsheets.py:
all or nothing, refused when a row changed since the preview)."""

import tablib
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from .jobs import spreadsheets
from .jobs.runner import job_start, upload_store
from .spreadsheet_reading import write_csv


def result_problems(result) -> list[str]:
    """Every refused row of an import result, with its number and the reasons."""
    return (
        [
            _("Row %(number)s, column “%(column)s”: %(message)s")
            % {"number": row.number, "column": column, "message": message}
            for row in result.invalid_rows
            for column, column_messages in row.field_specific_errors.items()
            for message in column_messages
        ]
        + [
            _("Row %(number)s: %(message)s")
            % {"number": row.number, "message": message}
            for row in result.invalid_rows
            for message in row.non_field_specific_errors
        ]
        + [
            _("Row %(number)s: %(message)s")
            % {"number": number, "message": error.error}
            for number, errors in result.row_errors()
            for error in errors
        ]
    )


class FormatFromNameImportForm(ImportForm):
    """The format follows the file name (.csv, .xlsx) whenever it says one."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.fields["format"].required = False
        self.fields["format"].help_text = _(
            "Found from the file name (.csv or .xlsx); choose only for other names."
        )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is None:
            return cleaned
        extension = upload.name.rsplit(".", 1)[-1].lower()
        for index, file_format in enumerate(self.formats):
            if file_format().get_extension() == extension:
                cleaned["format"] = str(index)
                break
        else:
            if not cleaned.get("format"):
                self.add_error(
                    "format", _("Choose the format: the file name does not say it.")
                )
        return cleaned


class StaffImportMixin(ImportMixin):
    formats = [CSV, XLSX]
    import_form_class = FormatFromNameImportForm
    import_template_name = "admin/workflow/import.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def import_action(self, request, **kwargs):
        """The upload is stored and previewed by a worker (grants/jobs/spreadsheets.py):
        the request only keeps the file and sends the official to the job's page."""
        if request.method != "POST":
            return super().import_action(request, **kwargs)
        if not self.has_import_permission(request):
            raise PermissionDenied
        import_form = self.create_import_form(request)
        if not import_form.is_valid():
            return super().import_action(request, **kwargs)
        with transaction.atomic():
            upload = upload_store(
                uploaded=import_form.cleaned_data["import_file"], owner=request.user
            )
            job = job_start(
                kind=spreadsheets.PREVIEW,
                owner=request.user,
                upload=upload,
                params={
                    "model": self.opts.label_lower,
                    "format": int(import_form.cleaned_data["format"]),
                },
            )
        return redirect(job)

    def get_urls(self):
        """The import page and its templates. Not django-import-export's
        `process_import` (its confirmation inside the request): every import is
        previewed and confirmed through jobs (grants/jobs/spreadsheets.py), the one
        preview-then-confirm of every import, IATI's included."""
        info = self.get_model_info()
        in_request = "{}_{}_process_import".format(*info)
        return [
            path(
                "import-template.<str:extension>",
                self.admin_site.admin_view(self.import_template_view),
                name="{}_{}_import_template".format(*info),
            ),
            *(url for url in super().get_urls() if url.name != in_request),
        ]

    def import_template_dataset(self):
        resource_class = self.get_import_resource_classes(None)[0]
        resource = resource_class()
        headers = [field.column_name for field in resource.get_user_visible_fields()]
        # Example rows by column, so the per-language columns follow LANGUAGES.
        rows = [
            [row.get(header, "") for header in headers]
            for row in resource_class.template_rows
        ]
        return tablib.Dataset(*rows, headers=headers)

    def import_template_view(self, request, extension):
        if not self.has_import_permission(request):
            raise Http404
        dataset = self.import_template_dataset()
        name = f"{self.opts.model_name}-import-template.{extension}"
        if extension == "csv":
            decimal = "," if request.GET.get("decimal") == "comma" else "."
            if decimal == ",":
                name = f"{self.opts.model_name}-import-template-decimal-comma.csv"
            content = write_csv(
                dataset,
                decimal=decimal,
                number_columns=self.get_import_resource_classes(None)[
                    0
                ].number_columns(),
            )
            response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        elif extension == "xlsx":
            response = HttpResponse(
                dataset.export("xlsx"),
                content_type=(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                ),
            )
        else:
            raise Http404(_("Templates come as .csv or .xlsx."))
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
