"""Admin building blocks for the staff workflow, shared by the grants and indicators
admins: version check (no lost updates), reason for the history, role-based locking,
actions that ask for a reason, and all-or-nothing actions."""

from simple_history.admin import SimpleHistoryAdmin

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .pagination import EstimatedCountPaginator
from .versioning import StaleRecordError, stale_message
from .workflow import (
    WorkflowError,
    can_publish,
    public_fact_is_locked_for,
    publication_is_locked_for,
    publication_may_set,
    publication_needs_reason,
    publication_publish,
    publication_unpublish,
    stamp_published_at,
)

STALE_CODE = "stale"
REASON_FIELD = "change_reason"


def current_version(instance):
    return (
        type(instance)
        ._base_manager.filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )


def check_not_stale(form):
    """Refuse a form whose hidden version is older than the row's (or whose row is
    gone): someone else saved in between."""
    instance = form.instance
    if instance.pk is None or "version" not in form.fields:
        return
    posted = form.cleaned_data.get("version")
    if posted is None:
        # Browsers always send the hidden field; a hand-made POST without it keeps the
        # version the form was built from (and so has only the save-time check).
        return
    if posted != current_version(instance):
        raise ValidationError(stale_message(instance), code=STALE_CODE)


def changed_fields(form):
    return [name for name in form.changed_data if name not in {REASON_FIELD, "version"}]


class VersionedInlineForm(forms.ModelForm):
    """The record's version as a hidden field, and a refused save when someone else
    saved the record since the form was built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].widget = forms.HiddenInput()
            self.fields["version"].required = False

    def clean(self):
        cleaned = super().clean()
        check_not_stale(self)
        return cleaned


class VersionedAdminForm(VersionedInlineForm):
    change_reason = forms.CharField(
        label=gettext_lazy("Reason for this change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy(
            "Kept in the history. Required when changing something already published "
            "or approved."
        ),
    )

    # Set by the admin: does this record need a reason to be changed?
    reason_required = False

    def clean(self):
        cleaned = super().clean()
        if (
            self.instance.pk
            and self.reason_required
            and changed_fields(self)
            and not (cleaned.get(REASON_FIELD) or "").strip()
        ):
            self.add_error(
                REASON_FIELD,
                _(
                    "This record is published or approved: say why you are changing "
                    "it (the reason is kept in the history)."
                ),
            )
        return cleaned


class LockedRowsInlineFormSet(forms.BaseInlineFormSet):
    """Refuses changes to rows the user may not change (a published amendment, an
    approved result) and asks for the parent form's reason where a reviewer changes one.
    `request`, `is_locked_for` and `needs_reason` are set by the inline admin."""

    request = None

    def is_locked_for(self, instance, user):
        return False

    def needs_reason(self, instance):
        return False

    def clean(self):
        super().clean()
        user = self.request.user
        reason = (self.request.POST.get(REASON_FIELD) or "").strip()
        for form in self.forms:
            instance = form.instance
            if instance.pk is None:
                continue
            touched = self._should_delete_form(form) or changed_fields(form)
            if not touched:
                continue
            if self.is_locked_for(instance, user):
                raise ValidationError(
                    _("“%(object)s” is locked for you: %(why)s")
                    % {"object": instance, "why": self.locked_reason(instance)}
                )
            if self.needs_reason(instance) and not reason:
                raise ValidationError(
                    _(
                        "“%(object)s” is published or approved: give a reason for this "
                        "change in the “Reason for this change” box."
                    )
                    % {"object": instance}
                )

    def locked_reason(self, instance):
        return _("only a reviewer can change it.")


class WorkflowInlineMixin:
    form = VersionedInlineForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset


class WorkflowAdminMixin:
    """Version check, reason for the history, refusal of stale saves with a reload link,
    and the history page (django-simple-history, with a field diff)."""

    form = VersionedAdminForm
    # Bookkeeping columns that change at every save and say nothing to a reader.
    history_diff_excluded = ["version", "updated_at"]

    def record_needs_reason(self, obj) -> bool:
        """Whether changing this record requires a reason (published or approved)."""
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.reason_required = bool(obj is not None and self.record_needs_reason(obj))
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = [
                f for f in options["fields"] if f not in {"version", REASON_FIELD}
            ]
            fieldsets.append((name, {**options, "fields": fields}))
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets  # a read-only view: nothing to explain, nothing to check
        fieldsets.append(
            (
                gettext_lazy("Why (kept in the history)"),
                {"fields": [REASON_FIELD, "version"]},
            )
        )
        return fieldsets

    def save_model(self, request, obj, form, change):
        if change and not changed_fields(form):
            # Nothing changed: no history row, no new version (so nobody else's open
            # form becomes stale for nothing). Inline rows are saved on their own.
            return
        obj._change_reason = (form.cleaned_data.get(REASON_FIELD) or "").strip() or None
        super().save_model(request, obj, form, change)

    def set_history_delta_changes(
        self, request, historical_records, foreign_keys_are_objs=True
    ):
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current,
                    excluded_fields=self.history_diff_excluded,
                    foreign_keys_are_objs=foreign_keys_are_objs,
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def save_formset(self, request, form, formset, change):
        reason = (form.cleaned_data.get(REASON_FIELD) or "").strip() or None
        instances = formset.save(commit=False)
        # Later rows first, so that removing several amendments never passes through
        # a negative running total.
        for obj in sorted(
            formset.deleted_objects,
            key=lambda o: getattr(o, "sequence", 0) or 0,
            reverse=True,
        ):
            obj._change_reason = reason
            obj.delete()
        for obj in instances:
            obj._change_reason = reason
            self.before_inline_save(request, obj)
            obj.save()
        formset.save_m2m()

    def before_inline_save(self, request, obj):
        pass

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleRecordError as error:
            # The admin's transaction has rolled back: nothing of this save remains.
            self.message_stale(request, error.instance)
            return HttpResponseRedirect(request.get_full_path())
        except ValidationError as error:
            # A rule of the data checked at save time (the ledger's, when another
            # writer changed the amendments after this form was checked).
            messages.error(
                request,
                _("Nothing was saved. %(error)s") % {"error": " ".join(error.messages)},
            )
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, *args, **kwargs):
        adminform = context.get("adminform")
        forms_to_check = [adminform.form] if adminform else []
        forms_to_check += [
            f
            for formset in context.get("inline_admin_formsets", [])
            for f in formset.formset
        ]
        for form in forms_to_check:
            if form.is_bound and any(
                e.code == STALE_CODE for e in form.errors.as_data().get("__all__", [])
            ):
                self.message_stale(request, form.instance)
                break
        return super().render_change_form(request, context, *args, **kwargs)

    def message_stale(self, request, instance):
        messages.error(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                stale_message(instance),
                request.get_full_path(),
                _("Reload the current version"),
            ),
        )


class WorkflowAdmin(WorkflowAdminMixin, SimpleHistoryAdmin):
    # At a million rows: no second COUNT(*) of the whole table for "(N total)", and
    # an estimated count when nothing is filtered (grants/pagination.py).
    show_full_result_count = False
    paginator = EstimatedCountPaginator


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("Shown to the official and kept in the history."),
    )


def run_all_or_nothing(modeladmin, request, objects, step, done_message):
    """Apply `step(obj)` to every object in one transaction: if any refuses (wrong state,
    someone else changed it, a rule of the data), nothing is changed."""
    try:
        with transaction.atomic():
            for obj in objects:
                step(obj)
    except StaleRecordError as error:
        modeladmin.message_user(
            request,
            _("Nothing was changed. %(stale)s")
            % {"stale": stale_message(error.instance)},
            messages.ERROR,
        )
        return False
    except (WorkflowError, ValidationError) as error:
        text = (
            "; ".join(error.messages)
            if isinstance(error, ValidationError)
            else str(error)
        )
        modeladmin.message_user(
            request,
            _("Nothing was changed. %(error)s") % {"error": text},
            messages.ERROR,
        )
        return False
    except PermissionDenied:
        modeladmin.message_user(
            request, _("Nothing was changed: you may not do this."), messages.ERROR
        )
        return False
    modeladmin.message_user(request, done_message(len(objects)), messages.SUCCESS)
    return True


def ask_reason_then(modeladmin, request, queryset, *, title, step, done_message):
    """An admin action in two steps: a page asking for the reason, then the change."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        run_all_or_nothing(
            modeladmin,
            request,
            list(queryset),
            lambda obj: step(obj, reason),
            done_message,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": [
            (obj, getattr(modeladmin, "describe", str)(obj)) for obj in queryset
        ],
        "form": form,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/workflow/reason.html", context)


