from dataclasses import replace

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import ledger
from .admin_import import StaffImportMixin
from .admin_languages import (
    RecordTextsAdmin,
    RecordTextsStackedInline,
    RecordTextsTabularInline,
)
from .admin_workflow import (
    LockedRowsInlineFormSet,
    PublicationAdminMixin,
    PublicFactAdminMixin,
    VersionedAdminForm,
    WorkflowAdmin,
    WorkflowInlineMixin,
    published_message,
    run_all_or_nothing,
)
from .cache import remember
from .csv_export import Report, csv_response
from .formatting import NOTHING, money, reconciled, reconciliation, share_text
from .forms import AmountField
from .models import (
    PAYMENTS_NEWEST_FIRST,
    Agreement,
    Amendment,
    Budget,
    Disbursement,
    Organization,
    Participation,
    ProgramArea,
    SourceDocument,
)
from .reports import AGREEMENTS, AMENDMENTS, DISBURSEMENTS
from .resources import AmendmentResource, DisbursementResource
from .workflow import (
    agreement_facts_are_public,
    agreement_publish,
    can_change_public_facts,
    can_publish,
    is_public_state,
    is_published,
    public_fact_is_locked_for,
    publication_is_locked_for,
    publication_needs_reason,
    publish_draft_amendments,
)


