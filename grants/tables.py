import django_tables2 as tables

from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .cache import remember
from .formatting import (
    NOTHING,
    money,
    period,
    reconciled,
    reconciliation,
    share_text,
    signed_under_text,
)
from .listing import NUM, SiteTable, nulls_smallest_order, sortable
from .models import Agreement, AgreementKind, Amendment, Disbursement, ProgramArea


class AgreementTable(SiteTable):
    admin_change_url = "admin:grants_agreement_change"
    indexed_sorts = (
        "code",
        "title",
        "kind",
        "status",
        "currency",
        "total",
        "unreconciled_count",
        "disbursed",
        "disbursed_share",
    )

    code = tables.Column(
        verbose_name=_("Code"),
        linkify=True,
        attrs={"td": {"class": "code"}},
        order_by=sortable("code"),
    )
    title = tables.Column(
        verbose_name=_("Title"),
        attrs={"td": {"class": "wide"}},
        order_by=sortable("title"),
    )
    kind = tables.Column(verbose_name=_("Kind"), order_by=sortable("kind"))
    status = tables.Column(verbose_name=_("Status"), order_by=sortable("status"))
    donor = tables.Column(verbose_name=_("Donor"), order_by=sortable("donor__name"))
    recipient = tables.Column(
        verbose_name=_("Recipient"), order_by=sortable("recipient__name")
    )
    currency = tables.Column(verbose_name=_("Currency"), order_by=sortable("currency"))
    # The ledger's stored figures as the viewer sees them (with_figures).
    total = tables.Column(
        verbose_name=_("Total"),
        accessor="shown_total",
        attrs=NUM,
        order_by=sortable("shown_total"),
    )
    unreconciled_count = tables.Column(
        verbose_name=_("Reconciliation"),
        accessor="shown_unreconciled_count",
        empty_values=(),
        order_by=sortable("shown_unreconciled_count"),
    )
    disbursed = tables.Column(
        verbose_name=_("Disbursed"),
        accessor="shown_disbursed",
        attrs=NUM,
        order_by=sortable("shown_disbursed"),
    )
    disbursed_share = tables.Column(
        verbose_name=_("Share disbursed"),
        accessor="shown_disbursed_share",
        attrs=NUM,
        order_by=sortable("shown_disbursed_share"),
    )

    class Meta(SiteTable.Meta):
        model = Agreement
        fields = ()
        sequence = (
            "code",
            "title",
            "kind",
            "status",
            "donor",
            "recipient",
            "currency",
            "total",
            "disbursed",
            "disbursed_share",
            "unreconciled_count",
            "publication_state",
            "edit",
        )

    @cached_property
    def signed_under(self):
        """What was signed under each framework of the current page, by its key."""
        frameworks = [
            row.record.pk
            for row in self.paginated_rows
            if row.record.kind == AgreementKind.FRAMEWORK
        ]
        if not frameworks:
            return {}
        agreements = Agreement.objects.visible(include_drafts=self.include_drafts)
        # A framework's sums over the thousands of agreements signed under it were
        # half of the list's time (55 of 110 ms at 100,000 agreements): remembered
        # while the agreements are unchanged (grants/cache.py).
        return remember(
            "signed-under",
            (sorted(frameworks), self.include_drafts),
            lambda: agreements.signed_under(
                frameworks, include_drafts=self.include_drafts
            ),
        )

    def render_total(self, value, record):
        under = self.signed_under.get(record.pk)
        if under and not value:
            # A framework has no amounts of its own: what was signed under it.
            return format_html(
                '<span class="signed-under">{}</span>',
                _("Signed under it: %(what)s") % {"what": signed_under_text(under)},
            )
        return money(value)

    def render_disbursed(self, value, record):
        if not record.shown_disbursement_count:
            return NOTHING
        return money(value)

    def render_disbursed_share(self, value):
        return share_text(value)

    order_disbursed_share = nulls_smallest_order("shown_disbursed_share")

    def render_unreconciled_count(self, value, record):
        return reconciliation(stated=record.shown_stated_count, differing=value)


