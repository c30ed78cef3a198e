import django_tables2 as tables

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .formatting import money, period
from .models import Agreement, Amendment, ProgramArea


def sortable(*fields):
    """Sort keys ending with the primary key, so pages never repeat or skip rows."""
    return (*fields, "pk")


def draft_row_class(record):
    return "" if record.is_public else "draft"


class SiteTable(tables.Table):
    """Shared look, and the two staff-only columns (the list view drops them for the
    public): publication state and a link to edit the row in the admin."""

    admin_change_url = ""
    staff_only = ("publication_state", "edit")
    # Columns whose sort an index serves (None: every column, for small tables).
    # Sorting by any other column sorts every matching row, so the list offers it
    # only while the filters leave at most grants.listing.COSTLY_SORT_MAX_ROWS.
    indexed_sorts: tuple[str, ...] | None = None

    publication_state = tables.Column(
        verbose_name=_("Publication"), empty_values=(), orderable=False
    )
    edit = tables.Column(verbose_name=_("Edit"), empty_values=(), orderable=False)

    class Meta:
        template_name = "django_tables2/site_table.html"
        attrs = {"class": "data"}
        row_attrs = {"class": draft_row_class}
        empty_text = _("Nothing matches these filters.")

    def render_publication_state(self, record):
        if record.is_public:
            return _("Public")
        return format_html('<span class="badge-draft">{}</span>', _("Not public"))

    def render_edit(self, record):
        url = reverse(self.admin_change_url, args=[record.pk])
        return format_html(
            '<a href="{}">{}<span class="visually-hidden"> {}</span></a>',
            url,
            _("Edit"),
            record,
        )


NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


class AgreementTable(SiteTable):
    admin_change_url = "admin:grants_agreement_change"
    indexed_sorts = ("code", "title", "kind", "status", "currency")

    code = tables.Column(
        verbose_name=_("Code"), linkify=True, order_by=sortable("code")
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
    total = tables.Column(
        verbose_name=_("Total"), attrs=NUM, order_by=sortable("total")
    )
    unreconciled_count = tables.Column(
        verbose_name=_("Reconciliation"), order_by=sortable("unreconciled_count")
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
            "unreconciled_count",
            "publication_state",
            "edit",
        )

    def render_total(self, value):
        return money(value)

    def render_unreconciled_count(self, value):
        if value:
            return format_html(
                '<span class="flag">⚠ {}</span>', _("differs from the stated total")
            )
        return _("reconciled or nothing stated")


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
    )

    agreement = tables.Column(
        verbose_name=_("Agreement"),
        accessor="agreement__code",
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
    signed_on = tables.DateColumn(
        verbose_name=_("Signed"), short=True, order_by=sortable("signed_on")
    )
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
        attrs=NUM,
        order_by=sortable("agreement__code", "sequence"),
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
        if value is None:
            return _("nothing stated")
        if value:
            return format_html('<span class="ok">✓ {}</span>', _("reconciled"))
        return format_html(
            '<span class="flag">⚠ {}</span>', _("differs from the computed total")
        )


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
