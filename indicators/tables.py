import django_tables2 as tables

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grants.formatting import period, quantity, reported
from grants.listing import NUM, SiteTable, nulls_smallest_order, sortable

from .models import Indicator, Result


class IndicatorTable(SiteTable):
    admin_change_url = "admin:indicators_indicator_change"

    name = tables.Column(
        verbose_name=_("Indicator"),
        linkify=True,
        attrs={"td": {"class": "wide"}},
        order_by=sortable("name"),
    )
    code = tables.Column(verbose_name=_("Code"), order_by=sortable("code"))
    program_area = tables.Column(
        verbose_name=_("Program area"),
        linkify=True,
        order_by=sortable("program_area__display_order", "program_area__name"),
    )
    unit = tables.Column(verbose_name=_("Unit"), order_by=sortable("unit"))
    measure = tables.Column(verbose_name=_("Measure"), order_by=sortable("measure"))
    aggregation = tables.Column(
        verbose_name=_("How periods combine"), order_by=sortable("aggregation")
    )

    class Meta(SiteTable.Meta):
        model = Indicator
        fields = ()
        sequence = (
            "name",
            "code",
            "program_area",
            "unit",
            "measure",
            "aggregation",
            "publication_state",
            "edit",
        )


class ResultTable(SiteTable):
    admin_change_url = "admin:indicators_result_change"
    # Every sort: the related names are the result's own sort keys
    # (indicators/sort_keys.py), each with an index.
    indexed_sorts = (
        "indicator",
        "program_area",
        "agreement",
        "unit",
        "period_start",
        "location",
        "disaggregation",
        "baseline_value",
        "target_value",
        "actual_value",
    )
    staff_only = (*SiteTable.staff_only, "status")

    indicator = tables.Column(
        verbose_name=_("Indicator"),
        linkify=True,
        attrs={"td": {"class": "wide"}},
        order_by=sortable("indicator_name", "period_start"),
    )
    program_area = tables.Column(
        verbose_name=_("Program area"),
        accessor="indicator__program_area",
        linkify=True,
        order_by=sortable("program_area_name"),
    )
    agreement = tables.Column(
        verbose_name=_("Agreement"),
        accessor="agreement__code",
        attrs={"td": {"class": "code"}},
        linkify=lambda record: record.agreement.get_absolute_url(),
        order_by=sortable("agreement_code"),
    )
    period_start = tables.Column(
        verbose_name=_("Period"),
        attrs={"td": {"class": "period"}},
        order_by=sortable("period_end", "period_start"),
    )
    location = tables.Column(verbose_name=_("Location"), order_by=sortable("location"))
    disaggregation = tables.Column(
        verbose_name=_("Group"), order_by=sortable("disaggregation")
    )
    baseline_value = tables.Column(
        verbose_name=_("Baseline"), attrs=NUM, order_by=sortable("baseline_value")
    )
    target_value = tables.Column(
        verbose_name=_("Target"), attrs=NUM, order_by=sortable("target_value")
    )
    actual_value = tables.Column(
        verbose_name=_("Actual"),
        attrs=NUM,
        order_by=sortable("actual_value"),
        # Rendered when empty too: a period with only its target is "not reported yet".
        empty_values=(),
    )
    unit = tables.Column(
        verbose_name=_("Unit"),
        accessor="indicator__unit",
        order_by=sortable("indicator_unit"),
    )
    status = tables.Column(
        verbose_name=_("Workflow status"), order_by=sortable("status")
    )

    class Meta(SiteTable.Meta):
        model = Result
        fields = ()
        # The list's own order (newest first), shown as a sort on Period.
        order_by = ("-period_start",)
        sequence = (
            "indicator",
            "program_area",
            "agreement",
            "period_start",
            "location",
            "disaggregation",
            "baseline_value",
            "target_value",
            "actual_value",
            "unit",
            "status",
            "publication_state",
            "edit",
        )

    def render_period_start(self, record):
        return period(record.period_start, record.period_end)

    def render_baseline_value(self, value, record):
        if record.baseline_year:
            return format_html(
                "{} <small>({})</small>", quantity(value), record.baseline_year
            )
        return quantity(value)

    def render_target_value(self, value):
        return quantity(value)

    def render_actual_value(self, value):
        return reported(value)

    # Empty values (no baseline or target; not reported yet) sort as the smallest on
    # every database.
    order_baseline_value = nulls_smallest_order("baseline_value")
    order_target_value = nulls_smallest_order("target_value")
    order_actual_value = nulls_smallest_order("actual_value")
