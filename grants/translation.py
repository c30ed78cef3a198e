"""The texts of the grants record kept in every language (grants/languages.py).

Each model's history (django-simple-history) is registered with it, so a historical
record keeps every language of the texts."""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    Agreement,
    Amendment,
    Disbursement,
    Organization,
    ProgramArea,
    SourceDocument,
)


@register([Organization, Organization.history.model])
class OrganizationTranslation(TranslationOptions):
    fields = ("name", "acronym")


@register([SourceDocument, SourceDocument.history.model])
class SourceDocumentTranslation(TranslationOptions):
    fields = ("title", "notes")


@register([ProgramArea, ProgramArea.history.model])
class ProgramAreaTranslation(TranslationOptions):
    fields = ("name", "description")


@register([Agreement, Agreement.history.model])
class AgreementTranslation(TranslationOptions):
    fields = ("title", "summary")


@register([Amendment, Amendment.history.model])
class AmendmentTranslation(TranslationOptions):
    fields = ("title", "description")


@register([Disbursement, Disbursement.history.model])
class DisbursementTranslation(TranslationOptions):
    fields = ("description",)
