"""The languages the record is kept in, and the one place that turns a translated
field into its per-language columns.

Every text that describes the record (a title, a name, a description) is stored once
per language of `settings.LANGUAGES` by django-modeltranslation (`title_en`,
`title_es`; registered in each app's `translation.py`). Reading `agreement.title`
gives the visitor's language, else the first of `settings.MODELTRANSLATION_FALLBACK_
LANGUAGES` that has the text (the default language first, then the others in the
order of `LANGUAGES`). The default language (`LANGUAGE_CODE`) is the record's
original: the existing record and the seed were written in English, the Spanish is
their translation. A third language is a change of `LANGUAGES` and a migration.

Use `language_columns()` wherever per-language columns are listed (CSV reports,
spreadsheet templates, search, the API), so they all follow `LANGUAGES`.
"""

from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import resolution_order

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, UniqueConstraint
from django.utils.html import conditional_escape, format_html
from django.utils.text import format_lazy
from django.utils.translation import get_language, get_language_info, gettext_lazy


def codes():
    """The language codes of the record, the default (the original) first: the
    order of settings.MODELTRANSLATION_FALLBACK_LANGUAGES."""
    return list(settings.MODELTRANSLATION_FALLBACK_LANGUAGES)


def original_language():
    """The language the record is originally kept in."""
    return settings.LANGUAGE_CODE


def column(field, language):
    """The column of `field` in `language`: column("title", "es") -> "title_es"."""
    return f"{field}_{language.replace('-', '_')}"


def language_columns(field):
    """(language, column) for each language of the record: ("en", "title_en"), ..."""
    return [(language, column(field, language)) for language in codes()]


def column_names(field):
    """The per-language columns of `field`: ["title_en", "title_es"]."""
    return [name for _language, name in language_columns(field)]


def texts_of(instance, field):
    """{column: text} of `instance`'s `field` in every language ("" where none)."""
    return {name: getattr(instance, name) or "" for name in column_names(field)}


def by_language(instance, field):
    """{language: text} of `instance`'s `field`, the languages that have one, the
    original first."""
    texts = {}
    for language, name in language_columns(field):
        text = getattr(instance, name, None)
        if text:
            texts[language] = text
    return texts


def site_language(code):
    """The language of the record that an xml:lang or Accept-Language style `code`
    ("es", "ES-pe", "en_GB") names, or None when the record is not kept in it."""
    language = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return language if language in codes() else None


def current_language():
    """The active language if the record is kept in it, else the original."""
    language = (get_language() or "").split("-")[0]
    return language if language in codes() else original_language()


def stored_columns(queryset):
    """`queryset` whose next lookups, orderings and values name the stored columns
    themselves: modeltranslation otherwise reads "disaggregation" as the visitor's
    column (NULL where a language was never written, which PostgreSQL sorts last and
    SQLite first) and lets values_list() select its columns in any order."""
    if hasattr(queryset, "rewrite"):
        return queryset.rewrite(False)
    return queryset


