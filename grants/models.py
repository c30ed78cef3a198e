import datetime
import uuid
from decimal import Decimal

from django_countries import countries
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, router, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import ledger
from .links import remembered_reverse
from .money import MONEY_DECIMAL_PLACES, MONEY_LIMIT, MONEY_MAX_DIGITS
from .versioning import VersionedModel

CURRENCY_RE = r"^[A-Z]{3}\Z"
CODE_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z"
DAC_SECTOR_RE = r"^[0-9]{5}\Z"
DAC_SECTOR_MESSAGE = _("The DAC sector code must be 5 digits, e.g. 15150.")

currency_validator = RegexValidator(
    CURRENCY_RE, _("Use the three-letter ISO 4217 code in capitals, e.g. USD or PEN.")
)
code_validator = RegexValidator(
    CODE_RE,
    _(
        "Use letters, digits, dots, hyphens and underscores only, starting with a "
        "letter or digit (e.g. 527-0427)."
    ),
)


def choices_condition(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


def published_q(path: str = "") -> Q:
    """The row at `path` (e.g. "agreements__") is published: the one spelling of the
    publication test, for the gates below and for counts over a relation."""
    return Q(**{f"{path}publication": PublicationState.PUBLISHED})


def public_rows(model) -> models.QuerySet:
    """The rows of `model` the public sees: `public()` where the model has a gate,
    every row of reference data (organizations, documents, areas), which has none."""
    manager = model._default_manager
    return manager.public() if hasattr(manager, "public") else manager.all()


class GatedQuerySet(models.QuerySet):
    """The QuerySet of a model with a public gate. `public()` is what the public sees;
    `visible()` is what a viewer sees, and what every page, filter, report, API and
    export starts from."""

    def public(self):
        raise NotImplementedError

    def visible(self, *, include_drafts: bool):
        """Every row for staff who see drafts (grants.listing.shows_drafts), else
        `public()`."""
        return self.all() if include_drafts else self.public()


class OrganizationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    BILATERAL = "bilateral", _("Bilateral agency")
    MULTILATERAL = "multilateral", _("Multilateral organization")
    NGO = "ngo", _("NGO")
    PRIVATE = "private", _("Private sector")
    OTHER = "other", _("Other")


class AgreementKind(models.TextChoices):
    FRAMEWORK = "framework", _("Framework agreement")
    DONATION = "donation", _("Donation agreement")
    GRANT = "grant", _("Grant")
    COOPERATIVE = "cooperative", _("Cooperative agreement")
    CONTRACT = "contract", _("Contract")
    OTHER = "other", _("Other")


class AgreementStatus(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ParticipantRole(models.TextChoices):
    """The IATI OrganisationRole codelist (1 to 4)."""

    FUNDING = "1", _("Funding")
    ACCOUNTABLE = "2", _("Accountable")
    EXTENDING = "3", _("Extending")
    IMPLEMENTING = "4", _("Implementing")


class Organization(VersionedModel):
    name = models.CharField(
        _("name"),
        max_length=255,
        help_text=_("Full official name, e.g. “Government of Peru”."),
    )
    acronym = models.CharField(
        _("acronym"), max_length=50, blank=True, help_text=_("e.g. USAID, APCI.")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=OrganizationKind.choices,
        default=OrganizationKind.GOVERNMENT,
    )
    country = CountryField(
        _("country"),
        blank=True,
        help_text=_(
            "Where the organization is based. Leave empty for international bodies."
        ),
    )
    iati_identifier = models.CharField(
        _("IATI organisation identifier"),
        max_length=100,
        blank=True,
        null=True,
        unique=True,
        help_text=_("Optional, e.g. US-GOV-1 for USAID. Must be unique when given."),
        error_messages={
            "unique": _("Another organization already has this IATI identifier.")
        },
    )
    reported_ref = models.CharField(
        _("reference as published"),
        max_length=100,
        blank=True,
        db_default="",
        help_text=_(
            "Set by the IATI import: the reference another publisher gave this "
            "organization when it could not be trusted as its identifier (a "
            "placeholder such as “N/A”, a channel code) or when an organization with "
            "another name already holds it. Compare and merge by hand."
        ),
    )

    # No public gate: names of parties are reference data, never drafts.
    objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("kind", OrganizationKind),
                name="grants_organization_kind_valid",
                violation_error_message=_("Choose a valid kind of organization."),
            ),
            models.CheckConstraint(
                # Lookups on CountryField rewrite their values, so compare expressions.
                condition=Q(country="")
                | Q(Exact(Length("country"), 2), Exact(Upper("country"), F("country"))),
                name="grants_organization_country_iso",
                violation_error_message=_(
                    "Country must be an ISO 3166-1 alpha-2 code."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(iati_identifier=""),
                name="grants_organization_iati_identifier_not_blank",
                violation_error_message=_(
                    "Leave the IATI identifier empty rather than blank."
                ),
            ),
        ]

    def __str__(self):
        if self.acronym and self.acronym not in self.name:
            return f"{self.name} ({self.acronym})"
        return self.name

    def save(self, *args, **kwargs):
        # An empty form field means "no identifier", which must be NULL to stay unique.
        if not self.iati_identifier:
            self.iati_identifier = None
        super().save(*args, **kwargs)


class SourceDocument(VersionedModel):
    title = models.CharField(_("title"), max_length=500)
    publisher = models.CharField(
        _("publisher"),
        max_length=255,
        blank=True,
        help_text=_("e.g. Peru News, USAID, APCI."),
    )
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("Leave empty if the document does not give a date."),
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        help_text=_(
            "What this document says and does not say; how figures were derived."
        ),
    )

    # No public gate: citations are shown wherever a public fact uses them.
    objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")
        ordering = ["title", "pk"]

    def __str__(self):
        if self.publisher:
            return f"{self.title} — {self.publisher}"
        return self.title


