"""The admin side of the record's languages (grants/languages.py): each text's
versions side by side, the original marked, at least one version required, and a
list filter of the public records that lack a translation."""

from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import languages
from .models import public_rows


def required_texts(model):
    """The translated fields a record must have in at least one language."""
    return [
        name
        for name in languages.translated_fields(model)
        if not model._meta.get_field(name).blank
    ]


class TextsInOneLanguageForm:
    """Form mixin: a required text (a title, a name) is required in one language,
    any of them, rather than in the default one: a record may be entered in Spanish
    first and translated later."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in required_texts(self._meta.model):
            for _language, column in languages.language_columns(name):
                if column in self.fields:
                    self.fields[column].required = False

    def clean(self):
        cleaned_data = super().clean()
        for name in required_texts(self._meta.model):
            columns = [
                column
                for _language, column in languages.language_columns(name)
                if column in self.fields
            ]
            if columns and not any(cleaned_data.get(column) for column in columns):
                self.add_error(
                    columns[0],
                    _("Give the %(field)s in at least one language.")
                    % {"field": self._meta.model._meta.get_field(name).verbose_name},
                )
        return cleaned_data


def in_one_language(form_class):
    if issubclass(form_class, TextsInOneLanguageForm):
        return form_class
    return type(form_class.__name__, (TextsInOneLanguageForm, form_class), {})


class MissingTranslationFilter(admin.SimpleListFilter):
    """The public records with a text in some language but not in the chosen one:
    exactly what a translator has left to do."""

    title = _("translation")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [
            (language, languages.missing_label(language))
            for language in languages.codes()
        ]

    def queryset(self, request, queryset):
        language = self.value()
        if language not in languages.codes():
            return queryset
        return queryset.filter(
            languages.untranslated_q(queryset.model, language),
            pk__in=public_rows(queryset.model).values("pk"),
        )


class RecordTextsAdmin(TranslationAdmin):
    """A ModelAdmin base for records with translated texts: each text's versions on
    one line, side by side (`side_by_side`), the original language's
    labelled so (settings.MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME); the search
    looks in every language; the list can be filtered on a missing translation."""

    class Media:
        css = {"all": ["grants/admin-languages.css"]}

    def get_fieldsets(self, request, obj=None):
        return [
            (name, {**options, "fields": self.side_by_side(options["fields"])})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def side_by_side(self, fields):
        """`fields` with the per-language columns of each text on one line (a
        tuple): modeltranslation lists them one under the other."""
        text_of = {
            column: name
            for name in languages.translated_fields(self.model)
            for column in languages.column_names(name)
        }
        lines = []
        for entry in fields:
            text = text_of.get(entry) if isinstance(entry, str) else None
            previous = lines[-1] if lines else None
            if text and isinstance(previous, list) and text_of[previous[0]] == text:
                previous.append(entry)
            else:
                lines.append([entry] if text else entry)
        return [
            tuple(line)
            if isinstance(line, list) and len(line) > 1
            else (line[0] if isinstance(line, list) else line)
            for line in lines
        ]

    def get_form(self, request, obj=None, **kwargs):
        return in_one_language(super().get_form(request, obj, **kwargs))

    def get_search_fields(self, request):
        return languages.search_fields(self.model, super().get_search_fields(request))

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), MissingTranslationFilter]


class OneLanguageRowsMixin:
    """An inline whose rows may be written in one language (in_one_language)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = in_one_language(formset.form)
        return formset


class RecordTextsTabularInline(OneLanguageRowsMixin, TranslationTabularInline):
    """A tabular inline with a column per language of each text."""


class RecordTextsStackedInline(OneLanguageRowsMixin, TranslationStackedInline):
    """A stacked inline with a field per language of each text."""
