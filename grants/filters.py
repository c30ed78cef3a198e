"""FilterSets of the public lists. Each one's `base_queryset(include_drafts=...)` is the
list before filtering and its `.qs` the whole filtered set: the page and the CSV export
share both."""

import datetime
import functools

import django_filters
from django_countries import countries
from django_filters.constants import EMPTY_VALUES

from django import forms
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .cache import remember
from .listing import SearchFilterSet, shows_drafts
from .models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Amendment,
    Disbursement,
    DisbursementKind,
    GeographyKind,
    Organization,
    OrganizationKind,
    ProgramArea,
    RecipientArea,
    published_q,
)
from .money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

MIN_YEAR, MAX_YEAR = 1900, 2100


@functools.cache
def countries_in(language):
    return list(countries)


def country_choices():
    """django-countries' list in the active language, sorted by name: made once per
    language (its own iterator translates and sorts the 250 names at each use)."""
    return countries_in(get_language())


def year_span(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", MIN_YEAR)
        kwargs.setdefault("max_value", MAX_YEAR)
        super().__init__(*args, **kwargs)


class MoneyFilter(django_filters.NumberFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)


class PercentFilter(django_filters.NumberFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class AgreementCodeFilter(django_filters.CharFilter):
    """An agreement chosen by typing its code (whatever its case). A dropdown of every
    public agreement would hold hundreds of thousands of options at a ministry's
    scale. The code is looked up among the agreements the visitor may see
    (`public()`, or every one in the staff view), so a draft's code finds exactly
    what an unknown code finds: nothing. `field_name` is the path to the agreement."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Agreement code"))
        kwargs.setdefault("field_name", "agreement")
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault("help_text", _("The exact code, e.g. 527-0427."))
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if value in EMPTY_VALUES:
            return queryset
        agreements = Agreement.objects.visible(
            include_drafts=shows_drafts(self.parent.request)
        )
        matching = agreements.filter(code__iexact=value).values("pk")
        return queryset.filter(**{f"{self.field_name}__in": matching})


def agreement_filter_choices(*, include_drafts: bool):
    """The choices of the agreement filters: the organizations that are a donor or
    a recipient of an agreement (by name), every program area (by display order)
    and the currencies in use. The distinct parties and currencies scan every
    agreement, so all four lists are remembered together until the next write."""

    def compute():
        agreements = Agreement.objects.visible(include_drafts=include_drafts)
        agreements = agreements.order_by()

        def parties(relation):
            organizations = Organization.objects.filter(
                pk__in=agreements.values(relation)
            ).order_by("name", "pk")
            return [(str(org.pk), str(org)) for org in organizations]

        return {
            "donor": parties("donor"),
            "recipient": parties("recipient"),
            "program_area": [
                (area.code, str(area)) for area in ProgramArea.objects.all()
            ],
            "currency": [
                (code, code)
                for code in agreements.order_by("currency")
                .values_list("currency", flat=True)
                .distinct()
            ],
        }

    return remember("agreement-filter-choices", include_drafts, compute)


class AgreementFilter(SearchFilterSet):
    search_fields = (
        "code",
        "title",
        "donor__name",
        "donor__acronym",
        "recipient__name",
        "recipient__acronym",
    )

    # Choices set in __init__ from the remembered lists (agreement_filter_choices).
    donor = django_filters.ChoiceFilter(label=_("Donor"), choices=())
    recipient = django_filters.ChoiceFilter(label=_("Recipient"), choices=())
    framework = AgreementCodeFilter(
        label=_("Framework agreement"),
        field_name="framework",
        help_text=_("A framework's exact code: the agreements signed under it."),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AgreementKind.choices)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=AgreementStatus.choices
    )
    program_area = django_filters.ChoiceFilter(
        label=_("Program area"), field_name="program_areas__code", choices=()
    )
    currency = django_filters.ChoiceFilter(label=_("Currency"), choices=())
    country = django_filters.ChoiceFilter(
        label=_("Recipient country"),
        choices=country_choices,
        method="filter_country",
        help_text=_(
            "The agreement's recipient countries as its publisher states them; "
            "else its recipient's country."
        ),
    )
    active_in = YearFilter(
        label=_("Active in year"),
        method="filter_active_in",
        help_text=_(
            "Agreements whose dates cover this year or, where the dates are not "
            "known, one of whose amendments' periods does."
        ),
    )
    amount_min = MoneyFilter(
        label=_("Total at least"), field_name="shown_total", lookup_expr="gte"
    )
    amount_max = MoneyFilter(
        label=_("Total at most"), field_name="shown_total", lookup_expr="lte"
    )
    share_min = PercentFilter(
        label=_("Share disbursed at least (%)"),
        field_name="shown_disbursed_share",
        lookup_expr="gte",
    )
    share_max = PercentFilter(
        label=_("Share disbursed below (%)"),
        field_name="shown_disbursed_share",
        lookup_expr="lt",
        help_text=_(
            "e.g. 25 for the agreements that have disbursed less than a quarter of "
            "what they committed. Agreements with no disbursement recorded have no "
            "share and are left out."
        ),
    )

    class Meta:
        model = Agreement
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = agreement_filter_choices(include_drafts=shows_drafts(self.request))
        for name, options in choices.items():
            self.filters[name].extra["choices"] = options

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        agreements = Agreement.objects.visible(include_drafts=include_drafts)
        return (
            agreements.with_figures(include_drafts=include_drafts)
            .select_related("donor", "recipient")
            .order_by("code", "pk")
        )

    def filter_country(self, queryset, name, value: str):
        stated = RecipientArea.objects.filter(
            agreement=OuterRef("pk"), kind=GeographyKind.COUNTRY
        )
        return queryset.filter(
            Exists(stated.filter(code=value))
            | ~Exists(stated) & Q(recipient__country=value)
        )

    def filter_active_in(self, queryset, name, value):
        start, end = year_span(value)
        amendments = (
            Amendment.objects.visible(include_drafts=shows_drafts(self.request))
            .filter(agreement=OuterRef("pk"), period_start__lte=end)
            .filter(Q(period_end__isnull=True) | Q(period_end__gte=start))
        )
        own_dates = Q(start_on__isnull=False, start_on__lte=end) & (
            Q(end_on__isnull=True) | Q(end_on__gte=start)
        )
        return queryset.filter(
            own_dates
            | Q(start_on__isnull=True, end_on__isnull=True) & Exists(amendments)
        )


class ReconciliationChoice:
    RECONCILED = "yes"
    DIFFERS = "no"
    NOTHING_STATED = "none"
    choices = [
        (RECONCILED, _("Reconciled: the stated total matches")),
        (DIFFERS, _("Differs from the computed total")),
        (NOTHING_STATED, _("No total stated")),
    ]


class AmendmentFilter(SearchFilterSet):
    search_fields = ("agreement__code", "agreement__title", "title")

    agreement = AgreementCodeFilter()
    signed_year = YearFilter(
        label=_("Signed in year"), field_name="signed_on", lookup_expr="year"
    )
    period_year = YearFilter(label=_("Period covers year"), method="filter_period_year")
    amount_min = MoneyFilter(
        label=_("Amount at least"), field_name="amount", lookup_expr="gte"
    )
    amount_max = MoneyFilter(
        label=_("Amount at most"), field_name="amount", lookup_expr="lte"
    )
    reconciliation = django_filters.ChoiceFilter(
        label=_("Reconciliation"),
        choices=ReconciliationChoice.choices,
        method="filter_reconciliation",
    )

    class Meta:
        model = Amendment
        fields = []

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        amendments = Amendment.objects.visible(include_drafts=include_drafts)
        return (
            amendments.with_figures(include_drafts=include_drafts)
            .select_related("agreement")
            .order_by("agreement__code", "sequence", "pk")
        )

    def filter_period_year(self, queryset, name, value):
        start, end = year_span(value)
        return queryset.filter(period_start__lte=end).filter(
            Q(period_end__isnull=True) | Q(period_end__gte=start)
        )

    def filter_reconciliation(self, queryset, name, value):
        if value == ReconciliationChoice.RECONCILED:
            return queryset.filter(reconciled=True)
        if value == ReconciliationChoice.DIFFERS:
            return queryset.filter(reconciled=False)
        return queryset.filter(reconciled__isnull=True)


class ProgramAreaFilter(SearchFilterSet):
    search_fields = ("code", "name", "description")

    class Meta:
        model = ProgramArea
        fields = []

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        counts = program_area_counts(include_drafts=include_drafts)
        return (
            ProgramArea.objects.all()
            .annotate(
                agreement_count=counts_by_pk(counts, 0),
                indicator_count=counts_by_pk(counts, 1),
            )
            .order_by("display_order", "name", "pk")
        )


def program_area_counts(*, include_drafts: bool):
    """{area pk: (agreements, indicators)} for every area, counted over the whole
    record (the join of every agreement and indicator) once per write, not per page
    view (grants/cache.py, `remember`)."""

    def compute():
        agreement_filter = Q() if include_drafts else published_q("agreements__")
        indicator_filter = Q() if include_drafts else published_q("indicators__")
        rows = (
            ProgramArea.objects.order_by()
            .annotate(
                n_agreements=Count(
                    "agreements", filter=agreement_filter, distinct=True
                ),
                n_indicators=Count(
                    "indicators", filter=indicator_filter, distinct=True
                ),
            )
            .values_list("pk", "n_agreements", "n_indicators")
        )
        return {pk: (agreements, indicators) for pk, agreements, indicators in rows}

    return remember("program-area-counts", include_drafts, compute)


def counts_by_pk(counts, position):
    """The remembered counts as an SQL value per row, so the table can still sort on
    them; 0 for an area created since (the next write refreshes the counts)."""
    whens = [When(pk=pk, then=Value(values[position])) for pk, values in counts.items()]
    if not whens:
        return Value(0, output_field=IntegerField())
    return Case(*whens, default=Value(0), output_field=IntegerField())


class OrganizationFilter(SearchFilterSet):
    """The organizations (donors, recipients, participants): the API's list; the
    site shows them on the agreements' pages."""

    search_fields = ("name", "acronym")

    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=OrganizationKind.choices
    )
    country = django_filters.CharFilter(
        label=_("Country"),
        method="filter_country",
        max_length=2,
        help_text=_("ISO 3166-1 alpha-2 code, e.g. PE."),
    )

    class Meta:
        model = Organization
        fields = []

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        return Organization.objects.all().order_by("name", "pk")

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())


