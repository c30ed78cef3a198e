"""The CSV report catalogue (a data dictionary), the downloads, and the `?format=csv`
hook for the public list pages."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from .csv_export import Kind, csv_response
from .reports import get_report, get_reports

KIND_LABELS = {
    Kind.TEXT: _("text"),
    Kind.INTEGER: _("whole number"),
    Kind.DECIMAL: _("decimal, point and 2 places"),
    Kind.DATE: _("date, YYYY-MM-DD"),
}


@require_safe
def report_catalogue(request):
    """Every report with a sentence on each of its columns, and its download link."""
    reports = [
        {
            "report": report,
            "columns": [
                {
                    "column": column,
                    "kind": KIND_LABELS[column.kind],
                    "codes": column.choices.choices if column.choices else (),
                }
                for column in report.columns
            ],
        }
        for report in get_reports()
    ]
    return render(request, "grants/reports.html", {"reports": reports})


@require_safe
def report_csv(request, name):
    """All public rows of one report, streamed as CSV."""
    report = get_report(name)
    if report is None:
        raise Http404(_("There is no report called “%(name)s”.") % {"name": name})
    return csv_response(report)


class CSVExportMixin:
    """For a `SingleTableMixin + FilterView` list page: `?format=csv` streams the whole
    filtered, searched and sorted set (every page) as the `csv_report` report.

    The view's queryset must be built on `public()`.
    """

    csv_report_name: str = ""

    def render_to_response(self, context, **response_kwargs):
        if self.request.GET.get("format") == "csv":
            table = context.get("table")
            # The table's data is the filtered queryset after the table's sorting.
            queryset = table.data.data if table is not None else self.object_list
            return csv_response(get_report(self.csv_report_name), queryset)
        return super().render_to_response(context, **response_kwargs)