class ProgramArea(VersionedModel):
    code = models.SlugField(
        _("code"),
        max_length=80,
        unique=True,
        help_text=_("Short identifier used in web addresses, e.g. natural-resources."),
        error_messages={"unique": _("A program area with this code already exists.")},
    )
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("Leave empty for a top-level area."),
    )
    dac_sector_code = models.CharField(
        _("DAC sector code"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(DAC_SECTOR_RE, DAC_SECTOR_MESSAGE)],
        help_text=_("Optional 5-digit OECD DAC purpose code, used for IATI."),
    )
    display_order = models.PositiveSmallIntegerField(
        _("display order"), default=0, help_text=_("Lower numbers are listed first.")
    )

    # No public gate: the tree of areas is reference data, never a draft.
    objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("program area")
        verbose_name_plural = _("program areas")
        ordering = ["display_order", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dac_sector_code="")
                | Q(dac_sector_code__regex=DAC_SECTOR_RE),
                name="grants_programarea_dac_sector_code_format",
                violation_error_message=DAC_SECTOR_MESSAGE,
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="grants_programarea_not_own_parent",
                violation_error_message=_("A program area cannot be its own parent."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return remembered_reverse("grants:programarea-detail", code=self.code)

    def clean(self):
        super().clean()
        ancestor, seen = self.parent, set()
        while ancestor is not None and self.pk is not None:
            if ancestor.pk == self.pk or ancestor.pk in seen:
                raise ValidationError(
                    {"parent": _("This parent would make the areas a loop.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


# The agreement's stored figures a viewer is shown (`with_figures`).
SHOWN_FIGURES = (
    "total",
    "stated_count",
    "unreconciled_count",
    "disbursed",
    "spent",
    "disbursement_count",
    "disbursed_share",
)


class AgreementQuerySet(GatedQuerySet):
    def public(self):
        """Published agreements only: drafts are excluded."""
        return self.filter(published_q())

    def with_figures(self, *, include_drafts: bool):
        """Annotate the ledger's stored figures as the viewer sees them (grants/ledger.py):
        `shown_total`, `shown_stated_count`, `shown_unreconciled_count`,
        `shown_disbursed`, `shown_spent`, `shown_disbursement_count` and
        `shown_disbursed_share`, over the published amendments and payments when
        not `include_drafts`, over all of them for staff."""
        return self.annotate(
            **{
                f"shown_{name}": F(ledger.figure(name, include_drafts=include_drafts))
                for name in SHOWN_FIGURES
            }
        )

    def signed_under(self, framework_ids, *, include_drafts: bool) -> dict:
        """What was signed under each framework of `framework_ids`, from the rows of
        this queryset: {framework id: {"agreements": n, "totals": [(currency,
        total), ...]}}, the totals as the viewer sees them (never added across
        currencies). One query."""
        rows = (
            self.filter(framework_id__in=list(framework_ids))
            .order_by()
            .values("framework_id", "currency")
            .annotate(
                agreements=Count("pk"),
                total=Sum(ledger.figure("total", include_drafts=include_drafts)),
            )
            .order_by("framework_id", "currency")
        )
        summary = {}
        for row in rows:
            entry = summary.setdefault(
                row["framework_id"], {"agreements": 0, "totals": []}
            )
            entry["agreements"] += row["agreements"]
            entry["totals"].append((row["currency"], row["total"]))
        return summary

    def totals_by_currency(self):
        """One row per currency: {"currency", "total", "agreements", "disbursed",
        "spent", "paid_agreements"} from the stored public figures, counting the
        agreements the total comes from (a framework with no amounts of its own is
        not one) and those with a published payment. Amounts in different currencies
        are never added together."""
        return (
            self.order_by()
            .values("currency")
            .annotate(
                total=Sum("public_total"),
                agreements=Count("pk", filter=Q(public_total__gt=0)),
                disbursed=Sum("public_disbursed"),
                spent=Sum("public_spent"),
                paid_agreements=Count("pk", filter=Q(public_disbursement_count__gt=0)),
            )
            .order_by("currency")
        )


def money_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        **kwargs,
    )


def figure_field(verbose_name, help_text):
    """A figure the ledger stores (grants/ledger.py): never edited, 0 until computed."""
    return money_field(
        verbose_name,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        editable=False,
        help_text=help_text,
    )


def count_field(verbose_name):
    return models.PositiveIntegerField(
        verbose_name, default=0, db_default=0, editable=False
    )


# A share in percent with two places: 100.00 is all of it; more when more was paid
# than committed (a tiny commitment may make it very large).
SHARE_MAX_DIGITS = MONEY_MAX_DIGITS + 4


def share_field(verbose_name, help_text):
    """A percentage the ledger stores; None when there is nothing to divide."""
    return models.DecimalField(
        verbose_name,
        max_digits=SHARE_MAX_DIGITS,
        decimal_places=2,
        null=True,
        editable=False,
        help_text=help_text,
    )


def save_keeping_figures(instance, kwargs):
    """The figures are written by the ledger alone: an update through save() leaves
    them as the ledger last stored them (a copy read earlier would write back stale
    figures)."""
    if instance._state.adding or kwargs.get("update_fields") is not None:
        return kwargs
    figures = set(ledger.FIGURES[instance._meta.model_name])
    fields = [
        f.name
        for f in instance._meta.concrete_fields
        if not f.primary_key and f.name not in figures
    ]
    return {**kwargs, "update_fields": fields}


class Agreement(VersionedModel):
    code = models.CharField(
        _("code"),
        max_length=60,
        unique=True,
        validators=[code_validator],
        help_text=_("The agreement's number as the documents give it, e.g. 527-0427."),
        error_messages={"unique": _("An agreement with this code already exists.")},
    )
    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=AgreementKind.choices,
        default=AgreementKind.GRANT,
    )
    framework = models.ForeignKey(
        "self",
        verbose_name=_("framework agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements_under",
        help_text=_("The agreement this one was signed under, if any."),
    )
    donor = models.ForeignKey(
        Organization,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="agreements_as_donor",
    )
    recipient = models.ForeignKey(
        Organization,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="agreements_as_recipient",
    )
    signed_on = models.DateField(
        _("signed on"),
        null=True,
        blank=True,
        help_text=_("Leave empty if the source is silent."),
    )
    start_on = models.DateField(_("start date"), null=True, blank=True)
    end_on = models.DateField(_("end date"), null=True, blank=True)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="USD",
        validators=[currency_validator],
        help_text=_("ISO 4217 code of the amounts in this agreement, e.g. USD."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AgreementStatus.choices,
        default=AgreementStatus.ACTIVE,
    )
    summary = models.TextField(_("summary"), blank=True)
    program_areas = models.ManyToManyField(
        ProgramArea,
        verbose_name=_("program areas"),
        blank=True,
        related_name="agreements",
    )
    source_documents = models.ManyToManyField(
        SourceDocument,
        verbose_name=_("source documents"),
        blank=True,
        related_name="agreements",
        help_text=_("Documents that state the facts recorded here."),
    )
    publication = models.CharField(
        _("publication state"),
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
        help_text=_("Only published agreements are shown to the public."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    iati_identifier = models.CharField(
        _("IATI activity identifier"),
        max_length=200,
        blank=True,
        null=True,
        unique=True,
        help_text=_(
            "Optional. Set by the IATI import (e.g. US-GOV-1-527-0427) and used to "
            "update the same agreement on a re-import. When empty, the IATI export "
            "uses the reporting organisation's reference and the agreement code."
        ),
        error_messages={
            "unique": _("Another agreement already has this IATI identifier.")
        },
    )
    earlier_transactions_unpublished = models.BooleanField(
        _("earlier transactions not published by the source"),
        default=False,
        db_default=False,
        help_text=_(
            "Set by the IATI import when the publisher's file starts mid-agreement "
            "(it publishes only a recent window of transactions): the totals are then "
            "the net change since the first published transaction, not the "
            "agreement's value, and the ledger lets them start below zero."
        ),
    )
    reporting_org_ref = models.CharField(
        _("published by (IATI reference)"),
        max_length=100,
        blank=True,
        db_default="",
        help_text=_(
            "Empty for our own record. Set by the IATI import to the reporting "
            "organisation of another publisher's file: the export then marks the "
            "activity as reported by us as a secondary reporter."
        ),
    )
    reporting_org_name = models.CharField(
        _("published by"), max_length=255, blank=True, db_default=""
    )
    source_file = models.CharField(
        _("imported from file"), max_length=255, blank=True, db_default=""
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    total = figure_field(
        _("total"), _("The sum of every amendment's amount, drafts included.")
    )
    public_total = figure_field(
        _("public total"), _("The sum of the published amendments' amounts.")
    )
    stated_count = count_field(_("amendments stating a total"))
    public_stated_count = count_field(_("published amendments stating a total"))
    unreconciled_count = count_field(_("amendments differing from their stated total"))
    public_unreconciled_count = count_field(
        _("published amendments differing from their stated total")
    )
    disbursed = figure_field(
        _("disbursed"),
        _("The sum of every disbursement's amount (reimbursements subtracted)."),
    )
    public_disbursed = figure_field(
        _("public disbursed"), _("The same over the published disbursements.")
    )
    spent = figure_field(_("spent"), _("The sum of every expenditure's amount."))
    public_spent = figure_field(
        _("public spent"), _("The same over the published expenditures.")
    )
    disbursement_count = count_field(_("disbursements and expenditures"))
    public_disbursement_count = count_field(
        _("published disbursements and expenditures")
    )
    disbursed_share = share_field(
        _("share disbursed"),
        _(
            "The disbursed total as a percentage of the committed total, rounded "
            "down; empty when nothing is committed or no disbursement is recorded."
        ),
    )
    public_disbursed_share = share_field(
        _("public share disbursed"),
        _("The same over the published amendments and disbursements."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AgreementQuerySet.as_manager()
    # The ledger's figures follow from the amendments, whose history says why.
    history = HistoricalRecords(excluded_fields=list(ledger.FIGURES["agreement"]))

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["code", "pk"]
        permissions = [
            ("publish_agreement", _("Can publish and unpublish agreements")),
        ]
        # The public list's sortable columns (each ends with the primary key, as
        # grants.listing.sortable does): a page is read from the index in order
        # instead of sorting every agreement.
        indexes = (
            [
                models.Index(
                    fields=[field, "id"], name=f"grants_agreement_{field}_sort"
                )
                for field in ("title", "kind", "status", "currency")
            ]
            + [
                models.Index(
                    fields=[ledger.figure(name, include_drafts=drafts), "id"],
                    name=f"grants_agr_{'' if drafts else 'pub_'}{name[:5]}_sort",
                )
                for name in ("total", "unreconciled_count")
                for drafts in (True, False)
            ]
            + [
                models.Index(
                    fields=[ledger.figure(name, include_drafts=drafts), "id"],
                    name=f"grants_agr_{'' if drafts else 'pub_'}{short}_sort",
                )
                for name, short in (
                    ("disbursed", "disb"),
                    ("disbursed_share", "dshare"),
                )
                for drafts in (True, False)
            ]
            + [
                # A code typed in a filter matches whatever its case (`iexact`: UPPER).
                models.Index(Upper("code"), name="grants_agreement_code_upper"),
            ]
        )
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("kind", AgreementKind),
                name="grants_agreement_kind_valid",
                violation_error_message=_("Choose a valid kind of agreement."),
            ),
            models.CheckConstraint(
                condition=choices_condition("status", AgreementStatus),
                name="grants_agreement_status_valid",
                violation_error_message=_("Choose a valid status."),
            ),
            models.CheckConstraint(
                condition=choices_condition("publication", PublicationState),
                name="grants_agreement_publication_valid",
                violation_error_message=_("Choose a valid publication state."),
            ),
            models.CheckConstraint(
                condition=Q(code__regex=CODE_RE),
                name="grants_agreement_code_format",
                violation_error_message=code_validator.message,
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=CURRENCY_RE),
                name="grants_agreement_currency_iso",
                violation_error_message=currency_validator.message,
            ),
            models.CheckConstraint(
                condition=Q(start_on__isnull=True)
                | Q(end_on__isnull=True)
                | Q(end_on__gte=F("start_on")),
                name="grants_agreement_end_after_start",
                violation_error_message=_(
                    "The end date cannot be before the start date."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(framework=F("pk")),
                name="grants_agreement_not_own_framework",
                violation_error_message=_("An agreement cannot be its own framework."),
            ),
            models.CheckConstraint(
                # Another publisher may fund and implement its own activity.
                condition=~Q(donor=F("recipient")) | ~Q(reporting_org_ref=""),
                name="grants_agreement_donor_not_recipient",
                violation_error_message=_(
                    "The donor and the recipient must be different."
                ),
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0, public_total__gte=0)
                | Q(earlier_transactions_unpublished=True),
                name="grants_agreement_totals_not_negative",
                violation_error_message=_("An agreement's total cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(
                    disbursed__gte=0,
                    public_disbursed__gte=0,
                    spent__gte=0,
                    public_spent__gte=0,
                )
                | Q(earlier_transactions_unpublished=True),
                name="grants_agreement_disbursed_not_negative",
                violation_error_message=_(
                    "An agreement's disbursed and spent totals cannot be negative."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"

    def save(self, *args, **kwargs):
        # An empty form field means "no identifier", which must be NULL to stay unique.
        if not self.iati_identifier:
            self.iati_identifier = None
        super().save(*args, **save_keeping_figures(self, kwargs))

    def get_absolute_url(self):
        return remembered_reverse("grants:agreement-detail", code=self.code)

    @property
    def is_public(self) -> bool:
        return self.publication == PublicationState.PUBLISHED

    @property
    def is_from_another_publisher(self) -> bool:
        """Imported from another reporting organisation's file (not our record)."""
        return bool(self.reporting_org_ref)

    def clean(self):
        super().clean()
        ancestor, seen = self.framework, set()
        while ancestor is not None and self.pk is not None:
            if ancestor.pk == self.pk or ancestor.pk in seen:
                raise ValidationError(
                    {"framework": _("This framework would make the agreements a loop.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.framework

    def amendment_timeline(self, *, include_drafts: bool):
        """The agreement's amendments in sequence, with the figures the viewer sees
        (`shown_running_total`, `reconciled`)."""
        amendments = self.amendments.visible(include_drafts=include_drafts)
        return (
            amendments.with_figures(include_drafts=include_drafts)
            .select_related("source")
            .order_by("sequence", "pk")
        )


class Participation(VersionedModel):
    """An organization taking part in an agreement in one IATI role."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(_("role"), max_length=1, choices=ParticipantRole.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("other participants")
        ordering = ["role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization", "role"],
                name="grants_participation_unique_role",
                violation_error_message=_(
                    "This organization already has this role in the agreement."
                ),
            ),
            models.CheckConstraint(
                condition=choices_condition("role", ParticipantRole),
                name="grants_participation_role_valid",
                violation_error_message=_("Choose a valid IATI role."),
            ),
        ]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()})"


class GeographyKind(models.TextChoices):
    COUNTRY = "country", _("country")
    REGION = "region", _("region")


class StatedShare(VersionedModel):
    """A row an IATI publisher states with its share, in the publisher's order."""

    percentage = models.DecimalField(
        _("percentage"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The share as the publisher states it; empty when not stated."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__isnull=True)
                | Q(percentage__gte=0, percentage__lte=100),
                name="%(app_label)s_%(class)s_percentage_range",
                violation_error_message=_("A percentage is between 0 and 100."),
            ),
        ]

    def __str__(self):
        share = f" {self.percentage} %" if self.percentage is not None else ""
        return f"{self.label}{share}"


class RecipientArea(StatedShare):
    """A recipient country or region of an agreement with its share, as an IATI
    activity states it (`recipient-country`, `recipient-region`)."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="recipient_areas",
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=GeographyKind.choices, default="country"
    )
    code = models.CharField(
        _("code"),
        max_length=20,
        help_text=_("ISO 3166-1 alpha-2 for a country; the region's code otherwise."),
    )
    vocabulary = models.CharField(
        _("region vocabulary"),
        max_length=10,
        blank=True,
        help_text=_("IATI RegionVocabulary (1 = OECD DAC); empty for a country."),
    )
    name = models.CharField(_("name"), max_length=255, blank=True)

    class Meta(StatedShare.Meta):
        verbose_name = _("recipient country or region")
        verbose_name_plural = _("recipient countries and regions")
        constraints = [
            *StatedShare.Meta.constraints,
            models.CheckConstraint(
                condition=choices_condition("kind", GeographyKind),
                name="grants_recipientarea_kind_valid",
                violation_error_message=_("Choose country or region."),
            ),
        ]

    @property
    def label(self) -> str:
        return self.name or self.code

    @property
    def display_name(self) -> str:
        if self.kind == GeographyKind.COUNTRY:
            return countries.name(self.code) or self.name or self.code
        return self.name or self.code


# IATI SectorVocabulary, as the agreement page names them.
SECTOR_VOCABULARIES = {
    "1": _("OECD DAC 5-digit"),
    "2": _("OECD DAC 3-digit"),
    "3": _("COFOG"),
    "7": _("SDG goal"),
    "8": _("SDG target"),
    "98": _("publisher's own (secondary)"),
    "99": _("publisher's own"),
}


class AgreementSector(StatedShare):
    """A sector of an agreement in any IATI vocabulary, with its share (DAC codes
    also map to program areas; other vocabularies are kept as information)."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="sectors",
    )
    vocabulary = models.CharField(
        _("vocabulary"),
        max_length=10,
        default="1",
        help_text=_(
            "IATI SectorVocabulary: 1 = OECD DAC 5-digit, 99 = the publisher's own."
        ),
    )
    vocabulary_uri = models.URLField(_("vocabulary URI"), max_length=1000, blank=True)
    code = models.CharField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=500, blank=True)

    class Meta(StatedShare.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    @property
    def label(self) -> str:
        return f"{self.vocabulary}:{self.code}"

    @property
    def display_name(self) -> str:
        return self.name or self.code

    @property
    def vocabulary_label(self) -> str:
        return str(SECTOR_VOCABULARIES.get(self.vocabulary, self.vocabulary))


def reconciled_expression(*, include_drafts: bool):
    """None where the amendment states no total; True where the stated total equals
    the running total the viewer sees, False where it differs."""
    running_total = ledger.figure("running_total", include_drafts=include_drafts)
    return models.Case(
        models.When(stated_cumulative_total__isnull=True, then=models.Value(None)),
        models.When(stated_cumulative_total=F(running_total), then=models.Value(True)),
        default=models.Value(False),
        output_field=models.BooleanField(null=True),
    )


class LedgerQuerySet(GatedQuerySet):
    """The QuerySet of rows the ledger totals (amendments, disbursements): the public
    gate of a row with a publication of its own, and writes that bypass save() keep
    the ledger true too."""

    def public(self):
        """Published rows of published agreements: every draft is excluded."""
        return self.filter(published_q(), published_q("agreement__"))

    def drafts(self):
        """Rows not published themselves (whatever their agreement's state)."""
        return self.exclude(published_q())

    def update(self, **kwargs):
        if not ledger.INPUTS[self.model._meta.model_name].intersection(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            agreements = self.agreement_ids()
            ledger.lock(agreements, using=self.db)
            if "agreement" in kwargs or "agreement_id" in kwargs:
                # Once moved, the rows may no longer match this queryset's filter:
                # their new agreements are found by primary key.
                moved = self.model.objects.using(self.db).filter(
                    pk__in=list(self.values_list("pk", flat=True))
                )
                count = super().update(**kwargs)
                moved_to = moved.agreement_ids()
                ledger.lock(moved_to - agreements, using=self.db)
                agreements |= moved_to
            else:
                count = super().update(**kwargs)
            ledger.after_write(agreements, using=self.db)
        return count

    update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self.db):
            agreements = self.agreement_ids()
            ledger.lock(agreements, using=self.db)
            result = super().delete()
            ledger.after_write(agreements, using=self.db)
        return result

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        """Rows inserted in bulk get their figures from SQL (`ledger.write_figures`);
        a negative one is refused by the constraints."""
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            ledger.write_figures({obj.agreement_id for obj in objs}, using=self.db)
        return created

    def agreement_ids(self) -> set[int]:
        return set(self.order_by().values_list("agreement_id", flat=True).distinct())


class AgreementRow(models.Model):
    """The publication state and timestamps of a row of an agreement that has its own
    publication step (amendments, disbursements)."""

    publication = models.CharField(
        _("publication state"),
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
        help_text=_(
            "Shown to the public only once both it and its agreement are published."
        ),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class LedgerRowMixin:
    """save() and delete() of a row the ledger totals: the agreement (both, when the
    row moves) locked, the row written, the figures checked and stored, in one
    transaction (grants/ledger.py)."""

    def save(self, *args, **kwargs):
        model = type(self)
        using = kwargs.get("using") or router.db_for_write(model, instance=self)
        with transaction.atomic(using=using):
            agreements = {self.agreement_id}
            if not self._state.adding:
                # Moved to another agreement: both agreements' figures change.
                agreements.add(
                    model._base_manager.using(using)
                    .filter(pk=self.pk)
                    .values_list("agreement_id", flat=True)
                    .first()
                )
            ledger.lock(agreements, using=using)
            super().save(*args, **save_keeping_figures(self, kwargs))
            ledger.after_write(agreements, using=using)

    def delete(self, *args, **kwargs):
        model = type(self)
        using = kwargs.get("using") or router.db_for_write(model, instance=self)
        with transaction.atomic(using=using):
            ledger.lock([self.agreement_id], using=using)
            result = super().delete(*args, **kwargs)
            ledger.after_write([self.agreement_id], using=using)
        return result

    @property
    def is_public(self) -> bool:
        """Published, and so is its agreement: the Python twin of `public()`."""
        return (
            self.publication == PublicationState.PUBLISHED and self.agreement.is_public
        )


class AmendmentQuerySet(LedgerQuerySet):
    def with_figures(self, *, include_drafts: bool):
        """Annotate the ledger's stored running total as the viewer sees it
        (`shown_running_total`: over the published amendments unless `include_drafts`) and
        `reconciled` (None: nothing stated; True/False: the stated total matches it or
        not). Safe to filter and sort on both."""
        return self.annotate(
            shown_running_total=F(
                ledger.figure("running_total", include_drafts=include_drafts)
            ),
            reconciled=reconciled_expression(include_drafts=include_drafts),
        )


class Amendment(LedgerRowMixin, AgreementRow, VersionedModel):
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    sequence = models.PositiveIntegerField(
        _("sequence number"),
        help_text=_(
            "1 for the original obligation, 2 for the first amendment, and so on."
        ),
    )
    title = models.CharField(_("title"), max_length=500)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        help_text=_(
            "Amount this amendment adds, in the agreement's currency. Negative for a "
            "de-obligation (money taken back)."
        ),
    )
    amount_is_derived = models.BooleanField(
        _("amount is derived"),
        default=False,
        help_text=_(
            "Tick when the source does not state this amount and it was computed from "
            "other figures; explain how in the description."
        ),
    )
    stated_cumulative_total = models.DecimalField(
        _("stated cumulative total"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
        help_text=_(
            "The total to date as the document itself states it (e.g. “adding to date a "
            "total of 202.9 million”). Leave empty if it gives none. It is compared with "
            "the computed running total."
        ),
    )
    running_total = figure_field(
        _("running total"),
        _("The sum of the agreement's amounts up to and including this amendment."),
    )
    public_running_total = figure_field(
        _("public running total"),
        _(
            "The same over the published amendments only: what the public sees once "
            "the agreement is published."
        ),
    )
    opening_unknown = models.BooleanField(
        _("earlier transactions not published by the source"),
        default=False,
        db_default=False,
        editable=False,
        help_text=_(
            "The agreement's flag, copied here by the ledger so that the database "
            "can let this running total be below zero for that reason only."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    source = models.ForeignKey(
        SourceDocument,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )

    objects = AmendmentQuerySet.as_manager()
    # The ledger's figures follow from the amounts, whose history says why.
    history = HistoricalRecords(
        excluded_fields=[*ledger.FIGURES["amendment"], "opening_unknown"]
    )

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["agreement", "sequence", "pk"]
        permissions = [
            ("publish_amendment", _("Can publish and unpublish amendments")),
        ]
        # As for agreements: the public list's sortable columns of the table itself.
        indexes = [
            models.Index(fields=[*fields, "id"], name=f"grants_amendment_{name}_sort")
            for name, fields in (
                ("title", ["title"]),
                ("signed", ["signed_on"]),
                ("period", ["period_start", "period_end"]),
                ("amount", ["amount"]),
                ("stated", ["stated_cumulative_total"]),
                ("running", ["running_total"]),
                ("pubrun", ["public_running_total"]),
            )
        ] + [
            # The Reconciliation column's sort: the expression the list orders by,
            # as the public and the staff see it.
            models.Index(
                reconciled_expression(include_drafts=include_drafts),
                F("id"),
                name=name,
            )
            for include_drafts, name in (
                (False, "grants_amendment_pubrec_sort"),
                (True, "grants_amendment_rec_sort"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "sequence"],
                name="grants_amendment_unique_sequence",
                violation_error_message=_(
                    "This agreement already has an amendment with this sequence number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1),
                name="grants_amendment_sequence_positive",
                violation_error_message=_("The sequence number starts at 1."),
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="grants_amendment_period_end_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=-MONEY_LIMIT, amount__lte=MONEY_LIMIT),
                name="grants_amendment_amount_range",
                violation_error_message=_("The amount is out of range."),
            ),
            models.CheckConstraint(
                condition=Q(stated_cumulative_total__isnull=True)
                | Q(
                    stated_cumulative_total__gte=0,
                    stated_cumulative_total__lte=MONEY_LIMIT,
                ),
                name="grants_amendment_stated_total_range",
                violation_error_message=_(
                    "The stated cumulative total cannot be negative or out of range."
                ),
            ),
            models.CheckConstraint(
                condition=choices_condition("publication", PublicationState),
                name="grants_amendment_publication_valid",
                violation_error_message=_("Choose a valid publication state."),
            ),
            models.CheckConstraint(
                condition=Q(running_total__gte=0, public_running_total__gte=0)
                | Q(opening_unknown=True),
                name="grants_amendment_running_totals_not_negative",
                violation_error_message=_(
                    "A running total cannot fall below zero, public or not."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.agreement.code} #{self.sequence}: {self.title}"

    def get_absolute_url(self):
        return self.agreement.get_absolute_url() + f"#amendment-{self.sequence}"


class DisbursementKind(models.TextChoices):
    """What a payment is: the IATI transaction types 3 and 4."""

    DISBURSEMENT = "disbursement", _("Disbursement")
    EXPENDITURE = "expenditure", _("Expenditure")


def paid_by_now():
    """The latest date a payment can have: today, anywhere on Earth (UTC+14), so an
    official east of the site's time zone is never refused today's payment."""
    return (timezone.now() + datetime.timedelta(hours=14)).date()


# Payments newest first: the list, the admin, the CSV and the agreement page.
PAYMENTS_NEWEST_FIRST = ("-date", "-pk")


class DisbursementQuerySet(LedgerQuerySet):
    def newest_first(self):
        """PAYMENTS_NEWEST_FIRST."""
        return self.order_by(*PAYMENTS_NEWEST_FIRST)


class Disbursement(LedgerRowMixin, AgreementRow, VersionedModel):
    """Money actually paid under an agreement: by the donor to the recipient (a
    disbursement) or spent by the implementer (an expenditure). Negative for a
    reimbursement or a correction. The ledger keeps each agreement's totals."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=DisbursementKind.choices,
        default=DisbursementKind.DISBURSEMENT,
        help_text=_(
            "Disbursement: paid by the donor to the recipient. Expenditure: spent by "
            "the implementer."
        ),
    )
    date = models.DateField(_("date"), help_text=_("When the money was paid or spent."))
    amount = models.DecimalField(
        _("amount"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        help_text=_(
            "In the agreement's currency. Negative for a reimbursement or a correction "
            "(money returned)."
        ),
    )
    provider = models.ForeignKey(
        Organization,
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursements_provided",
        help_text=_("Who paid, if the source says."),
    )
    receiver = models.ForeignKey(
        Organization,
        verbose_name=_("receiver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursements_received",
        help_text=_("Who received the money, if the source says."),
    )
    description = models.TextField(_("description"), blank=True)
    source = models.ForeignKey(
        SourceDocument,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursements",
    )

    objects = DisbursementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["agreement", "date", "pk"]
        permissions = [
            ("publish_disbursement", _("Can publish and unpublish disbursements")),
        ]
        # The public list's sortable columns, and each agreement's payments by date.
        indexes = [
            models.Index(fields=[*fields, "id"], name=f"grants_disb_{name}_sort")
            for name, fields in (
                ("date", ["date"]),
                ("amount", ["amount"]),
                ("kind", ["kind"]),
                ("agreement", ["agreement", "date"]),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_condition("kind", DisbursementKind),
                name="grants_disbursement_kind_valid",
                violation_error_message=_("Choose disbursement or expenditure."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=-MONEY_LIMIT, amount__lte=MONEY_LIMIT),
                name="grants_disbursement_amount_range",
                violation_error_message=_("The amount is out of range."),
            ),
            models.CheckConstraint(
                condition=choices_condition("publication", PublicationState),
                name="grants_disbursement_publication_valid",
                violation_error_message=_("Choose a valid publication state."),
            ),
        ]

    def __str__(self):
        return (
            f"{self.agreement.code} {self.get_kind_display()} "
            f"{self.date.isoformat() if self.date else ''}"
        ).strip()

    def get_absolute_url(self):
        return self.agreement.get_absolute_url() + f"#disbursement-{self.pk}"

    def clean(self):
        super().clean()
        if self.date is not None and self.date > paid_by_now():
            raise ValidationError(
                {
                    "date": _(
                        "A disbursement records money already paid or spent: its "
                        "date cannot be in the future."
                    )
                }
            )


class BudgetType(models.TextChoices):
    """The IATI BudgetType codelist."""

    ORIGINAL = "1", _("Original")
    REVISED = "2", _("Revised")


class BudgetStatus(models.TextChoices):
    """The IATI BudgetStatus codelist."""

    INDICATIVE = "1", _("Indicative")
    COMMITTED = "2", _("Committed")


class Budget(VersionedModel):
    """A planned amount for one period, kept as information (e.g. from an IATI file).

    Budgets never enter the agreement's total: that is the sum of its amendments."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="budgets",
    )
    budget_type = models.CharField(
        _("budget type"),
        max_length=1,
        choices=BudgetType.choices,
        default=BudgetType.ORIGINAL,
        help_text=_("A revised budget restates the original one for the same period."),
    )
    status = models.CharField(
        _("budget status"),
        max_length=1,
        choices=BudgetStatus.choices,
        default=BudgetStatus.INDICATIVE,
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(
        _("amount"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currency_validator]
    )
    value_date = models.DateField(
        _("value date"),
        null=True,
        blank=True,
        help_text=_("The date of the exchange rate, as IATI requires."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["agreement", "period_start", "budget_type", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="grants_budget_period_end_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=choices_condition("budget_type", BudgetType),
                name="grants_budget_type_valid",
                violation_error_message=_("Choose a valid budget type."),
            ),
            models.CheckConstraint(
                condition=choices_condition("status", BudgetStatus),
                name="grants_budget_status_valid",
                violation_error_message=_("Choose a valid budget status."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=-MONEY_LIMIT, amount__lte=MONEY_LIMIT),
                name="grants_budget_amount_range",
                violation_error_message=_("The amount is out of range."),
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=CURRENCY_RE),
                name="grants_budget_currency_iso",
                violation_error_message=currency_validator.message,
            ),
        ]

    def __str__(self):
        return (
            f"{self.agreement.code} {self.get_budget_type_display()} "
            f"{self.period_start}–{self.period_end}"
        )


class PublicVersion(models.Model):
    """A version of the cached pages and values (grants/cache.py): a row per table of
    the record, moved by every write to that table in the write's own transaction, so
    every worker and server sees a committed change at once, and the row `*`, moved
    by writes that name no table. `epoch` is new for every row, so a recreated
    database never meets an old cache's entries."""

    scope = models.CharField(_("scope"), max_length=100, unique=True)
    epoch = models.UUIDField(_("epoch"), default=uuid.uuid4, editable=False)
    number = models.PositiveBigIntegerField(_("number"), default=1)

    class Meta:
        verbose_name = _("public version")
        verbose_name_plural = _("public versions")

    def __str__(self):
        return f"{self.epoch.hex}-{self.number}"


from .jobs.models import Job, JobState, Upload  # noqa: E402, F401  (the jobs' tables)
