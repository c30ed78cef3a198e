"""The indicators app's API endpoints: indicators and results (registered with the
grants app's API, grants/api/core.py)."""

from django.utils.translation import gettext_lazy as _

from grants.api.core import Endpoint, Lookup, register
from grants.csv_export import Column, Kind

from .filters import IndicatorFilter, ResultFilter
from .reports import INDICATORS, RESULTS
from .tables import IndicatorTable, ResultTable

register(
    Endpoint.for_report(
        INDICATORS,
        filterset=IndicatorFilter,
        table=IndicatorTable,
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
    Endpoint.for_report(
        RESULTS,
        filterset=ResultFilter,
        table=ResultTable,
        before=(
            Column(
                "id",
                "pk",
                Kind.INTEGER,
                _("Number of the result (its address in this list)."),
            ),
        ),
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
