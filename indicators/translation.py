"""The texts of indicators and results kept in every language (grants/languages.py).
Units are choices, translated with the interface."""

from modeltranslation.translator import TranslationOptions, register

from .models import Indicator, Result


@register([Indicator, Indicator.history.model])
class IndicatorTranslation(TranslationOptions):
    fields = ("name", "description")


@register([Result.history.model])
class ResultTranslation(TranslationOptions):
    fields = ("comment", "disaggregation")


@register([Result])
class ResultWithSortKeysTranslation(ResultTranslation):
    # The names the list sorts by, in each language (indicators/sort_keys.py).
    fields = (*ResultTranslation.fields, "indicator_name", "program_area_name")
