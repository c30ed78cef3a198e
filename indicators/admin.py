from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from grants.admin import export_selected_csv_action
from grants.admin_import import StaffImportMixin
from grants.admin_languages import RecordTextsAdmin, RecordTextsTabularInline
from grants.admin_workflow import (
    LockedRowsInlineFormSet,
    PublicationAdminMixin,
    WorkflowAdmin,
    WorkflowInlineMixin,
    ask_reason_then,
    run_all_or_nothing,
)
from grants.formatting import reported

from .models import NEWEST_FIRST, Indicator, Result, ResultStatus
from .reports import RESULTS
from .resources import ResultResource
from .workflow import (
    REVIEW_FIELDS,
    can_review,
    result_approve,
    result_is_locked_for,
    result_locked_reason,
    result_may_start_as,
    result_needs_reason,
    result_reopen,
    result_return,
    result_review_changed,
    result_state_note,
    result_submit,
)

# Shown, never typed: the workflow's (REVIEW_FIELDS) and who entered the result.
WORKFLOW_FIELDS = [*REVIEW_FIELDS[:2], "entered_by", *REVIEW_FIELDS[2:]]


class ResultInlineFormSet(LockedRowsInlineFormSet):
    def is_locked_for(self, instance, user):
        return result_is_locked_for(instance, user)

    def needs_reason(self, instance):
        return result_needs_reason(instance)

    def locked_reason(self, instance):
        return result_locked_reason(instance)


class ResultInline(WorkflowInlineMixin, RecordTextsTabularInline):
    model = Result
    formset = ResultInlineFormSet
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
        "version",
    ]
    readonly_fields = ["status"]
    autocomplete_fields = ["agreement"]
    show_change_link = True


