"""FilterSets of the indicator and result lists (see grants/filters.py)."""

import django_filters

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from grants.cache import remember
from grants.filters import AgreementCodeFilter, YearFilter, year_span
from grants.listing import SearchFilterSet, shows_drafts
from grants.models import ProgramArea
from grants.search import search_q

from .models import REPORTED, Indicator, Measure, Result, Unit


def indicator_choices(request):
    indicators = Indicator.objects.visible(include_drafts=shows_drafts(request))
    return indicators.only("code", "name").order_by("name", "pk")


class IndicatorFilter(SearchFilterSet):
    search_fields = ("code", "name", "description")

    program_area = django_filters.ModelChoiceFilter(
        label=_("Program area"),
        to_field_name="code",
        queryset=ProgramArea.objects.all(),
    )
    unit = django_filters.ChoiceFilter(label=_("Unit"), choices=Unit.choices)
    measure = django_filters.ChoiceFilter(label=_("Measure"), choices=Measure.choices)

    class Meta:
        model = Indicator
        fields = []

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        indicators = Indicator.objects.visible(include_drafts=include_drafts)
        return indicators.select_related("program_area").order_by("code", "pk")


class ResultFilter(SearchFilterSet):
    search_fields = (
        "indicator__code",
        "indicator__name",
        "agreement__code",
        "agreement__title",
        "location",
        "disaggregation",
    )

    indicator = django_filters.ModelChoiceFilter(
        label=_("Indicator"), to_field_name="code", queryset=indicator_choices
    )
    program_area = django_filters.ModelChoiceFilter(
        label=_("Program area"),
        field_name="indicator__program_area",
        to_field_name="code",
        queryset=ProgramArea.objects.all(),
    )
    agreement = AgreementCodeFilter()
    period_year = YearFilter(label=_("Period covers year"), method="filter_period_year")
    location = django_filters.CharFilter(
        label=_("Location"), method="filter_location", max_length=100
    )
    # Yes: periods with an actual value; no: periods with only their target, not
    # reported yet (models.REPORTED).
    reported = django_filters.BooleanFilter(
        label=_("Reported"),
        method="filter_reported",
        widget=forms.Select(
            choices=[
                ("", _("Any")),
                ("true", _("Reported")),
                ("false", _("Target only")),
            ]
        ),
    )

    class Meta:
        model = Result
        fields = []

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        results = Result.objects.visible(include_drafts=include_drafts)
        # Newest first, read backwards from an index; the table marks its Period
        # column as the order (ResultTable.Meta.order_by).
        return results.select_related(
            "indicator", "indicator__program_area", "agreement"
        ).newest_first()

    def filter_reported(self, queryset, name, value):
        return queryset.filter(REPORTED) if value else queryset.exclude(REPORTED)

    def filter_period_year(self, queryset, name, value):
        start, end = year_span(value)
        return queryset.filter(Q(period_start__lte=end), Q(period_end__gte=start))

    def filter_location(self, queryset, name, value):
        return queryset.filter(search_q(["location"], value))


def indicator_result_counts(*, include_drafts: bool):
    """{indicator pk: (results,)} over the whole record (the public results, or every
    one for staff), in one grouped query remembered until the next write
    (grants/cache.py, `remember`)."""

    def compute():
        results = Result.objects.visible(include_drafts=include_drafts)
        rows = (
            results.order_by()
            .values("indicator_id")
            .annotate(n=Count("pk"))
            .values_list("indicator_id", "n")
        )
        return {pk: (n,) for pk, n in rows}

    return remember("indicator-result-counts", include_drafts, compute)
