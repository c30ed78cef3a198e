from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .admin_import import StaffImportMixin
from .admin_workflow import (
    LockedRowsInlineFormSet,
    PublicationAdminMixin,
    WorkflowAdmin,
    WorkflowInlineMixin,
)
from .cache import remember
from .csv_export import Report, csv_response
from .formatting import money
from .models import (
    Agreement,
    Amendment,
    Budget,
    Organization,
    Participation,
    ProgramArea,
    SourceDocument,
    check_running_totals,
)
from .reports import AGREEMENTS, AMENDMENTS
from .resources import AmendmentResource
from .workflow import can_publish, is_published


def export_selected_csv_action(report: Report):
    """An admin action streaming the selected rows as the report's CSV, drafts
    included, with the staff columns that say which rows the public sees."""

    @admin.action(description=_("Export selected to CSV"), permissions=["view"])
    def export_selected_csv(modeladmin, request, queryset):
        return csv_response(
            report, queryset, public_only=False, filename=report.filename("selected")
        )

    return export_selected_csv


def agreement_currency_filter(field_path):
    """A changelist filter on the agreement's currency whose choices come from a cached
    distinct list (grants/cache.py, `remember`) rather than a DISTINCT over every
    agreement on each page view. Same URL parameter as the default filter."""

    class AgreementCurrencyFilter(admin.SimpleListFilter):
        title = _("currency")
        parameter_name = f"{field_path}__exact"

        def lookups(self, request, model_admin):
            codes = remember(
                "admin-currencies",
                "all",
                lambda: list(
                    Agreement.objects.order_by("currency")
                    .values_list("currency", flat=True)
                    .distinct()
                ),
            )
            return [(code, code) for code in codes]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{field_path: self.value()})
            return queryset

    return AgreementCurrencyFilter


@admin.register(Organization)
class OrganizationAdmin(WorkflowAdmin):
    list_display = ["name", "acronym", "kind", "country", "iati_identifier"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "acronym", "iati_identifier"]


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "published_on", "url"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ProgramArea)
class ProgramAreaAdmin(WorkflowAdmin):
    list_display = ["name", "code", "parent", "dac_sector_code", "display_order"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"code": ["name"]}


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    autocomplete_fields = ["organization"]


class AmendmentInlineFormSet(LockedRowsInlineFormSet):
    def is_locked_for(self, instance, user):
        return is_published(instance) and not can_publish(user, Amendment)

    def needs_reason(self, instance):
        return is_published(instance)

    def locked_reason(self, instance):
        return _("it is published; only a reviewer can change or unpublish it.")

    def clean(self):
        """The running total must stay at or above zero over the amendments as the whole
        form leaves them (edits, additions and deletions together)."""
        super().clean()
        if any(self.errors):
            return
        rows, shown = [], set()
        for form in self.forms:
            if form.instance.pk:
                shown.add(form.instance.pk)
            data = form.cleaned_data
            if not data or self._should_delete_form(form):
                continue
            if data.get("sequence") is not None and data.get("amount") is not None:
                rows.append((data["sequence"], data["amount"]))
        if self.instance.pk:
            rows.extend(
                Amendment.objects.filter(agreement=self.instance)
                .exclude(pk__in=shown)
                .values_list("sequence", "amount")
            )
        check_running_totals(rows)


class AmendmentInline(WorkflowInlineMixin, admin.TabularInline):
    model = Amendment
    formset = AmendmentInlineFormSet
    extra = 0
    fields = [
        "sequence",
        "title",
        "signed_on",
        "period_start",
        "period_end",
        "amount",
        "amount_is_derived",
        "stated_cumulative_total",
        "running_total_display",
        "reconciled_display",
        "source",
        "publication",
        "version",
    ]
    readonly_fields = ["running_total_display", "reconciled_display"]
    autocomplete_fields = ["source"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).with_running_total(public_only=False)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        if not can_publish(request.user, Amendment):
            readonly.append("publication")
        return readonly

    @admin.display(description=_("running total"))
    def running_total_display(self, obj):
        return money(getattr(obj, "running_total", None))

    @admin.display(description=_("reconciled"), boolean=True)
    def reconciled_display(self, obj):
        return getattr(obj, "reconciled", None)


