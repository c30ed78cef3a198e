"""Spreadsheet import (django-import-export): amendments, and the building blocks the
results import shares. Every imported row arrives as a draft, keyed by natural codes, so
importing the same file twice changes nothing."""

import datetime
from decimal import Decimal

from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from . import languages
from .forms import read_amount
from .models import (
    Agreement,
    Amendment,
    Disbursement,
    DisbursementKind,
    Organization,
)
from .search import fold
from .versioning import stale_message
from .workflow import publication_as_imported, publication_is_locked, record_change

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def as_text(value):
    if value is None:
        return ""
    return str(value).strip()


class CodeWidget(widgets.ForeignKeyWidget):
    """Looks a row up by its code, with a plain message when there is none."""

    def __init__(self, model, field="code", *, required=True):
        super().__init__(model, field)
        self.required = required

    def clean(self, value, row=None, **kwargs):
        code = as_text(value)
        if not code:
            if self.required:
                raise ValueError(_("This column is required."))
            return None
        try:
            return self.get_queryset(value, row, **kwargs).get(**{self.field: code})
        except self.model.DoesNotExist:
            raise ValueError(
                _("There is no %(model)s with the code “%(code)s”.")
                % {"model": self.model._meta.verbose_name, "code": code}
            ) from None


class OrganizationWidget(widgets.ForeignKeyWidget):
    """An organization by its IATI identifier, its acronym or its full name (capitals
    ignored), refused with a plain message when none or several match."""

    def __init__(self, *, required=True):
        super().__init__(Organization, "name")
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = as_text(value)
        if not text:
            if self.required:
                raise ValueError(_("This column is required."))
            return None
        for field in ("iati_identifier", "acronym", "name"):
            matches = list(
                Organization.objects.filter(**{f"{field}__iexact": text})[:2]
            )
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ValueError(
                    _(
                        "Several organizations are called “%(value)s”: use the "
                        "IATI identifier or the full name."
                    )
                    % {"value": text}
                )
        raise ValueError(
            _(
                "There is no organization “%(value)s”: use its acronym, IATI "
                "identifier or full name as in the admin, or add it there first."
            )
            % {"value": text}
        )


class StrictDateWidget(widgets.DateWidget):
    def __init__(self):
        super().__init__(format=DATE_FORMATS[0])
        self.formats = DATE_FORMATS

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = as_text(value)
        if not text:
            return None
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2022-12-31.")
            % {"value": text}
        )


