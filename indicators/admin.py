from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.admin_import import StaffImportMixin
from grants.admin_workflow import (
    LockedRowsInlineFormSet,
    PublicationAdminMixin,
    WorkflowAdmin,
    WorkflowInlineMixin,
    ask_reason_then,
    run_all_or_nothing,
)

from .models import Indicator, Result, ResultStatus
from .resources import ResultResource
from .workflow import (
    can_review,
    result_approve,
    result_is_locked_for,
    result_locked_reason,
    result_reopen,
    result_return,
    result_submit,
)

# Status and the reviewer's fields change only through the workflow actions, which
# record who, when and why.
WORKFLOW_FIELDS = [
    "status",
    "return_reason",
    "entered_by",
    "approved_by",
    "approved_at",
]


class ResultInlineFormSet(LockedRowsInlineFormSet):
    def is_locked_for(self, instance, user):
        return result_is_locked_for(instance, user)

    def needs_reason(self, instance):
        return instance.status == ResultStatus.APPROVED

    def locked_reason(self, instance):
        return result_locked_reason(instance)


class ResultInline(WorkflowInlineMixin, admin.TabularInline):
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
class IndicatorAdmin(PublicationAdminMixin, WorkflowAdmin):
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
class ResultAdmin(StaffImportMixin, WorkflowAdmin):
    list_display = [
        "indicator",
        "agreement",
        "period_start",
        "period_end",
        "actual_value",
        "unit",
        "status",
        "entered_by",
        "approved_by",
        "approved_at",
        "locked_display",
    ]
    list_select_related = ["indicator", "agreement", "entered_by", "approved_by"]
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
    autocomplete_fields = ["indicator", "agreement", "source"]
    readonly_fields = [
        "locked_display",
        *WORKFLOW_FIELDS,
        "created_at",
        "updated_at",
    ]
    actions = [
        "submit_selected",
        "approve_selected",
        "return_selected",
        "reopen_selected",
    ]
    resource_classes = [ResultResource]

    @admin.display(description=_("unit"), ordering="indicator__unit")
    def unit(self, obj):
        return obj.indicator.get_unit_display()

    @admin.display(description=gettext_lazy("why locked"))
    def locked_display(self, obj):
        if obj.status == ResultStatus.RETURNED:
            return _("Returned: %(reason)s") % {"reason": obj.return_reason}
        return result_locked_reason(obj) or "—"

    def has_approve_permission(self, request):
        return can_review(request.user)

    def record_needs_reason(self, obj):
        return obj.status == ResultStatus.APPROVED

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
            # A new result always starts as a draft by the person entering it.
            if obj.status != ResultStatus.DRAFT:
                raise PermissionDenied
            obj.entered_by = request.user
        elif any(
            getattr(obj, name) != getattr(stored, name)
            for name in ["status", "return_reason", "approved_by_id", "approved_at"]
        ):
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
            _("Submitted %(n)d result(s) for review."),
        )

    @admin.action(description=gettext_lazy("Approve selected"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        run_all_or_nothing(
            self,
            request,
            list(queryset),
            lambda result: result_approve(result=result, user=request.user),
            _("Approved %(n)d result(s)."),
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
            done_message=_("Returned %(n)d result(s)."),
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
            done_message=_("Reopened %(n)d result(s)."),
        )