@admin.register(Indicator)
class IndicatorAdmin(PublicationAdminMixin, WorkflowAdmin, RecordTextsAdmin):
    list_display = [
        "code",
        "name",
        "program_area",
        "unit",
        "measure",
        "aggregation",
        "publication",
        "published_at",
    ]
    list_display_links = ["code", "name"]
    list_select_related = ["program_area"]
    list_filter = ["publication", "program_area", "unit", "measure", "aggregation"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["program_area"]
    prepopulated_fields = {"code": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ResultInline]
    actions = ["publish_selected", "unpublish_selected"]

    def before_inline_save(self, request, obj):
        if isinstance(obj, Result) and obj.pk is None and obj.entered_by_id is None:
            obj.entered_by = request.user


@admin.register(Result)
class ResultAdmin(StaffImportMixin, WorkflowAdmin, RecordTextsAdmin):
    list_display = [
        "indicator_display",
        "agreement_code",
        "period_display",
        "value_display",
        "status",
        "entered_by",
        "approved_display",
        "locked_list_display",
    ]
    list_display_links = ["indicator_display"]
    list_select_related = ["indicator", "agreement", "entered_by", "approved_by"]
    list_filter = [
        "status",
        # Empty: a period with only its target, not reported yet.
        ("actual_value", admin.EmptyFieldListFilter),
        "indicator__program_area",
        "indicator__unit",
    ]
    search_fields = [
        "indicator__code",
        "indicator__name",
        "agreement__code",
        "location",
        "disaggregation",
        "comment",
    ]
    # Newest first, as the public list: read backwards from an index
    # (indicators_result_newest), not sorted over a million rows. Any column
    # header still sorts by that column.
    ordering = list(NEWEST_FIRST)
    # No date_hierarchy: its MIN/MAX and DISTINCT over a million results cost close
    # to a second on every page view.
    autocomplete_fields = ["indicator", "agreement", "source"]
    readonly_fields = [
        "locked_display",
        *WORKFLOW_FIELDS,
        "created_at",
        "updated_at",
    ]
    actions = [
        export_selected_csv_action(RESULTS),
        "submit_selected",
        "approve_selected",
        "return_selected",
        "reopen_selected",
    ]
    resource_classes = [ResultResource]

    @admin.display(description=gettext_lazy("agreement"), ordering="agreement__code")
    def agreement_code(self, obj):
        return obj.agreement.code if obj.agreement else "—"

    @admin.display(description=gettext_lazy("indicator"), ordering="indicator__name")
    def indicator_display(self, obj):
        return Truncator(obj.indicator.name).chars(45)

    @admin.display(description=gettext_lazy("approved"), ordering="approved_at")
    def approved_display(self, obj):
        if obj.status != ResultStatus.APPROVED or obj.approved_at is None:
            return "—"
        when = timezone.localtime(obj.approved_at).strftime("%Y-%m-%d")
        return f"{obj.approved_by} · {when}" if obj.approved_by else when

    @admin.display(description=gettext_lazy("period"), ordering="period_start")
    def period_display(self, obj):
        return f"{obj.period_start:%Y-%m-%d} – {obj.period_end:%Y-%m-%d}"

    @admin.display(description=gettext_lazy("actual value"), ordering="actual_value")
    def value_display(self, obj):
        if obj.actual_value is None:
            return reported(None)
        value = number_format(obj.actual_value, force_grouping=True)
        return f"{value} {obj.indicator.get_unit_display()}"

    @admin.display(description=gettext_lazy("why locked"))
    def locked_list_display(self, obj):
        """The short form for the list; the change page gives the whole sentence."""
        return Truncator(result_state_note(obj, short=True)).chars(80) or "—"

    @admin.display(description=gettext_lazy("why locked"))
    def locked_display(self, obj):
        return result_state_note(obj) or "—"

    def describe(self, obj):
        """A result as the reason page names it: what, when, where, how much."""
        where = ", ".join(part for part in [obj.location, obj.disaggregation] if part)
        return " · ".join(
            part
            for part in [
                obj.indicator.name,
                self.period_display(obj),
                where,
                self.value_display(obj),
                obj.agreement.code if obj.agreement else "",
            ]
            if part
        )

    def has_approve_permission(self, request):
        return can_review(request.user)

    def record_needs_reason(self, obj):
        return result_needs_reason(obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and result_is_locked_for(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and result_is_locked_for(obj, request.user):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        stored = Result.objects.filter(pk=obj.pk).first() if change else None
        if stored is None:
            if not result_may_start_as(obj.status):
                raise PermissionDenied
            obj.entered_by = request.user
        elif result_review_changed(obj, stored):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    @admin.action(
        description=gettext_lazy("Submit selected for review"), permissions=["change"]
    )
    def submit_selected(self, request, queryset):
        run_all_or_nothing(
            self,
            request,
            list(queryset),
            lambda result: result_submit(result=result, user=request.user),
            lambda n: (
                ngettext(
                    "Submitted %(n)d result for review.",
                    "Submitted %(n)d results for review.",
                    n,
                )
                % {"n": n}
            ),
        )

    @admin.action(description=gettext_lazy("Approve selected"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        run_all_or_nothing(
            self,
            request,
            list(queryset),
            lambda result: result_approve(result=result, user=request.user),
            lambda n: (
                ngettext("Approved %(n)d result.", "Approved %(n)d results.", n)
                % {"n": n}
            ),
        )

    @admin.action(
        description=gettext_lazy("Return selected to the official (asks for a reason)"),
        permissions=["approve"],
    )
    def return_selected(self, request, queryset):
        return ask_reason_then(
            self,
            request,
            queryset,
            title=_("Why return these results?"),
            step=lambda result, reason: result_return(
                result=result, user=request.user, reason=reason
            ),
            done_message=lambda n: (
                ngettext("Returned %(n)d result.", "Returned %(n)d results.", n)
                % {"n": n}
            ),
        )

    @admin.action(
        description=gettext_lazy(
            "Reopen selected approved results (asks for a reason)"
        ),
        permissions=["approve"],
    )
    def reopen_selected(self, request, queryset):
        return ask_reason_then(
            self,
            request,
            queryset,
            title=_("Why reopen these results?"),
            step=lambda result, reason: result_reopen(
                result=result, user=request.user, reason=reason
            ),
            done_message=lambda n: (
                ngettext("Reopened %(n)d result.", "Reopened %(n)d results.", n)
                % {"n": n}
            ),
        )
