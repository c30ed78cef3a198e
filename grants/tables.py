import inspect

import django_tables2 as tables

from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Model
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy as _

from . import languages
from .cache import remember
from .formatting import NOTHING, money, period, share_text, signed_under_text
from .models import Agreement, AgreementKind, Amendment, Disbursement, ProgramArea


def sortable(*fields):
    """Sort keys ending with the primary key, so pages never repeat or skip rows."""
    return (*fields, "pk")


def nulls_smallest(queryset, field, is_descending):
    """`queryset` sorted by `field` with empty values as the smallest (first going
    up, last going down), on every database: PostgreSQL takes them as the largest
    unless told. An index `(field ASC NULLS FIRST, id)` serves both directions
    (grants migration 0013)."""
    if is_descending:
        return queryset.order_by(F(field).desc(nulls_last=True), "-pk")
    return queryset.order_by(F(field).asc(nulls_first=True), "pk")


def nulls_smallest_order(field):
    """A table's `order_<column>` method sorting by `field` with `nulls_smallest`."""

    def order(self, queryset, is_descending):
        return nulls_smallest(queryset, field, is_descending), True

    return order


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
        attrs = {"class": "data stack"}
        row_attrs = {"class": draft_row_class}
        empty_text = _("Nothing matches these filters.")

    def __init__(self, *args, include_drafts=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.include_drafts = include_drafts

    def rows_html(self):
        """The `<tr>` rows of the current page (every row when not paginated), each
        cell as django-tables2's own `{% for column, cell in row.items %}` loop
        renders it (tests/grants/test_tables.py compares the two for every list
        table), plus the phone layout's `data-label` and `class="empty"`. The work
        that does not depend on the row is done once per column: django-tables2
        redoes it for every cell, which made the list pages twice as slow
        (docs/performance.md)."""
        cells = [CellRenderer(self, column) for column in self.columns]
        row_attrs = [
            (name, with_arguments(value, ROW_ARGUMENTS) if callable(value) else None)
            for name, value in self.row_attrs.items()
        ]
        rows = []
        for row in self.paginated_rows:
            arguments = {"record": row.record, "table": self}
            attrs = [
                (name, self.row_attrs[name] if call is None else call(arguments))
                for name, call in row_attrs
            ]
            attrs = format_html_join(
                "", ' {}="{}"', [(k, v) for k, v in attrs if v not in ("", None)]
            )
            tds = "".join([cell.html(row) for cell in cells])
            rows.append(f"<tr{attrs}>{tds}</tr>")
        return mark_safe("\n".join(rows))

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


CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")
ROW_ARGUMENTS = ("record", "table")


def with_arguments(function, offered):
    """`function` as a callable of one dict of arguments, passed only those it names
    (as django-tables2 passes a `render_<column>` method or a `linkify` callable),
    its signature read once rather than at each call."""
    parameters = inspect.signature(function).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        names = offered
    else:
        names = [p.name for p in parameters]
        unknown = set(names) - set(offered)
        if unknown:
            raise ImproperlyConfigured(
                f"{function.__qualname__}() asks for {', '.join(sorted(unknown))}; "
                f"a SiteTable passes only {', '.join(offered)}."
            )
    return lambda arguments: function(**{name: arguments[name] for name in names})


class CellRenderer:
    """The cells of one column, for `SiteTable.rows_html`: what does not depend on
    the row is worked out once, from django-tables2's public column API."""

    def __init__(self, table, bound_column):
        self.table = table
        self.bound_column = bound_column
        self.column = bound_column.column
        self.accessor = bound_column.accessor
        self.render = with_arguments(bound_column.render, CELL_ARGUMENTS)
        # A field with choices shows its label, as django-tables2 does (through
        # get_FOO_display, which translates every label at each call).
        field = self.accessor.get_field(table.Meta.model)
        # A text of the record is shown in the visitor's language, else marked
        # with its own (grants.languages.marked).
        self.translated = None
        if field is not None and languages.is_translated(field.model, field.name):
            self.translated = field.name
        self.labels = None
        if getattr(field, "choices", None):
            self.labels = {value: str(label) for value, label in field.flatchoices}
        # A link's URL from django-tables2's linkify (a callable, reverse arguments
        # or get_absolute_url); a link with attributes of its own is django-tables2's
        # whole <a>.
        self.link = bound_column.link
        self.link_url = None
        if self.link and not self.link.attrs:
            if callable(self.link.url):
                self.link_url = with_arguments(self.link.url, CELL_ARGUMENTS)
            else:
                self.link_url = lambda arguments: self.link.compose_url(**arguments)
        td = {**table.attrs, **self.column.attrs}
        td = td.get("td", td.get("cell", {}))
        if any(callable(value) for value in td.values()):
            raise ImproperlyConfigured(
                f"{type(table).__name__}.{bound_column.name}: a SiteTable's td "
                "attributes are fixed values, the same for every row."
            )
        self.td_attrs = bound_column.attrs["td"].as_html()
        # On a phone each row is a stack of "label: value" lines (site.css), the
        # label read from here; an empty cell is left out of it.
        self.label = format_html(' data-label="{}"', bound_column.header)
        classes = bound_column.attrs["td"].get("class")
        self.empty_attrs = format_html(
            ' class="{}"{}',
            f"empty {classes}" if classes else "empty",
            format_html_join(
                "",
                ' {}="{}"',
                [
                    (k, v)
                    for k, v in bound_column.attrs["td"].items()
                    if k != "class" and v is not None
                ],
            ),
        )

    def value(self, record):
        try:
            if self.translated:
                owner = self.accessor.penultimate(record)[0]
                text, language = languages.text_in(owner, self.translated)
                return languages.marked(text, language) if text else None
            value = self.accessor.resolve(record)
        except Exception:
            return None
        if self.labels is not None:
            return self.labels.get(value, value)
        if isinstance(value, Model) and languages.translated_fields(type(value)):
            return languages.marked(str(value), languages.label_language(value))
        return value

    def html(self, row):
        record = row.record
        value = self.value(record)
        if value in self.column.empty_values:
            content = conditional_escape(self.bound_column.default)
            return f"<td{self.empty_attrs}{self.label}>{content}</td>"
        arguments = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": self.table,
        }
        content = self.render(arguments)
        if self.link_url is not None:
            url = self.link_url(arguments)
            if url is not None:
                content = format_html('<a href="{}">{}</a>', url, content)
        elif self.link:
            content = self.link(content, **arguments)
        content = conditional_escape(localize(template_localtime(content)))
        space = " " if self.td_attrs else ""
        return f"<td{space}{self.td_attrs}{self.label}>{content}</td>"


NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


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
        if value:
            return format_html(
                '<span class="flag">⚠ {}</span>', _("differs from the stated total")
            )
        if record.shown_stated_count:
            return format_html('<span class="ok">✓ {}</span>', _("reconciled"))
        return _("nothing stated")


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
        if value is None:
            return _("nothing stated")
        if value:
            return format_html('<span class="ok">✓ {}</span>', _("reconciled"))
        return format_html(
            '<span class="flag">⚠ {}</span>', _("differs from the computed total")
        )


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