class StrictDecimalWidget(widgets.DecimalWidget):
    """A number as typed in the file: in the file's decimal convention when its cells
    show one (`number_decimal`, found by grants.spreadsheet_reading), else in either
    convention, a value that reads two ways refused (grants.money.parse_amount)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int | float):
            return Decimal(str(value))
        text = as_text(value)
        if not text:
            return None
        try:
            return read_amount(text, kwargs.get("number_decimal"))
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None


class StrictIntegerWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        number = StrictDecimalWidget().clean(value, row, **kwargs)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        return int(number)


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return as_text(value)


class BooleanTextWidget(widgets.BooleanWidget):
    TRUE = {"1", "true", "yes", "y", "x", "sí", "si", "verdadero"}
    FALSE = {"", "0", "false", "no", "n", "falso"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = as_text(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("“%(value)s” is not yes or no.") % {"value": value})


class KeyInstanceLoader(ModelInstanceLoader):
    """Finds the record a row updates by its key columns read as the rest of the row
    is: a key that is a number (a disbursement's amount) in the file's decimal
    convention, so 1.500 in a decimal-comma file finds the payment of 1500; and an
    empty text key (a per-language column, NULL until written) matches NULL as well
    as ""."""

    def get_instance(self, row):
        decimal = getattr(self.resource, "number_decimal", None)
        keys = self.resource.get_import_id_fields()
        if not keys:
            return None
        condition = Q()
        for key in keys:
            field = self.resource.fields[key]
            value = field.clean(row, number_decimal=decimal)
            if value == "":
                condition &= Q(**{f"{field.attribute}__isnull": True}) | Q(
                    **{field.attribute: ""}
                )
            else:
                condition &= Q(**{field.attribute: value})
        try:
            return self.get_queryset().get(condition)
        except self.resource._meta.model.DoesNotExist:
            return None


class StaffImportResource(resources.ModelResource):
    """Shared rules: drafts only, locked records refused, no lost updates between the
    preview and the confirmation, who and why in the history."""

    number_decimal = None  # the file's decimal convention (import_data's kwarg)

    class Meta:
        instance_loader_class = KeyInstanceLoader

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Filled during the preview, checked at confirmation: {row number: version or 0}.
        self.seen_versions = kwargs.get("seen_versions")
        self.expected_versions = kwargs.get("expected_versions")

    @classmethod
    def number_columns(cls) -> list[str]:
        """The columns read as numbers, whose cells tell the file's decimal
        convention."""
        return [
            field.column_name
            for field in cls().get_import_fields()
            if isinstance(field.widget, StrictDecimalWidget)
        ]

    def locked_reason(self, instance):
        """Why an existing record may not be changed by an import, or ""."""
        return ""

    def make_draft(self, instance, user):
        raise NotImplementedError

    def before_import(self, dataset, **kwargs):
        # A text's plain column ("title", as files made before the record was kept
        # per language have it) is read as the original language's ("title_en").
        super().before_import(dataset, **kwargs)
        self.number_decimal = kwargs.get("number_decimal")
        original = languages.original_language()
        headers = list(dataset.headers or [])
        for field in languages.translated_fields(self._meta.model):
            own = languages.column(field, original)
            if field in headers and own not in headers:
                headers[headers.index(field)] = own
        dataset.headers = headers

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        # The per-language text columns (title_en, title_es) listed in Meta.fields
        # are read as the declared text columns are: stripped, empty as "".
        if isinstance(f, models.CharField | models.TextField):
            return TextWidget
        return super().widget_from_django_field(f, default)

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # A key cell that does not parse: treat the row as new, so the error is
            # reported against its column by import_instance().
            return None

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        number = str(kwargs.get("row_number"))
        version = 0 if new else instance.version
        if self.seen_versions is not None:
            self.seen_versions[number] = version
        if (
            self.expected_versions is not None
            and self.expected_versions.get(number, version) != version
        ):
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        _("Row %(row)s: %(stale)s")
                        % {
                            "row": number,
                            "stale": stale_message(instance)
                            if not new
                            else _("the record was deleted since the preview."),
                        }
                    ]
                }
            )

    def validate_instance(self, instance, import_validation_errors=None, **kwargs):
        errors = dict(import_validation_errors or {})
        if instance.pk is not None:
            stored = type(instance)._base_manager.get(pk=instance.pk)
            why = self.locked_reason(stored)
            if why:
                errors.setdefault(NON_FIELD_ERRORS, []).append(why)
        super().validate_instance(instance, errors, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        user = kwargs.get("user")
        self.make_draft(instance, user)
        record_change(
            instance,
            user=user if getattr(user, "pk", None) else None,
            reason=_("Imported from %(file)s")
            % {"file": kwargs.get("file_name") or _("a spreadsheet")},
        )


def text_field(name, **kwargs):
    return fields.Field(attribute=name, column_name=name, widget=TextWidget(), **kwargs)


def date_field(name):
    return fields.Field(attribute=name, column_name=name, widget=StrictDateWidget())


def decimal_field(name):
    return fields.Field(attribute=name, column_name=name, widget=StrictDecimalWidget())


class PublicationDraftResource(StaffImportResource):
    """Rows with a publication of their own (amendments, disbursements) arrive as
    drafts."""

    def make_draft(self, instance, user):
        publication_as_imported(instance)


class AmendmentResource(PublicationDraftResource):
    agreement = fields.Field(
        attribute="agreement", column_name="agreement", widget=CodeWidget(Agreement)
    )
    sequence = fields.Field(
        attribute="sequence", column_name="sequence", widget=StrictIntegerWidget()
    )
    signed_on = date_field("signed_on")
    period_start = date_field("period_start")
    period_end = date_field("period_end")
    amount = decimal_field("amount")
    amount_is_derived = fields.Field(
        attribute="amount_is_derived",
        column_name="amount_is_derived",
        widget=BooleanTextWidget(),
    )
    stated_cumulative_total = decimal_field("stated_cumulative_total")

    class Meta:
        model = Amendment
        import_id_fields = ["agreement", "sequence"]
        fields = [
            "agreement",
            "sequence",
            *languages.column_names("title"),
            "signed_on",
            "period_start",
            "period_end",
            "amount",
            "amount_is_derived",
            "stated_cumulative_total",
            *languages.column_names("description"),
        ]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    template_rows = [
        {
            "agreement": "527-0427",
            "sequence": "3",
            "title_en": "Third amendment: extension of the period",
            "title_es": "Tercera enmienda: ampliación del período",
            "signed_on": "2025-03-15",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "amount": "10000000.00",
            "amount_is_derived": "no",
            "description_en": "Amounts in the agreement's currency.",
            "description_es": "Montos en la moneda del convenio.",
        }
    ]

    def locked_reason(self, instance):
        if publication_is_locked(instance):
            return _(
                "Amendment %(object)s is published: a reviewer must unpublish it before "
                "an import can change it."
            ) % {"object": instance}
        return ""


class ChoiceWidget(widgets.CharWidget):
    """A choice by its code or its label in either language ("disbursement",
    "Desembolso"), with the codes listed when it is neither."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = fold(as_text(value))
        for code, label in self.choices.choices:
            names = {fold(code)}
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    names.add(fold(str(label)))
            if text in names:
                return code
        raise ValueError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": as_text(value), "choices": ", ".join(self.choices.values)}
        )


class DisbursementResource(PublicationDraftResource):
    """Payments keyed by agreement, kind, date and amount: importing the same file
    twice changes nothing (a payment has no number of its own in the sources)."""

    agreement = fields.Field(
        attribute="agreement", column_name="agreement", widget=CodeWidget(Agreement)
    )
    kind = fields.Field(
        attribute="kind", column_name="kind", widget=ChoiceWidget(DisbursementKind)
    )
    date = date_field("date")
    amount = decimal_field("amount")
    provider = fields.Field(
        attribute="provider",
        column_name="provider",
        widget=OrganizationWidget(required=False),
    )
    receiver = fields.Field(
        attribute="receiver",
        column_name="receiver",
        widget=OrganizationWidget(required=False),
    )

    class Meta:
        model = Disbursement
        import_id_fields = ["agreement", "kind", "date", "amount"]
        fields = [
            "agreement",
            "kind",
            "date",
            "amount",
            "provider",
            "receiver",
            *languages.column_names("description"),
        ]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    template_rows = [
        {
            "agreement": "527-0427",
            "kind": "disbursement",
            "date": "2024-06-30",
            "amount": "5000000.00",
            "provider": "USAID",
            "receiver": "APCI",
            "description_en": "First disbursement of fiscal year 2024.",
            "description_es": "Primer desembolso del año fiscal 2024.",
        }
    ]

    def locked_reason(self, instance):
        if publication_is_locked(instance):
            return _(
                "Disbursement %(object)s is published: a reviewer must unpublish it "
                "before an import can change it."
            ) % {"object": instance}
        return ""
