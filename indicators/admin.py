from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grants.admin import export_selected_csv_action

from .models import Indicator, Result
from .reports import RESULTS


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    fields = [
        "agreement",
        "period_start",
        "period_end",
        "baseline_value",
        "target_value",
        "actual_value",
        "location",
        "disaggregation",
        "status",
    ]
    autocomplete_fields = ["agreement"]
    show_change_link = True


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "program_area",
        "unit",
        "measure",
        "aggregation",
        "publication",
    ]
    list_display_links = ["code", "name"]
    list_select_related = ["program_area"]
    list_filter = ["publication", "program_area", "unit", "measure", "aggregation"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["program_area"]
    prepopulated_fields = {"code": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ResultInline]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = [
        "indicator",
        "agreement",
        "period_start",
        "period_end",
        "actual_value",
        "target_value",
        "unit",
        "location",
        "status",
    ]
    list_select_related = ["indicator", "agreement"]
    list_filter = ["status", "indicator__program_area", "indicator__unit"]
    search_fields = [
        "indicator__code",
        "indicator__name",
        "agreement__code",
        "location",
        "disaggregation",
        "comment",
    ]
    date_hierarchy = "period_start"
    actions = [export_selected_csv_action(RESULTS)]
    autocomplete_fields = ["indicator", "agreement", "source"]
    readonly_fields = [
        "entered_by",
        "approved_by",
        "approved_at",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("unit"), ordering="indicator__unit")
    def unit(self, obj):
        return obj.indicator.get_unit_display()

    def save_model(self, request, obj, form, change):
        if not change and obj.entered_by_id is None:
            obj.entered_by = request.user
        super().save_model(request, obj, form, change)
