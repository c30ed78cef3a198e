"""Spreadsheet import of results, keyed by indicator code, agreement code and period
(with location and disaggregation, the rest of the fact's identity)."""

from import_export import fields

from django.utils.translation import gettext as _

from grants import languages
from grants.models import Agreement
from grants.resources import (
    CodeWidget,
    KeyInstanceLoader,
    StaffImportResource,
    StrictIntegerWidget,
    date_field,
    decimal_field,
    text_field,
)

from .models import Indicator, Result
from .workflow import result_as_imported, result_is_locked


class ResultResource(StaffImportResource):
    indicator = fields.Field(
        attribute="indicator", column_name="indicator", widget=CodeWidget(Indicator)
    )
    agreement = fields.Field(
        attribute="agreement",
        column_name="agreement",
        widget=CodeWidget(Agreement, required=False),
    )
    period_start = date_field("period_start")
    period_end = date_field("period_end")
    baseline_value = decimal_field("baseline_value")
    baseline_year = fields.Field(
        attribute="baseline_year",
        column_name="baseline_year",
        widget=StrictIntegerWidget(),
    )
    target_value = decimal_field("target_value")
    actual_value = decimal_field("actual_value")
    location = text_field("location")

    class Meta:
        model = Result
        instance_loader_class = KeyInstanceLoader
        import_id_fields = [
            "indicator",
            "agreement",
            "period_start",
            "period_end",
            "location",
            # A result is found again by its group as written in the original
            # language (grants.languages).
            languages.column("disaggregation", languages.original_language()),
        ]
        fields = [
            "indicator",
            "agreement",
            "period_start",
            "period_end",
            "baseline_value",
            "baseline_year",
            "target_value",
            "actual_value",
            "location",
            *languages.column_names("disaggregation"),
            *languages.column_names("comment"),
        ]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    template_rows = [
        {
            "indicator": "rural-families-improved-living",
            "agreement": "527-0427",
            "period_start": "2023-01-01",
            "period_end": "2023-12-31",
            "target_value": "90000",
            "actual_value": "91500",
            "location": "San Martín",
            "comment_en": "Coffee and cacao families; figure of the annual report.",
            "comment_es": "Familias cafetaleras y cacaoteras; cifra del informe anual.",
        },
        {
            # A period planned, not reported yet: its target and no actual value.
            "indicator": "rural-families-improved-living",
            "agreement": "527-0427",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "target_value": "95000",
            "location": "San Martín",
        },
    ]

    def locked_reason(self, instance):
        if result_is_locked(instance):
            return _(
                "Result %(object)s is %(status)s: a reviewer must return or reopen it "
                "before an import can change it."
            ) % {"object": instance, "status": instance.get_status_display()}
        return ""

    def make_draft(self, instance, user):
        result_as_imported(instance, user=user)