class AmendmentTable(SiteTable):
    admin_change_url = "admin:grants_amendment_change"
    indexed_sorts = (
        "agreement",
        "sequence",
        "title",
        "signed_on",
        "period_start",
        "currency",
        "amount",
        "running_total",
        "stated_cumulative_total",
        "reconciled",
    )

    agreement = tables.Column(
        verbose_name=_("Agreement"),
        accessor="agreement__code",
        attrs={"td": {"class": "code"}},
        linkify=lambda record: record.agreement.get_absolute_url(),
        order_by=sortable("agreement__code", "sequence"),
    )
    sequence = tables.Column(
        verbose_name="#",
        linkify=True,
        order_by=sortable("agreement__code", "sequence"),
    )
    title = tables.Column(
        verbose_name=_("Title"),
        attrs={"td": {"class": "wide"}},
        order_by=sortable("title"),
    )
    signed_on = tables.Column(verbose_name=_("Signed"), order_by=sortable("signed_on"))
    period_start = tables.Column(
        verbose_name=_("Period"),
        attrs={"td": {"class": "period"}},
        order_by=sortable("period_start", "period_end"),
    )
    currency = tables.Column(
        verbose_name=_("Currency"),
        accessor="agreement__currency",
        # Then by agreement and sequence: read through the agreements' currency
        # index, each agreement's few amendments in order, not a sort of them all.
        order_by=sortable("agreement__currency", "agreement_id", "sequence"),
    )
    amount = tables.Column(
        verbose_name=_("Amount"), attrs=NUM, order_by=sortable("amount")
    )
    running_total = tables.Column(
        verbose_name=_("Running total"),
        accessor="shown_running_total",
        attrs=NUM,
        order_by=sortable("shown_running_total"),
    )
    stated_cumulative_total = tables.Column(
        verbose_name=_("Stated total"),
        attrs=NUM,
        order_by=sortable("stated_cumulative_total"),
    )
    reconciled = tables.Column(
        verbose_name=_("Reconciliation"),
        empty_values=(),
        order_by=sortable("reconciled"),
    )

    class Meta(SiteTable.Meta):
        model = Amendment
        fields = ()
        sequence = (
            "agreement",
            "sequence",
            "title",
            "signed_on",
            "period_start",
            "currency",
            "amount",
            "running_total",
            "stated_cumulative_total",
            "reconciled",
            "publication_state",
            "edit",
        )

    def render_signed_on(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def render_period_start(self, record):
        return period(record.period_start, record.period_end)

    def render_amount(self, value, record):
        if record.amount_is_derived:
            return format_html("{}<br><small>{}</small>", money(value), _("derived"))
        return money(value)

    def render_running_total(self, value):
        return money(value)

    def render_stated_cumulative_total(self, value):
        return money(value)

    def render_reconciled(self, value):
        return reconciled(value)


class DisbursementTable(SiteTable):
    admin_change_url = "admin:grants_disbursement_change"
    indexed_sorts = ("date", "agreement", "kind", "amount")

    date = tables.Column(verbose_name=_("Date"), order_by=sortable("date"))
    agreement = tables.Column(
        verbose_name=_("Agreement"),
        accessor="agreement__code",
        linkify=lambda record: record.agreement.get_absolute_url(),
        order_by=sortable("agreement__code", "date"),
    )
    kind = tables.Column(verbose_name=_("Kind"), order_by=sortable("kind"))
    provider = tables.Column(verbose_name=_("Provider"), orderable=False)
    receiver = tables.Column(verbose_name=_("Receiver"), orderable=False)
    description = tables.Column(
        verbose_name=_("Description"), attrs={"td": {"class": "wide"}}, orderable=False
    )
    currency = tables.Column(
        verbose_name=_("Currency"), accessor="agreement__currency", orderable=False
    )
    amount = tables.Column(
        verbose_name=_("Amount"), attrs=NUM, order_by=sortable("amount")
    )

    class Meta(SiteTable.Meta):
        model = Disbursement
        fields = ()
        # The figures first: on a phone the columns past the screen's width are
        # reached by scrolling.
        sequence = (
            "date",
            "agreement",
            "currency",
            "amount",
            "kind",
            "provider",
            "receiver",
            "description",
            "publication_state",
            "edit",
        )

    def render_date(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def render_amount(self, value):
        return money(value)


class ProgramAreaTable(SiteTable):
    admin_change_url = "admin:grants_programarea_change"

    name = tables.Column(
        verbose_name=_("Program area"), linkify=True, order_by=sortable("name")
    )
    code = tables.Column(verbose_name=_("Code"), order_by=sortable("code"))
    agreement_count = tables.Column(
        verbose_name=_("Agreements"), attrs=NUM, order_by=sortable("agreement_count")
    )
    indicator_count = tables.Column(
        verbose_name=_("Indicators"), attrs=NUM, order_by=sortable("indicator_count")
    )

    class Meta(SiteTable.Meta):
        model = ProgramArea
        fields = ()
        sequence = ("name", "code", "agreement_count", "indicator_count")
        row_attrs = {}
        exclude = ("publication_state",)
