from modeltranslation.utils import build_localized_fieldname
from simple_history.models import HistoricalRecords

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from grants import languages
from grants.links import remembered_reverse
from grants.models import (
    Agreement,
    GatedQuerySet,
    ProgramArea,
    PublicationState,
    SourceDocument,
    choices_condition,
    published_q,
)
from grants.money import MONEY_LIMIT
from grants.versioning import VersionedModel

from . import sort_keys

VALUE_MAX_DIGITS = 18
VALUE_DECIMAL_PLACES = 2


class Unit(models.TextChoices):
    FAMILIES = "families", _("families")
    HOUSEHOLDS = "households", _("households")
    PEOPLE = "people", _("people")
    COMMUNITIES = "communities", _("communities")
    ORGANIZATIONS = "organizations", _("organizations")
    MECHANISMS = "mechanisms", _("mechanisms")
    HECTARES = "hectares", _("hectares")
    TCO2E = "tco2e", _("tonnes of CO2 equivalent")
    PERCENT = "percent", _("percent")
    CURRENCY = "currency", _("currency units")
    OTHER = "other", _("other")


class Measure(models.TextChoices):
    NUMBER = "number", _("Number")
    PERCENTAGE = "percentage", _("Percentage")
    CURRENCY = "currency", _("Currency")


class Direction(models.TextChoices):
    INCREASE = "increase", _("An increase is better")
    DECREASE = "decrease", _("A decrease is better")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum of periods")
    LATEST = "latest", _("Latest value")
    NONE = "none", _("Not summable")


AGGREGATION_HELP = {
    Aggregation.SUM: _(
        "Each period counts new results, so periods add up: the total is the sum of "
        "all periods."
    ),
    Aggregation.LATEST: _(
        "Each period restates the situation, so periods do not add up: the total is "
        "the most recent period's value."
    ),
    Aggregation.NONE: _(
        "Values cannot be combined across periods (for example percentages): read each "
        "period on its own."
    ),
}


class ResultType(models.TextChoices):
    """IATI ResultType: what level of change an indicator measures."""

    OUTPUT = "1", _("Output")
    OUTCOME = "2", _("Outcome")
    IMPACT = "3", _("Impact")
    OTHER = "9", _("Other")


class ResultStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned with a reason")
    APPROVED = "approved", _("Approved")


class IndicatorQuerySet(GatedQuerySet):
    def public(self):
        """Published indicators only: drafts are excluded."""
        return self.filter(published_q())


