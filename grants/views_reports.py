"""The CSV report catalogue (a data dictionary) and the whole-report downloads. The
list pages' `?format=csv` lives in grants/listing.py (ListPageView)."""

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
