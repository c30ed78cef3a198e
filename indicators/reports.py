"""CSV reports of indicators and results (registered with the grants report registry)."""

from django.db.models import DecimalField, Func
from django.utils.translation import gettext_lazy as _

from grants.csv_export import Column, Kind, Report
from grants.reports import is_public_text, publication_column, register

from .models import (
    Aggregation,
    Direction,
    Indicator,
    Measure,
    Result,
    ResultStatus,
    Unit,
)


class PercentOf(Func):
    """ROUND(part * 100 / whole, 2), NULL where `whole` is NULL or 0. The same figure
    on every database: SQLite divides in floating point rather than in integers."""

    output_field = DecimalField(max_digits=40, decimal_places=2)

    def __init__(self, part, whole, **extra):
        super().__init__(part, whole, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        part, whole = self.get_source_expressions()
        part_sql, part_params = compiler.compile(part)
        whole_sql, whole_params = compiler.compile(whole)
        if connection.vendor == "sqlite":
            part_sql = f"CAST({part_sql} AS REAL)"
        sql = f"ROUND({part_sql} * 100 / NULLIF({whole_sql}, 0), 2)"
        return sql, (*part_params, *whole_params)


def results_count(include_drafts: bool):
    """Each indicator's results, counted once per write (indicators.filters,
    `indicator_result_counts`) rather than per row and per request: a correlated
    count read a million results for each page of the indicators API."""
    from grants.filters import counts_by_pk

    from .filters import indicator_result_counts

    return counts_by_pk(indicator_result_counts(include_drafts=include_drafts), 0)


INDICATORS = register(
    Report(
        name="indicators",
        title=_("Indicators"),
        description=_(
            "One row per indicator: what it measures, in which unit, and how its periods "
            "combine."
        ),
        model=Indicator,
        columns=(
            Column(
                "code",
                "code",
                Kind.TEXT,
                _("Short identifier of the indicator, used in web addresses."),
            ),
            Column("name", "name", Kind.TEXT, _("What the indicator counts.")),
            Column(
                "program_area_code",
                "program_area__code",
                Kind.TEXT,
                _("Code of the program area the indicator belongs to."),
            ),
            Column(
                "program_area",
                "program_area__name",
                Kind.TEXT,
                _("Name of that program area."),
            ),
            Column(
                "unit",
                "unit",
                Kind.TEXT,
                _("What one unit of the values is, as a code."),
                choices=Unit,
            ),
            Column(
                "measure",
                "measure",
                Kind.TEXT,
                _("Whether values are numbers, percentages or money, as a code."),
                choices=Measure,
            ),
            Column(
                "direction",
                "direction",
                Kind.TEXT,
                _("Whether an increase or a decrease is better, as a code."),
                choices=Direction,
            ),
            Column(
                "aggregation",
                "aggregation",
                Kind.TEXT,
                _(
                    "How periods combine: sum (periods add up), latest (the latest "
                    "period is the total) or none (read each period on its own)."
                ),
                choices=Aggregation,
            ),
            Column(
                "results",
                results_count,
                Kind.INTEGER,
                _("Number of published results reported for the indicator."),
            ),
            Column("description", "description", Kind.TEXT, _("A fuller definition.")),
        ),
        ordering=("code", "pk"),
    )
)


RESULTS = register(
    Report(
        name="results",
        title=_("Results"),
        description=_(
            "One row per reported result: an indicator's value for a period, place and "
            "group, against its baseline and target."
        ),
        model=Result,
        columns=(
            Column(
                "indicator_code",
                "indicator__code",
                Kind.TEXT,
                _("Code of the indicator the result is reported against."),
            ),
            Column(
                "indicator",
                "indicator__name",
                Kind.TEXT,
                _("Name of that indicator."),
            ),
            Column(
                "unit",
                "indicator__unit",
                Kind.TEXT,
                _("Unit of the values (baseline, target and actual), as a code."),
                choices=Unit,
            ),
            Column(
                "measure",
                "indicator__measure",
                Kind.TEXT,
                _("Whether values are numbers, percentages or money, as a code."),
                choices=Measure,
            ),
            Column(
                "aggregation",
                "indicator__aggregation",
                Kind.TEXT,
                _(
                    "How the indicator's periods combine: sum, latest or none (do not "
                    "add periods up)."
                ),
                choices=Aggregation,
            ),
            Column(
                "program_area_code",
                "indicator__program_area__code",
                Kind.TEXT,
                _("Code of the indicator's program area."),
            ),
            Column(
                "program_area",
                "indicator__program_area__name",
                Kind.TEXT,
                _("Name of that program area."),
            ),
            Column(
                "agreement_code",
                "agreement__code",
                Kind.TEXT,
                _("Code of the agreement the result is reported under; empty if none."),
            ),
            Column(
                "period_start",
                "period_start",
                Kind.DATE,
                _("First day of the reporting period (YYYY-MM-DD)."),
            ),
            Column(
                "period_end",
                "period_end",
                Kind.DATE,
                _("Last day of the reporting period (YYYY-MM-DD)."),
            ),
            Column(
                "baseline_value",
                "baseline_value",
                Kind.DECIMAL,
                _("Value before the work started; empty if not reported."),
            ),
            Column(
                "baseline_year",
                "baseline_year",
                Kind.INTEGER,
                _("Year of the baseline value."),
            ),
            Column(
                "target_value",
                "target_value",
                Kind.DECIMAL,
                _("Value aimed at for the period; empty if none was set."),
            ),
            Column(
                "actual_value",
                "actual_value",
                Kind.DECIMAL,
                _(
                    "Value achieved in the period, in the indicator's unit; empty for "
                    "a period with only its target, not reported yet."
                ),
            ),
            Column(
                "percent_of_target",
                PercentOf("actual_value", "target_value"),
                Kind.DECIMAL,
                _(
                    "Computed: actual value × 100 ÷ target, rounded to two decimals; "
                    "empty without a target (or with a target of 0)."
                ),
            ),
            Column(
                "location",
                "location",
                Kind.TEXT,
                _("Region or place the value is for; empty for the whole agreement."),
            ),
            Column(
                "disaggregation",
                "disaggregation",
                Kind.TEXT,
                _("The group the value is for, e.g. women; empty for everyone."),
            ),
            Column(
                "comment",
                "comment",
                Kind.TEXT,
                _("Notes, e.g. where the source is approximate or a period implied."),
            ),
            Column(
                "source",
                "source__title",
                Kind.TEXT,
                _("Title of the document the result was recorded from."),
            ),
            Column(
                "source_url",
                "source__url",
                Kind.TEXT,
                _("Web address of that document, where known."),
            ),
        ),
        staff_columns=(
            Column(
                "status",
                "status",
                Kind.TEXT,
                _("Staff exports only: the workflow status of the result."),
                choices=ResultStatus,
            ),
            publication_column(
                "indicator_publication",
                "indicator__publication",
                _("Staff exports only: the publication state of the indicator."),
            ),
            publication_column(
                "agreement_publication",
                "agreement__publication",
                _("Staff exports only: the publication state of the agreement."),
            ),
            is_public_text(Result),
        ),
        ordering=("indicator__code", "period_start", "pk"),
    )
)