def export_selected_csv_action(report: Report):
    """An admin action streaming the selected rows as the report's CSV, drafts
    included, with the staff columns that say which rows the public sees.

    Not django-import-export's export action: it builds the whole file in memory
    with the resource's columns, where this streams the report's (the public CSV's)."""

    @admin.action(description=_("Export selected to CSV"), permissions=["view"])
    def export_selected_csv(modeladmin, request, queryset):
        return csv_response(
            report, queryset, include_drafts=True, filename=report.filename("selected")
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


# Amounts are typed in text inputs and read in either convention (grants/forms.py).
AMOUNT_FIELDS = {models.DecimalField: {"form_class": AmountField}}


class ReferenceConflictFilter(admin.SimpleListFilter):
    """Organizations an IATI import kept apart because another one, with another
    name, holds the reference their publisher gave them: candidates to merge."""

    title = _("IATI reference")
    parameter_name = "reference"
    CONFLICT = "conflict"

    def lookups(self, request, model_admin):
        return [(self.CONFLICT, _("same reference, different names"))]

    def queryset(self, request, queryset):
        if self.value() != self.CONFLICT:
            return queryset
        ref = OuterRef("reported_ref")
        holders = Organization.objects.filter(
            Q(iati_identifier=ref) | Q(reported_ref=ref),
            ~Q(name=OuterRef("name")),
        )
        claimed = Organization.objects.exclude(reported_ref="").filter(
            reported_ref=OuterRef("iati_identifier")
        )
        return queryset.filter(
            (~Q(reported_ref="") & Exists(holders))
            | (Q(iati_identifier__isnull=False) & Exists(claimed))
        )


@admin.register(Organization)
class OrganizationAdmin(PublicFactAdminMixin, WorkflowAdmin, RecordTextsAdmin):
    list_display = [
        "name",
        "acronym",
        "kind",
        "country",
        "iati_identifier",
        "reported_ref",
    ]
    list_filter = [ReferenceConflictFilter, "kind", "country"]
    search_fields = ["name", "acronym", "iati_identifier", "reported_ref"]


@admin.register(SourceDocument)
class SourceDocumentAdmin(PublicFactAdminMixin, WorkflowAdmin, RecordTextsAdmin):
    list_display = ["title", "publisher", "published_on", "url"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ProgramArea)
class ProgramAreaAdmin(PublicFactAdminMixin, WorkflowAdmin, RecordTextsAdmin):
    list_display = ["name", "code", "parent", "dac_sector_code", "display_order"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"code": ["name"]}


class ParticipationInlineFormSet(LockedRowsInlineFormSet):
    """Participants of a published agreement are public facts: reviewers only, with
    the agreement form's reason, whether a row is changed, removed or added."""

    def is_locked_for(self, instance, user):
        return public_fact_is_locked_for(
            user, public=agreement_facts_are_public(self.instance)
        )

    def needs_reason(self, instance):
        return agreement_facts_are_public(self.instance)

    def clean(self):
        super().clean()
        added = [
            form
            for form in self.forms
            if form.instance.pk is None
            and form.has_changed()
            and not self._should_delete_form(form)
        ]
        if added and self.instance.pk:
            placeholder = Participation(agreement=self.instance)
            if self.is_locked_for(placeholder, self.request.user):
                raise ValidationError(
                    _("Only a reviewer can add participants to a published agreement.")
                )
            if (
                self.needs_reason(placeholder)
                and not (self.request.POST.get("change_reason") or "").strip()
            ):
                raise ValidationError(
                    _(
                        "The agreement is published: give a reason for adding a "
                        "participant in the “Reason for this change” box."
                    )
                )


class ParticipationInline(WorkflowInlineMixin, admin.TabularInline):
    model = Participation
    formset = ParticipationInlineFormSet
    extra = 0
    autocomplete_fields = ["organization"]


def submitted_entry(form) -> ledger.Entry | None:
    """An amendment as its form leaves it (None when the form lacks what the rule
    needs: its own errors say so). Publication is the stored one where the field
    is read-only for this user."""
    data = form.cleaned_data
    instance = form.instance
    sequence, amount = data.get("sequence"), data.get("amount")
    if sequence is None or amount is None:
        return None
    publication = data.get("publication", instance.publication)
    return ledger.Entry(
        sequence=sequence,
        amount=amount,
        published=is_public_state(publication),
        stated=data.get("stated_cumulative_total", instance.stated_cumulative_total),
        key=instance.pk,
    )


class LedgerRowsInlineFormSet(LockedRowsInlineFormSet):
    """The rows of an agreement the ledger totals (amendments, payments): a published
    one is a reviewer's to change, with a reason."""

    def is_locked_for(self, instance, user):
        return publication_is_locked_for(instance, user)

    def needs_reason(self, instance):
        return publication_needs_reason(instance)

    def locked_reason(self, instance):
        return _("it is published; only a reviewer can change or unpublish it.")

    def submitted(self, row_of):
        """The rows as the whole form leaves them (`row_of(form)`: edited and new
        ones) and the keys of the rows marked for deletion."""
        rows, removed = [], []
        for form in self.forms:
            if self._should_delete_form(form):
                if form.instance.pk:
                    removed.append(form.instance.pk)
                continue
            if not form.has_changed() and form.instance.pk is None:
                continue
            row = row_of(form)
            if row is not None:
                rows.append(row)
        return rows, removed


class AmendmentInlineFormSet(LedgerRowsInlineFormSet):
    def clean(self):
        """The ledger's rule over the amendments as the whole form leaves them: edited
        rows with their new amounts, signs and publication, new rows, rows marked for
        deletion gone, and the drafts published too when the agreement's form asks
        for it (AgreementForm.publish_drafts)."""
        super().clean()
        if any(self.errors):
            return
        entries, removed = self.submitted(submitted_entry)
        ledger.check_changes(
            self.instance,
            entries=entries,
            removed=removed,
            publish_drafts=publishes_drafts(self.request),
        )


def submitted_payment(form) -> ledger.Payment | None:
    """A disbursement as its form leaves it (None when the form lacks what the rule
    needs: its own errors say so)."""
    data = form.cleaned_data
    instance = form.instance
    kind, day, amount = data.get("kind"), data.get("date"), data.get("amount")
    if kind is None or day is None or amount is None:
        return None
    publication = data.get("publication", instance.publication)
    return ledger.Payment(
        kind=kind,
        date=day,
        amount=amount,
        published=is_public_state(publication),
        key=instance.pk,
    )


class DisbursementInlineFormSet(LedgerRowsInlineFormSet):
    def clean(self):
        """The ledger's rule over the payments as the whole form leaves them."""
        super().clean()
        if any(self.errors):
            return
        payments, removed = self.submitted(submitted_payment)
        ledger.check_changes(self.instance, payments=payments, removed_payments=removed)


class DisbursementInline(WorkflowInlineMixin, RecordTextsTabularInline):
    """Quick entry of payments on the agreement's form; the provider, the receiver
    and the source are set on each payment's own form (the link on the row), so the
    rows fit the width of a laptop's screen."""

    model = Disbursement
    formset = DisbursementInlineFormSet
    extra = 0
    fields = ["kind", "date", "amount", "description", "publication", "version"]
    show_change_link = True
    formfield_overrides = {
        **AMOUNT_FIELDS,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})},
    }

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        if not can_publish(request.user, Disbursement):
            readonly.append("publication")
        return readonly