class DisbursementFilter(SearchFilterSet):
    search_fields = ("agreement__code", "agreement__title", "description")

    agreement = AgreementCodeFilter()
    # Choices set in __init__ from the remembered lists (agreement_filter_choices).
    donor = django_filters.ChoiceFilter(
        label=_("Donor"), field_name="agreement__donor", choices=()
    )
    recipient = django_filters.ChoiceFilter(
        label=_("Recipient"), field_name="agreement__recipient", choices=()
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=DisbursementKind.choices
    )
    year = YearFilter(label=_("Year"), method="filter_year")
    amount_min = MoneyFilter(
        label=_("Amount at least"), field_name="amount", lookup_expr="gte"
    )
    amount_max = MoneyFilter(
        label=_("Amount at most"), field_name="amount", lookup_expr="lte"
    )

    class Meta:
        model = Disbursement
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = agreement_filter_choices(include_drafts=shows_drafts(self.request))
        for name in ("donor", "recipient"):
            self.filters[name].extra["choices"] = choices[name]

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        payments = Disbursement.objects.visible(include_drafts=include_drafts)
        return payments.select_related(
            "agreement", "provider", "receiver"
        ).newest_first()

    def filter_year(self, queryset, name, value):
        # A range rather than __year, so the date index serves it.
        return queryset.filter(date__range=year_span(value))