class Indicator(VersionedModel):
    code = models.SlugField(
        _("code"),
        max_length=80,
        unique=True,
        help_text=_(
            "Short identifier used in web addresses, e.g. rural-families-improved."
        ),
        error_messages={"unique": _("An indicator with this code already exists.")},
    )
    name = models.CharField(_("name"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    program_area = models.ForeignKey(
        ProgramArea,
        verbose_name=_("program area"),
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    unit = models.CharField(
        _("unit"),
        max_length=20,
        choices=Unit.choices,
        help_text=_("What one counts: families, hectares, tCO2e, percent…"),
    )
    measure = models.CharField(
        _("measure"), max_length=20, choices=Measure.choices, default=Measure.NUMBER
    )
    direction = models.CharField(
        _("direction"),
        max_length=20,
        choices=Direction.choices,
        default=Direction.INCREASE,
    )
    aggregation = models.CharField(
        _("aggregation"),
        max_length=20,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
        help_text=_(
            "How periods combine. Sum of periods: each period counts new results (people "
            "trained this year). Latest value: each period restates the situation (hectares "
            "under management now). Not summable: values cannot be added (percentages)."
        ),
    )
    result_type = models.CharField(
        _("result type"),
        max_length=1,
        choices=ResultType.choices,
        default=ResultType.OTHER,
        help_text=_(
            "Output (what the work delivers), outcome (the change it brings) or "
            "impact (the longer-term effect); as IATI results are classified."
        ),
    )
    publication = models.CharField(
        _("publication state"),
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = IndicatorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code", "pk"]
        permissions = [
            ("publish_indicator", _("Can publish and unpublish indicators")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("unit", Unit),
                name="indicators_indicator_unit_valid",
                violation_error_message=_("Choose a valid unit."),
            ),
            models.CheckConstraint(
                condition=choices_condition("measure", Measure),
                name="indicators_indicator_measure_valid",
                violation_error_message=_("Choose a valid measure."),
            ),
            models.CheckConstraint(
                condition=choices_condition("direction", Direction),
                name="indicators_indicator_direction_valid",
                violation_error_message=_("Choose a valid direction."),
            ),
            models.CheckConstraint(
                condition=choices_condition("aggregation", Aggregation),
                name="indicators_indicator_aggregation_valid",
                violation_error_message=_("Choose a valid aggregation."),
            ),
            models.CheckConstraint(
                condition=choices_condition("publication", PublicationState),
                name="indicators_indicator_publication_valid",
                violation_error_message=_("Choose a valid publication state."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return remembered_reverse("indicators:indicator-detail", code=self.code)

    @property
    def is_public(self) -> bool:
        return self.publication == PublicationState.PUBLISHED

    @property
    def aggregation_help(self):
        return AGGREGATION_HELP.get(self.aggregation, "")


# The newest results first: the latest period end, then start, then the latest entered.
NEWEST_FIRST = ("-period_end", "-period_start", "-pk")
# A period with an actual value (`Result.is_reported`): what totals add up. One
# without it holds only its target, not reported yet.
REPORTED = Q(actual_value__isnull=False)


class ResultQuerySet(GatedQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Rows inserted in bulk get their sort keys (indicators/sort_keys.py) as a
        save would give them."""
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if all(obj.pk is not None for obj in objs):
                written = self.filter(pk__in=[obj.pk for obj in objs])
            else:  # ignore_conflicts gives no primary keys back
                written = self.filter(indicator__in={obj.indicator_id for obj in objs})
            sort_keys.refresh(written)
        return created

    def update(self, **kwargs):
        moves = {"indicator", "indicator_id", "agreement", "agreement_id"}
        if not moves.intersection(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            sort_keys.refresh(Result.objects.using(self.db).filter(pk__in=pks))
        return count

    update.alters_data = True

    def newest_first(self):
        """NEWEST_FIRST, which the indexes indicators_result_newest and
        indicators_result_ind_newest serve."""
        return self.order_by(*NEWEST_FIRST)

    def reported(self):
        """Periods with an actual value (`REPORTED`): what totals add up."""
        return self.filter(REPORTED)

    def public(self):
        """Approved results of published indicators (and of published agreements, where
        linked): drafts, submitted and returned results are excluded."""
        return self.filter(
            Q(agreement__isnull=True) | published_q("agreement__"),
            published_q("indicator__"),
            status=ResultStatus.APPROVED,
        )


# The result's copies of related names (indicators/sort_keys.py), left out of history
# (with the per-language columns of the names).
SORT_KEYS = [
    "indicator_name",
    "program_area_name",
    "indicator_unit",
    "agreement_code",
    *(
        build_localized_fieldname(name, code)
        for name in ("indicator_name", "program_area_name")
        for code, _name in settings.LANGUAGES
    ),
]


def value_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=VALUE_MAX_DIGITS,
        decimal_places=VALUE_DECIMAL_PLACES,
        **kwargs,
    )


class Result(VersionedModel):
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="results",
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="results",
        help_text=_("The agreement this result is reported under, if any."),
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    baseline_value = value_field(_("baseline value"), null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"), null=True, blank=True
    )
    target_value = value_field(_("target"), null=True, blank=True)
    actual_value = value_field(
        _("actual value"),
        null=True,
        blank=True,
        help_text=_(
            "In the indicator's unit, e.g. 87000 (families). Empty while the period's "
            "target is set and its result not reported yet."
        ),
    )
    location = models.CharField(
        _("location"),
        max_length=255,
        blank=True,
        help_text=_("Region or place, if any."),
    )
    disaggregation = models.CharField(
        _("disaggregation"),
        max_length=255,
        blank=True,
        help_text=_(
            "The group this value is for, e.g. “women” or “native communities”."
        ),
    )
    comment = models.TextField(
        _("comment"),
        blank=True,
        help_text=_(
            "Say where the source is approximate (“more than”) or a period is implied."
        ),
    )
    source = models.ForeignKey(
        SourceDocument,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="results",
    )
    status = models.CharField(
        _("workflow status"),
        max_length=20,
        choices=ResultStatus.choices,
        default=ResultStatus.DRAFT,
    )
    return_reason = models.TextField(
        _("reason for return"),
        blank=True,
        help_text=_("Why the reviewer returned this result; required when returning."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Copies kept true by indicators/sort_keys.py, so the list's sorts by these
    # related names read an index (the indicator's and area's names per language).
    # NULL where the related value is (no agreement, no Spanish name): the order is
    # the one the join gave.
    indicator_name = models.CharField(  # noqa: DJ001
        _("indicator name (sort key)"), max_length=500, null=True, editable=False
    )
    program_area_name = models.CharField(  # noqa: DJ001
        _("program area name (sort key)"), max_length=255, null=True, editable=False
    )
    indicator_unit = models.CharField(  # noqa: DJ001
        _("unit (sort key)"), max_length=20, null=True, editable=False
    )
    agreement_code = models.CharField(  # noqa: DJ001
        _("agreement code (sort key)"), max_length=60, null=True, editable=False
    )

    objects = ResultQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=SORT_KEYS)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["indicator", "period_start", "pk"]
        permissions = [
            ("approve_result", _("Can approve, return and reopen results")),
        ]
        indexes = [
            # Newest first (NEWEST_FIRST: the public results list, the admin
            # changelist, a program area's latest results): a page is read backwards
            # from the index, stopping after the rows shown, instead of sorting a
            # million rows. The same within one indicator (the results list filtered
            # on it, the indicator's page).
            models.Index(
                fields=["period_end", "period_start", "id"],
                name="indicators_result_newest",
            ),
            models.Index(
                fields=["indicator", "period_end", "period_start", "id"],
                name="indicators_result_ind_newest",
            ),
        ] + [
            # The public list's sortable columns of the table itself (a page of a
            # sort read from the index, both ways, not a sort of every result).
            models.Index(fields=[*fields, "id"], name=f"indicators_res_{name}_sort")
            for name, *fields in (
                ("ind", "indicator_name", "period_start"),
                ("area", "program_area_name"),
                ("unit", "indicator_unit"),
                ("agreement", "agreement_code"),
                ("location", "location"),
                ("group", "disaggregation"),
                # Values that may be empty: these serve SQLite's order, where the
                # empty ones are the smallest (grants.listing.nulls_smallest); on
                # PostgreSQL, indexes NULLS FIRST do (migration 0009).
                ("baseline", "baseline_value"),
                ("target", "target_value"),
                ("actual", "actual_value"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="indicators_result_period_end_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=choices_condition("status", ResultStatus),
                name="indicators_result_status_valid",
                violation_error_message=_("Choose a valid workflow status."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ResultStatus.RETURNED) | ~Q(return_reason=""),
                name="indicators_result_returned_has_reason",
                violation_error_message=_("Give a reason when returning a result."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True)
                | Q(baseline_year__gte=1900, baseline_year__lte=2100),
                name="indicators_result_baseline_year_range",
                violation_error_message=_(
                    "The baseline year must be between 1900 and 2100."
                ),
            ),
            models.CheckConstraint(
                condition=Q(actual_value__isnull=False) | Q(target_value__isnull=False),
                name="indicators_result_actual_or_target",
                violation_error_message=_(
                    "Give the actual value, or the target of a period not reported yet."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(actual_value__isnull=True)
                    | Q(actual_value__gte=-MONEY_LIMIT, actual_value__lte=MONEY_LIMIT)
                )
                & (
                    Q(target_value__isnull=True)
                    | Q(target_value__gte=-MONEY_LIMIT, target_value__lte=MONEY_LIMIT)
                )
                & (
                    Q(baseline_value__isnull=True)
                    | Q(
                        baseline_value__gte=-MONEY_LIMIT,
                        baseline_value__lte=MONEY_LIMIT,
                    )
                ),
                name="indicators_result_values_range",
                violation_error_message=_("A value is out of range."),
            ),
            models.UniqueConstraint(
                fields=[
                    "indicator",
                    "agreement",
                    "period_start",
                    "period_end",
                    "location",
                    "disaggregation",
                ],
                name="indicators_result_unique_fact",
                violation_error_message=_(
                    "A result for this indicator, agreement, period, location and "
                    "disaggregation already exists."
                ),
            ),
        ]

    def __str__(self):
        return (
            f"{self.indicator.code} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"
        )

    def save(self, *args, **kwargs):
        sort_keys.fill(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *sort_keys.key_names()}
        return super().save(*args, **kwargs)

    def validate_constraints(self, exclude=None):
        errors = {}
        for check in (super().validate_constraints, self._validate_unique_fact):
            try:
                check(exclude)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _validate_unique_fact(self, exclude=None):
        languages.validate_unique_with_texts(self, exclude)

    def clean(self):
        super().clean()
        if (
            self.period_start is not None
            and self.period_end is not None
            and self.period_end < self.period_start
        ):
            # Also a database constraint; said here so the message names the field.
            raise ValidationError(
                {"period_end": _("The period cannot end before it starts.")}
            )

    @property
    def is_public(self) -> bool:
        """What `ResultQuerySet.public()` decides, from the loaded indicator and agreement."""
        return (
            self.status == ResultStatus.APPROVED
            and self.indicator.is_public
            and (self.agreement is None or self.agreement.is_public)
        )

    @property
    def is_reported(self) -> bool:
        """A period whose actual value is known; one without it holds only its target
        (a plan, as IATI periods with a target and no actual): it counts in no total."""
        return self.actual_value is not None

    @property
    def percent_of_target(self):
        if self.actual_value is None or self.target_value in (None, 0):
            return None
        return self.actual_value * 100 / self.target_value