class AmendmentInline(WorkflowInlineMixin, RecordTextsStackedInline):
    """Stacked, a few fields a line, so the agreement form fits a 1,366 px screen
    with the admin's navigation open (thirteen columns in a row needed 2,300)."""

    model = Amendment
    formset = AmendmentInlineFormSet
    extra = 0
    fields = [
        ("sequence", "title", "publication"),
        ("signed_on", "period_start", "period_end"),
        ("amount", "amount_is_derived", "stated_cumulative_total"),
        ("running_total_display", "reconciled_display"),
        "source",
        "version",
    ]
    readonly_fields = ["running_total_display", "reconciled_display"]
    autocomplete_fields = ["source"]
    show_change_link = True
    formfield_overrides = AMOUNT_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).with_figures(include_drafts=True)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        if not can_publish(request.user, Amendment):
            readonly.append("publication")
        return readonly

    @admin.display(description=_("running total"))
    def running_total_display(self, obj):
        return money(obj.running_total) if obj.pk else NOTHING

    @admin.display(description=_("reconciled"))
    def reconciled_display(self, obj):
        return reconciled(obj.reconciled) if obj.pk else NOTHING


class AmendmentForm(VersionedAdminForm):
    def clean(self):
        """The ledger's rule over the agreement's amendments with this one as the form
        leaves it (its amount, sign, sequence and publication)."""
        cleaned = super().clean()
        agreement = cleaned.get("agreement") or getattr(
            self.instance, "agreement", None
        )
        entry = submitted_entry(self)
        if agreement is None or entry is None or self.errors:
            return cleaned
        if self.instance.pk and self.instance.agreement_id != agreement.pk:
            # Moved to another agreement: the old one loses it.
            ledger.check_changes(self.instance.agreement, removed=[self.instance.pk])
            entry = replace(entry, key=None)
        ledger.check_changes(agreement, entries=[entry])
        return cleaned


PUBLISH_DRAFTS_FIELD = "publish_drafts"


def publishes_drafts(request) -> bool:
    """Whether the agreement's form asks to publish its draft amendments as well."""
    return bool(request.POST.get(PUBLISH_DRAFTS_FIELD)) and is_public_state(
        request.POST.get("publication")
    )


class AgreementForm(VersionedAdminForm):
    publish_drafts = forms.BooleanField(
        label=_("Also publish its draft amendments"),
        required=False,
        help_text=_(
            "With the agreement, in sequence order, all or nothing: the public total "
            "then includes them. Leave it unticked to publish the amendments one by "
            "one later."
        ),
    )


def stated_rows(rows, parts):
    """One line per row the publisher states: its name, code and share."""
    if not rows:
        return NOTHING
    return format_html_join(
        "",
        "<div>{} ({}){}</div>",
        (
            (
                *parts(row),
                f": {row.percentage.normalize():f} %"
                if row.percentage is not None
                else "",
            )
            for row in rows
        ),
    )


class PublisherFilter(admin.SimpleListFilter):
    title = _("published by")
    parameter_name = "publisher"

    def lookups(self, request, model_admin):
        return [("own", _("our own record")), ("other", _("another IATI publisher"))]

    def queryset(self, request, queryset):
        if self.value() == "own":
            return queryset.filter(reporting_org_ref="")
        if self.value() == "other":
            return queryset.exclude(reporting_org_ref="")
        return queryset


