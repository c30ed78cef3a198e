from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from grants import languages
from grants.cache import remember
from grants.charts import Bar, bar_chart
from grants.formatting import period, quantity, reported
from grants.listing import ListPageView
from grants.views import StaffAwareDetailMixin

from .filters import IndicatorFilter, ResultFilter
from .models import REPORTED, Aggregation, Indicator, Result
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
        "reported, its baseline and target. A period planned and not reported yet "
        "shows its target alone."
    )


INDICATOR_RESULTS_SHOWN = 100


def results_summary(indicator, results):
    """The indicator's total as its aggregation defines it, over the reported results
    without a disaggregation (a group's value is part of the whole, not added to it;
    a period with only its target counts in no total); None when the indicator is not
    summable or nothing is reported. With the figures around it, computed by the
    database over all of `results` (one query, two for "latest")."""
    whole = languages.blank_q("disaggregation") & REPORTED
    figures = results.aggregate(
        count=Count("pk"),
        with_target=Count("pk", filter=Q(target_value__isnull=False)),
        whole_count=Count("pk", filter=whole),
        whole_latest_end=Max("period_end", filter=whole),
        whole_sum=Sum("actual_value", filter=whole),
    )
    total = None
    if figures["whole_count"] and indicator.aggregation != Aggregation.NONE:
        total = figures["whole_sum"]
        if indicator.aggregation == Aggregation.LATEST:
            total = results.filter(
                whole, period_end=figures["whole_latest_end"]
            ).aggregate(total=Sum("actual_value"))["total"]
    figures["total"] = total
    return figures


class IndicatorDetailView(StaffAwareDetailMixin, DetailView):
    """An indicator's definition and its results over time; a draft answers 404 to
    the public."""

    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "indicator"
    template_name = "indicators/indicator_detail.html"

    def get_queryset(self):
        indicators = Indicator.objects.visible(include_drafts=self.include_drafts)
        return indicators.select_related("program_area")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        indicator = self.object
        results = Result.objects.filter(indicator=indicator).visible(
            include_drafts=self.include_drafts
        )
        # Totals over every result in SQL; the chart and table show the latest
        # INDICATOR_RESULTS_SHOWN (an indicator reported for a decade by every
        # agreement has tens of thousands), with a link to the full results list.
        # The totals scan every result of the indicator: remembered until the next
        # write to the record (grants/cache.py), apart for the public and staff views.
        summary = remember(
            "indicator-summary",
            (indicator.pk, self.include_drafts),
            lambda: results_summary(indicator, results),
        )
        latest = list(
            # The group as stored: "" for the whole, never NULL (languages).
            languages.stored_columns(
                results.select_related("agreement", "source")
            ).order_by(
                "-period_end", "-period_start", "-location", "-disaggregation", "-pk"
            )[:INDICATOR_RESULTS_SHOWN]
        )
        latest.reverse()
        for result in latest:
            result.indicator = indicator
        context.update(
            {
                "results": latest,
                "result_count": summary["count"],
                "total": summary["total"],
                "has_targets": summary["with_target"] > 0,
                "chart": self.results_chart(indicator, latest),
                # The period a "latest value" total is read from.
                "latest_period_end": summary["whole_latest_end"],
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
                    text=reported(result.actual_value),
                    marker=result.target_value,
                    marker_text=quantity(result.target_value),
                    css="" if result.is_public else "draft",
                    lang=languages.other_language(result, "disaggregation"),
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