def translated_fields(model):
    """The names of `model`'s translated fields ([] for a model without)."""
    try:
        return list(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return []


def is_translated(model, field):
    return field in translated_fields(model)


def path_columns(model, path):
    """[(language, path)] of a field path from `model` ("title", "donor__name"):
    one per language when the field is translated, else [(None, path)]."""
    *relations, name = path.split("__")
    owner = model
    for relation in relations:
        owner = owner._meta.get_field(relation).related_model
    if not is_translated(owner, name):
        return [(None, path)]
    prefix = "".join(f"{relation}__" for relation in relations)
    return [(language, prefix + col) for language, col in language_columns(name)]


def search_fields(model, fields):
    """`fields` (paths such as "title" or "donor__name") with every translated field
    replaced by its per-language columns, so a search matches either language."""
    return [column for path in fields for _lang, column in path_columns(model, path)]


def row_fields(model, **fields):
    """`fields` (key: field path from `model`) with each translated one given once
    per language (name="organization__name" -> name_en=..., name_es=...), for rows
    read as values (grants.related_rows) that become instances again."""
    expanded = {}
    for key, path in fields.items():
        for language, column_path in path_columns(model, path):
            expanded[key if language is None else column(key, language)] = column_path
    return expanded


def missing_q(field, language):
    """Rows without `field` in `language` (empty or never written)."""
    name = column(field, language)
    return Q(**{f"{name}__isnull": True}) | Q(**{name: ""})


def blank_q(field):
    """Rows without `field` in any language."""
    condition = Q()
    for language in codes():
        condition &= missing_q(field, language)
    return condition


def untranslated_q(model, language):
    """Rows of `model` with a text in some language but not in `language`."""
    condition = Q(pk__in=[])
    for field in translated_fields(model):
        condition |= missing_q(field, language) & ~blank_q(field)
    return condition


def _phrase(language, phrases, other):
    """`phrases[language]` (a sentence written whole for each language of the
    record, so each translates naturally), else `other` around the language's name:
    a language added to LANGUAGES reads right before its own phrases are written."""
    if language in phrases:
        return phrases[language]
    return format_lazy(other, get_language_info(language)["name_translated"])


def missing_label(language):
    """The list filter's choice for records missing `language`."""
    return _phrase(
        language,
        {"en": gettext_lazy("Missing English"), "es": gettext_lazy("Missing Spanish")},
        gettext_lazy("Missing {}"),
    )


def text_in(instance, field):
    """(text, language) of `field` as the visitor reads it: the visitor's language,
    else the first fallback language that has it; ("", None) when none has."""
    for language in resolution_order(current_language()):
        value = getattr(instance, column(field, language), None)
        if value:
            return value, language
    return "", None


def only_in(language):
    """The marker of a text shown in `language` because the visitor's has none."""
    return _phrase(
        language,
        {"en": gettext_lazy("English only"), "es": gettext_lazy("Spanish only")},
        gettext_lazy("{} only"),
    )


def in_language(language):
    """The sentence saying which language a per-language column holds."""
    return _phrase(
        language,
        {
            "en": gettext_lazy("In English (the original)."),
            "es": gettext_lazy("In Spanish."),
        },
        gettext_lazy("In {}."),
    )


def marked(text, language, *, plain=False):
    """`text` (read in `language`) as HTML: as it is in the visitor's language; in
    another, on an element with `lang` and followed by the marker ("solo en
    inglés"). `plain`: text only, for `<title>` and attributes."""
    if language is None or language == current_language():
        return text if plain else conditional_escape(text)
    if plain:
        return f"{text} ({only_in(language)})"
    return format_html(
        '<span lang="{}">{}</span> <small class="other-language">({})</small>',
        language,
        text,
        only_in(language),
    )


def text_html(instance, field, *, plain=False):
    """`instance`'s translated `field` as the visitor reads it (see `marked`)."""
    return marked(*text_in(instance, field), plain=plain)


def label_language(instance):
    """The language `str(instance)` is read in: that of its first translated field
    that has a text (an organization's name, an indicator's name)."""
    for field in translated_fields(type(instance)):
        text, language = text_in(instance, field)
        if text:
            return language
    return None


def other_language(instance, field):
    """The language `field` is read in when it is not the visitor's, else None."""
    language = text_in(instance, field)[1]
    return None if language in (None, current_language()) else language


def validate_unique_with_texts(instance, exclude=None):
    """The unique constraints of `instance`'s model that name a translated field
    (a result's group), checked on the columns they name: modeltranslation rewrites
    a lookup of "disaggregation" to the visitor's column, so Django's own check of
    such a constraint looks at another column than the database's."""
    model = type(instance)
    translated = set(translated_fields(model))
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or constraint.condition:
            continue
        fields = list(constraint.fields)
        if not translated.intersection(fields):
            continue
        if exclude and any(name in exclude for name in fields):
            continue
        lookup = {
            name: getattr(instance, model._meta.get_field(name).attname)
            for name in fields
        }
        if any(value is None for value in lookup.values()):
            continue
        same = model._default_manager.rewrite(False).filter(**lookup)
        if not instance._state.adding and instance.pk is not None:
            same = same.exclude(pk=instance.pk)
        if same.exists():
            raise ValidationError(
                constraint.get_violation_error_message(),
                code=constraint.violation_error_code,
            )
