"""The indicators app's API endpoints: indicators and results (registered with the
grants app's API, grants/api/core.py)."""

from django.utils.translation import gettext_lazy as _

from grants.api.core import Endpoint, Lookup, register
from grants.csv_export import Column, Kind

from .filters import IndicatorFilter, ResultFilter
from .reports import INDICATORS, RESULTS
from .tables import IndicatorTable, ResultTable

register(
    Endpoint(
        name="indicators",
        title=_("Indicators"),
        description=INDICATORS.description,
        filterset=IndicatorFilter,
        table=IndicatorTable,
        columns=INDICATORS.columns,
        translated=("name", "description", "program_area"),
        lookups=(
            Lookup(
                "code",
                "code",
                description=_(
                    "Short identifier of the indicator, used in web addresses."
                ),
            ),
        ),
        example="unit=people",
        detail_example="rural-families-improved-living/",
    )
)

register(
    Endpoint(
        name="results",
        title=_("Results"),
        description=RESULTS.description,
        filterset=ResultFilter,
        table=ResultTable,
        columns=(
            Column(
                "id",
                "pk",
                Kind.INTEGER,
                _("Number of the result (its address in this list)."),
            ),
            *RESULTS.columns,
        ),
        translated=("indicator", "program_area", "comment"),
        lookups=(
            Lookup(
                "id",
                "pk",
                "int",
                description=_("Number of the result (its address in this list)."),
            ),
        ),
        example="indicator=rural-families-improved-living&period_year=2022",
        detail_example="1/",
    )
)