@admin.register(Agreement)
class AgreementAdmin(PublicationAdminMixin, WorkflowAdmin):
    list_display = [
        "code",
        "title",
        "donor",
        "recipient",
        "currency",
        "total_display",
        "reconciled_display",
        "status",
        "publication",
        "published_at",
    ]
    list_display_links = ["code", "title"]
    list_select_related = ["donor", "recipient"]
    list_filter = [
        "publication",
        "status",
        "kind",
        agreement_currency_filter("currency"),
        "program_areas",
    ]
    search_fields = [
        "code",
        "title",
        "donor__name",
        "donor__acronym",
        "recipient__name",
        "iati_identifier",
    ]
    autocomplete_fields = [
        "framework",
        "donor",
        "recipient",
        "program_areas",
        "source_documents",
    ]
    readonly_fields = [
        "total_display",
        "reconciled_display",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["code", "title", "kind", "status", "framework", "summary"]}),
        (_("IATI"), {"fields": ["iati_identifier"], "classes": ["collapse"]}),
        (_("Parties"), {"fields": ["donor", "recipient"]}),
        (_("Dates"), {"fields": ["signed_on", "start_on", "end_on"]}),
        (
            _("Money"),
            {"fields": ["currency", "total_display", "reconciled_display"]},
        ),
        (
            _("Program areas and sources"),
            {"fields": ["program_areas", "source_documents"]},
        ),
        (
            _("Publication"),
            {"fields": ["publication", "published_at", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ParticipationInline, AmendmentInline]
    actions = [
        export_selected_csv_action(AGREEMENTS),
        "publish_selected",
        "unpublish_selected",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_total(public_only=False)
            .with_reconciliation(public_only=False)
        )

    @admin.display(description=_("total (all amendments)"), ordering="total")
    def total_display(self, obj):
        return f"{obj.currency} {money(getattr(obj, 'total', None))}"

    @admin.display(
        description=_("reconciled"), boolean=True, ordering="unreconciled_count"
    )
    def reconciled_display(self, obj):
        return getattr(obj, "unreconciled_count", 0) == 0


@admin.register(Amendment)
class AmendmentAdmin(StaffImportMixin, PublicationAdminMixin, WorkflowAdmin):
    list_display = [
        "agreement",
        "sequence",
        "title",
        "amount_display",
        "running_total_display",
        "stated_total_display",
        "reconciled",
        "publication",
        "published_at",
    ]
    list_display_links = ["agreement", "sequence", "title"]
    list_select_related = ["agreement"]
    list_filter = [
        "publication",
        agreement_currency_filter("agreement__currency"),
        "amount_is_derived",
    ]
    search_fields = ["agreement__code", "agreement__title", "title", "description"]
    autocomplete_fields = ["agreement", "source"]
    readonly_fields = ["running_total_display", "created_at", "updated_at"]
    actions = [
        export_selected_csv_action(AMENDMENTS),
        "publish_selected",
        "unpublish_selected",
    ]
    resource_classes = [AmendmentResource]

    def get_queryset(self, request):
        return super().get_queryset(request).with_running_total(public_only=False)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return f"{obj.agreement.currency} {money(obj.amount)}"

    @admin.display(description=_("running total"), ordering="running_total")
    def running_total_display(self, obj):
        return money(getattr(obj, "running_total", None))

    @admin.display(description=_("stated total"), ordering="stated_cumulative_total")
    def stated_total_display(self, obj):
        return money(obj.stated_cumulative_total)

    @admin.display(description=_("reconciled"), boolean=True, ordering="reconciled")
    def reconciled(self, obj):
        return getattr(obj, "reconciled", None)

    def get_deleted_objects(self, objs, request):
        """Refuse, with the reason on the confirmation page, a deletion that would make an
        agreement's running total negative."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        doomed = {obj.pk for obj in objs}
        agreement_ids = (
            Amendment.objects.filter(pk__in=doomed)
            .values("agreement")
            .annotate(n=Count("pk"))
            .values_list("agreement", flat=True)
        )
        for agreement_id in agreement_ids:
            rows = (
                Amendment.objects.filter(agreement_id=agreement_id)
                .exclude(pk__in=doomed)
                .values_list("sequence", "amount")
            )
            try:
                check_running_totals(rows)
            except ValidationError as error:
                protected = [*protected, *error.messages]
        return deleted, counts, perms_needed, protected


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """Budgets kept as information (e.g. from an IATI import); never in totals."""

    list_display = [
        "agreement",
        "budget_type",
        "status",
        "period_start",
        "period_end",
        "amount",
        "currency",
    ]
    list_select_related = ["agreement"]
    list_filter = ["budget_type", "status", "currency"]
    search_fields = ["agreement__code", "agreement__title"]
    autocomplete_fields = ["agreement"]
    date_hierarchy = "period_start"