class PublicationAdminMixin:
    """Publication is for reviewers: the field is read-only for everyone else, checked
    again on save, and published records are locked for them."""

    def can_publish(self, request):
        return can_publish(request.user, self.model)

    def has_publish_permission(self, request):
        return self.can_publish(request)

    def record_needs_reason(self, obj):
        return publication_needs_reason(obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "published_at"]
        if not self.can_publish(request):
            readonly.append("publication")
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and publication_is_locked_for(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and publication_is_locked_for(obj, request.user):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        before = (
            type(obj)
            ._base_manager.filter(pk=obj.pk)
            .values_list("publication", flat=True)
            .first()
            if change
            else None
        )
        if not publication_may_set(
            request.user, type(obj), before=before, after=obj.publication
        ):
            raise PermissionDenied
        if obj.publication != before:
            stamp_published_at(obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Publish selected"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        run_all_or_nothing(
            self,
            request,
            list(queryset),
            lambda obj: publication_publish(obj=obj, user=request.user),
            published_message,
        )

    @admin.action(
        description=gettext_lazy("Unpublish selected (asks for a reason)"),
        permissions=["publish"],
    )
    def unpublish_selected(self, request, queryset):
        return ask_reason_then(
            self,
            request,
            queryset,
            title=_("Why unpublish?"),
            step=lambda obj, reason: publication_unpublish(
                obj=obj, user=request.user, reason=reason
            ),
            done_message=lambda n: (
                ngettext("Unpublished %(n)d record.", "Unpublished %(n)d records.", n)
                % {"n": n}
            ),
        )


def published_message(n: int) -> str:
    return ngettext("Published %(n)d record.", "Published %(n)d records.", n) % {"n": n}


class PublicFactAdminMixin:
    """Records the public sees as soon as they exist or once their agreement is
    published, with no publication of their own (`is_public_fact`): anyone with the
    permission may add one, but changing or deleting one is for reviewers
    (`can_change_public_facts`), who give a reason kept in the history. Data entry
    sees it read-only."""

    def is_public_fact(self, obj) -> bool:
        return True

    def record_needs_reason(self, obj):
        return self.is_public_fact(obj)

    def locked_for(self, request, obj) -> bool:
        return obj is not None and public_fact_is_locked_for(
            request.user, public=self.is_public_fact(obj)
        )

    def has_change_permission(self, request, obj=None):
        if self.locked_for(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self.locked_for(request, obj):
            return False
        return super().has_delete_permission(request, obj)