@admin.register(Agreement)
class AgreementAdmin(PublicationAdminMixin, WorkflowAdmin, RecordTextsAdmin):
    list_display = [
        "code",
        "title",
        "donor",
        "recipient",
        "currency",
        "total_display",
        "disbursed_display",
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
        "earlier_transactions_unpublished",
        PublisherFilter,
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
        "disbursed_display",
        "reconciled_display",
        "created_at",
        "updated_at",
        # Set by the IATI import from the publisher's file, never typed.
        "earlier_transactions_unpublished",
        "reporting_org_ref",
        "reporting_org_name",
        "source_file",
        "imported_at",
        "stated_areas_display",
        "stated_sectors_display",
    ]
    fieldsets = [
        (None, {"fields": ["code", "title", "kind", "status", "framework", "summary"]}),
        (
            _("IATI"),
            {
                "fields": [
                    "iati_identifier",
                    "reporting_org_ref",
                    "reporting_org_name",
                    "source_file",
                    "imported_at",
                    "earlier_transactions_unpublished",
                    "stated_areas_display",
                    "stated_sectors_display",
                ]
            },
        ),
        (_("Parties"), {"fields": ["donor", "recipient"]}),
        (_("Dates"), {"fields": ["signed_on", "start_on", "end_on"]}),
        (
            _("Money"),
            {
                "fields": [
                    "currency",
                    "total_display",
                    "reconciled_display",
                    "disbursed_display",
                ]
            },
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
    inlines = [ParticipationInline, AmendmentInline, DisbursementInline]
    actions = [
        export_selected_csv_action(AGREEMENTS),
        "publish_selected",
        "unpublish_selected",
    ]

    form = AgreementForm
    formfield_overrides = AMOUNT_FIELDS

    # Written by the IATI import only: nothing to show on the add form.
    IMPORT_ONLY_FIELDS = (
        "reporting_org_ref",
        "reporting_org_name",
        "source_file",
        "imported_at",
        "earlier_transactions_unpublished",
        "stated_areas_display",
        "stated_sectors_display",
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            fieldsets = [
                (
                    name,
                    {
                        **options,
                        "fields": [
                            f
                            for f in options["fields"]
                            if f not in self.IMPORT_ONLY_FIELDS
                        ],
                    },
                )
                for name, options in fieldsets
            ]
        if not self.can_publish(request) or (
            obj is not None and not self.has_change_permission(request, obj)
        ):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        *options["fields"],
                        *(
                            [PUBLISH_DRAFTS_FIELD]
                            if "publication" in options["fields"]
                            else []
                        ),
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description=_("recipient countries and regions"))
    def stated_areas_display(self, obj):
        """As the publisher's file states them: shown, never typed (a re-import
        replaces them)."""
        rows = list(obj.recipient_areas.all()) if obj.pk else []
        return stated_rows(rows, lambda a: (a.display_name, a.code))

    @admin.display(description=_("sectors"))
    def stated_sectors_display(self, obj):
        rows = list(obj.sectors.all()) if obj.pk else []
        return stated_rows(rows, lambda s: (s.display_name, s.label))

    @admin.display(description=_("total (all amendments)"), ordering="total")
    def total_display(self, obj):
        if obj.pk is None:
            return NOTHING  # the add form: nothing to total yet
        return f"{obj.currency} {money(obj.total)}"

    @admin.display(description=_("disbursed (all)"), ordering="disbursed")
    def disbursed_display(self, obj):
        if obj.pk is None or not obj.disbursement_count:
            return NOTHING
        text = (
            f"{obj.currency} {money(obj.disbursed)} ({share_text(obj.disbursed_share)})"
        )
        if obj.disbursed > obj.total:
            return format_html(
                '{} <span class="flag">⚠ {}</span>', text, _("more than committed")
            )
        return text

    @admin.display(description=_("reconciliation"), ordering="unreconciled_count")
    def reconciled_display(self, obj):
        if obj.pk is None:
            return NOTHING  # the add form: nothing to reconcile yet
        return reconciliation(stated=obj.stated_count, differing=obj.unreconciled_count)

    def save_related(self, request, form, formsets, change):
        """The amendment rows and, when asked, the drafts' publication: one step for
        the ledger (grants/ledger.py, `batch`), checked as a whole at the end."""
        with ledger.batch():
            super().save_related(request, form, formsets, change)
            if form.cleaned_data.get(PUBLISH_DRAFTS_FIELD) and is_published(
                form.instance
            ):
                publish_draft_amendments(agreement=form.instance, user=request.user)

    @admin.action(description=_("Publish selected"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        """Publish the agreements, and their draft amendments too when the reviewer
        says so on the page this asks first (if any has drafts)."""
        agreements = list(queryset.order_by("code", "pk"))
        drafts = {}
        for amendment in (
            Amendment.objects.filter(agreement__in=agreements)
            .drafts()
            .order_by("agreement_id", "sequence")
        ):
            drafts.setdefault(amendment.agreement_id, []).append(amendment)
        if drafts and "apply" not in request.POST:
            return TemplateResponse(
                request,
                "admin/workflow/publish_agreements.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Publish agreements"),
                    "rows": [(a, drafts.get(a.pk, [])) for a in agreements],
                    "opts": self.model._meta,
                    "action": request.POST.get("action"),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "field": PUBLISH_DRAFTS_FIELD,
                },
            )
        with_drafts = bool(request.POST.get(PUBLISH_DRAFTS_FIELD))

        run_all_or_nothing(
            self,
            request,
            agreements,
            lambda agreement: agreement_publish(
                agreement=agreement,
                user=request.user,
                with_drafts=with_drafts and bool(drafts.get(agreement.pk)),
            ),
            published_message,
        )
        return None


class LedgerDeletionMixin:
    """Refuse, with the reason on the confirmation page, a deletion that would take a
    running, disbursed or spent total below zero, public or not. `removed_as` names
    the rows for `ledger.check_changes` (`removed`, `removed_payments`)."""

    removed_as = ""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        doomed = {}
        for row in objs:
            doomed.setdefault(row.agreement, []).append(row.pk)
        for agreement, removed in doomed.items():
            try:
                ledger.check_changes(agreement, **{self.removed_as: removed})
            except ValidationError as error:
                protected = [
                    *protected,
                    *(f"{agreement.code}: {message}" for message in error.messages),
                ]
        return deleted, counts, perms_needed, protected


@admin.register(Amendment)
class AmendmentAdmin(
    LedgerDeletionMixin,
    StaffImportMixin,
    PublicationAdminMixin,
    WorkflowAdmin,
    RecordTextsAdmin,
):
    removed_as = "removed"
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
    form = AmendmentForm
    formfield_overrides = AMOUNT_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).with_figures(include_drafts=True)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return f"{obj.agreement.currency} {money(obj.amount)}"

    @admin.display(description=_("running total"), ordering="running_total")
    def running_total_display(self, obj):
        return money(obj.running_total) if obj.pk else NOTHING

    @admin.display(description=_("stated total"), ordering="stated_cumulative_total")
    def stated_total_display(self, obj):
        return money(obj.stated_cumulative_total)

    @admin.display(description=_("reconciled"), boolean=True, ordering="reconciled")
    def reconciled(self, obj):
        return getattr(obj, "reconciled", None)


class BudgetAdminForm(VersionedAdminForm):
    # Set by BudgetAdmin.get_form.
    may_change_public_facts = False

    def clean(self):
        cleaned = super().clean()
        agreement = cleaned.get("agreement")
        if (
            agreement is not None
            and agreement_facts_are_public(agreement)
            and not self.may_change_public_facts
        ):
            self.add_error(
                "agreement",
                _("Only a reviewer can add or move a budget to a published agreement."),
            )
        return cleaned


@admin.register(Budget)
class BudgetAdmin(PublicFactAdminMixin, WorkflowAdmin):
    """Budgets kept as information (e.g. from an IATI import); never in totals. Those
    of a published agreement are public: reviewers only, with a reason."""

    form = BudgetAdminForm

    formfield_overrides = AMOUNT_FIELDS
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

    def is_public_fact(self, obj):
        return agreement_facts_are_public(obj.agreement)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.may_change_public_facts = can_change_public_facts(request.user)
        return form


class DisbursementForm(VersionedAdminForm):
    def clean(self):
        """The ledger's rule over the agreement's payments with this one as the form
        leaves it (its kind, date, amount and publication)."""
        cleaned = super().clean()
        agreement = cleaned.get("agreement") or getattr(
            self.instance, "agreement", None
        )
        payment = submitted_payment(self)
        if agreement is None or payment is None or self.errors:
            return cleaned
        if self.instance.pk and self.instance.agreement_id != agreement.pk:
            # Moved to another agreement: the old one loses it.
            ledger.check_changes(
                self.instance.agreement, removed_payments=[self.instance.pk]
            )
            payment = replace(payment, key=None)
        ledger.check_changes(agreement, payments=[payment])
        return cleaned


@admin.register(Disbursement)
class DisbursementAdmin(
    LedgerDeletionMixin,
    StaffImportMixin,
    PublicationAdminMixin,
    WorkflowAdmin,
    RecordTextsAdmin,
):
    removed_as = "removed_payments"
    list_display = [
        "date",
        "agreement_code",
        "kind",
        "amount_display",
        "provider",
        "receiver",
        "publication",
        "published_at",
    ]
    list_display_links = ["date", "agreement_code"]
    ordering = list(PAYMENTS_NEWEST_FIRST)
    list_select_related = ["agreement", "provider", "receiver"]
    list_filter = [
        "publication",
        "kind",
        agreement_currency_filter("agreement__currency"),
    ]
    search_fields = ["agreement__code", "agreement__title", "description"]
    autocomplete_fields = ["agreement", "provider", "receiver", "source"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "date"
    actions = [
        export_selected_csv_action(DISBURSEMENTS),
        "publish_selected",
        "unpublish_selected",
    ]
    resource_classes = [DisbursementResource]
    form = DisbursementForm
    formfield_overrides = AMOUNT_FIELDS

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return f"{obj.agreement.currency} {money(obj.amount)}"

    @admin.display(description=_("agreement"), ordering="agreement__code")
    def agreement_code(self, obj):
        return obj.agreement.code
