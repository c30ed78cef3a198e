from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from grants.charts import Bar, bar_chart
from grants.formatting import period, quantity
from grants.listing import ListPageView
from grants.views import StaffAwareDetailMixin

from .filters import IndicatorFilter, ResultFilter
from .models import Aggregation, Indicator, Result
from .tables import IndicatorTable, ResultTable


class IndicatorListView(ListPageView):
    csv_report_name = "indicators"
    filterset_class = IndicatorFilter
    table_class = IndicatorTable
    page_title = gettext_lazy("Indicators")
    intro = gettext_lazy(
        "What is measured, in which unit, and how its periods combine into a total."
    )


class ResultListView(ListPageView):
    csv_report_name = "results"
    filterset_class = ResultFilter
    table_class = ResultTable
    page_title = gettext_lazy("Results")
    intro = gettext_lazy(
        "Approved results of published indicators, each with its period and, where "
        "reported, its baseline and target."
    )


def indicator_total(indicator, results):
    """The indicator's total as its aggregation defines it, over the results without a
    disaggregation (a group's value is part of the whole, not added to it). None when
    the indicator is not summable or nothing is reported."""
    whole = [result for result in results if not result.disaggregation]
    if not whole or indicator.aggregation == Aggregation.NONE:
        return None
    if indicator.aggregation == Aggregation.LATEST:
        last_end = max(result.period_end for result in whole)
        whole = [result for result in whole if result.period_end == last_end]
    return sum(result.actual_value for result in whole)


class IndicatorDetailView(StaffAwareDetailMixin, DetailView):
    """An indicator's definition and its results over time; a draft answers 404 to
    the public."""

    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "indicator"
    template_name = "indicators/indicator_detail.html"

    def get_queryset(self):
        indicators = Indicator.objects.all()
        if not self.include_drafts:
            indicators = indicators.public()
        return indicators.select_related("program_area")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        indicator = self.object
        results = Result.objects.filter(indicator=indicator)
        if not self.include_drafts:
            results = results.public()
        results = list(
            results.select_related("agreement", "source").order_by(
                "period_start", "period_end", "location", "disaggregation", "pk"
            )
        )
        for result in results:
            result.indicator = indicator
        context.update(
            {
                "results": results,
                "total": indicator_total(indicator, results),
                "has_targets": any(r.target_value is not None for r in results),
                "chart": self.results_chart(indicator, results),
                "latest_period_end": max((r.period_end for r in results), default=None),
            }
        )
        return context

    def results_chart(self, indicator, results):
        if not results:
            return None
        unit = indicator.get_unit_display()
        bars = []
        for result in results:
            details = [
                part
                for part in (
                    result.agreement.code if result.agreement else "",
                    result.location,
                    result.disaggregation,
                )
                if part
            ]
            label = period(result.period_start, result.period_end)
            if details:
                label += " · " + " · ".join(details)
            bars.append(
                Bar(
                    label=label,
                    value=result.actual_value,
                    text=quantity(result.actual_value),
                    marker=result.target_value,
                    marker_text=quantity(result.target_value),
                    css="" if result.is_public else "draft",
                )
            )
        has_targets = any(r.target_value is not None for r in results)
        return bar_chart(
            bars,
            chart_id="results-chart",
            title=_("Results per period: %(indicator)s") % {"indicator": indicator},
            description=_(
                "Each bar is the actual value reported for the period, in %(unit)s."
            )
            % {"unit": unit},
            marker_legend=_("A vertical line marks the target.")
            if has_targets
            else _("No target has been reported for these periods."),
        )
