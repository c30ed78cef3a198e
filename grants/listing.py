"""What every list page shares: the public gate (or the staff view), a capped page
size, a primary-key tie-breaker, the filtered, ordered queryset in one place, the
FilterSet with its free-text search (`SearchFilterSet`), the table with its rows
(`SiteTable`, templates/django_tables2/site_table.html) and the page itself
(`ListPageView`, templates/list_page.html). Each list's FilterSet, table and view
subclass live by their domain (grants/, indicators/)."""

import inspect

import django_filters
import django_tables2 as tables
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import F, Model
from django.http import HttpResponse
from django.urls import reverse
from django.utils.formats import localize, number_format
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import languages
from .cache import cached_count, remember
from .csv_export import csv_response
from .reports import get_report
from .search import search_in

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# A sort no index serves (SiteTable.indexed_sorts) reads and sorts every matching
# row: about a second for 600,000 results. Offered up to this many matching rows.
COSTLY_SORT_MAX_ROWS = 100_000
# How many rows of such a sort are remembered in order (40 pages of 25).
REMEMBERED_ORDER_ROWS = 1000
SEARCH_MAX_LENGTH = 200


def shows_drafts(request):
    """A signed-in staff member sees drafts, unless they asked (`?view=public`) to see
    exactly what the public sees."""
    user = getattr(request, "user", None)
    return bool(
        user is not None and user.is_staff and request.GET.get("view") != "public"
    )


def positive_int(value, *, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 1 else default


def active_filter_count(filterset) -> int:
    """How many of the list's filters the visitor has set (the folded filters on a
    phone say it: "Filters (3 active)")."""
    data = filterset.data
    if data is None:
        return 0
    return sum(
        1
        for name in filterset.form.fields
        if any(str(v).strip() for v in data.getlist(name))
    )


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with the free-text `q` over `search_fields`."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=gettext_lazy(
            "Codes, titles and names; capitals and accents do not matter."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            if isinstance(
                filter_, django_filters.ChoiceFilter | django_filters.ModelChoiceFilter
            ):
                filter_.extra["empty_label"] = gettext_lazy("Any")

    def filter_search(self, queryset, name, value):
        return search_in(queryset, self.search_fields, value)

    @classmethod
    def base_queryset(cls, *, include_drafts: bool):
        raise NotImplementedError


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
    # only while the filters leave at most COSTLY_SORT_MAX_ROWS.
    indexed_sorts: tuple[str, ...] | None = None

    publication_state = tables.Column(
        verbose_name=gettext_lazy("Publication"), empty_values=(), orderable=False
    )
    edit = tables.Column(
        verbose_name=gettext_lazy("Edit"), empty_values=(), orderable=False
    )

    class Meta:
        template_name = "django_tables2/site_table.html"
        attrs = {"class": "data stack"}
        row_attrs = {"class": draft_row_class}
        empty_text = gettext_lazy("Nothing matches these filters.")

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


class CountedPaginator(Paginator):
    """A Paginator given the matching count (remembered until the next write,
    grants/cache.py), so it never counts the rows itself."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = count

    @cached_property
    def count(self):
        return self.known_count


class PageRowsPaginator(CountedPaginator):
    """A CountedPaginator given only the rows of the page it is asked for (those of a
    remembered order, ListPageView.remembered_order), in their order."""

    def page(self, number):
        return Page(self.object_list, self.validate_number(number), self)


class ListPageView(SingleTableMixin, FilterView):
    """One list page: `filterset_class` (with a `base_queryset(include_drafts=...)`
    class method) and `table_class`. `get_filtered_queryset()` is the whole filtered,
    ordered set, which the CSV export reuses."""

    template_name = "list_page.html"
    csv_report_name = ""
    # The legend of the Reconciliation column, under the table.
    reconciliation_legend = False
    table_pagination = {"per_page": DEFAULT_PER_PAGE}
    max_per_page = MAX_PER_PAGE
    page_title = ""
    intro = ""

    @cached_property
    def include_drafts(self):
        return shows_drafts(self.request)

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv" and self.csv_report_name:
            return self.csv_download()
        return super().get(request, *args, **kwargs)

    def csv_download(self):
        """`?format=csv`: every row the page's filters, search and sort select (all
        pages), always from the public set, even for signed-in staff (their exports
        of drafts are the admin's action). Filters that do not validate get a 400
        naming them, not an empty file that looks like an answer."""
        self.include_drafts = False
        filterset = self.get_filterset(self.get_filterset_class())
        if not filterset.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(errors)}"
                for field, errors in filterset.errors.items()
            )
            return HttpResponse(
                _("Some filters were not understood, so no file was made: %(problems)s")
                % {"problems": problems},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return csv_response(
            get_report(self.csv_report_name), self.get_filtered_queryset(filterset)
        )

    def get_queryset(self):
        return self.filterset_class.base_queryset(include_drafts=self.include_drafts)

    def get_table_kwargs(self):
        if self.include_drafts:
            return {"include_drafts": True}
        return {"exclude": self.get_table_class().staff_only}

    def get_filtered_queryset(self, filterset=None):
        """The whole filtered set in the table's order (sort parameter included),
        not only the current page; empty when the filters are invalid. Pass the
        filterset when it is already built, so it is not validated twice."""
        if filterset is None:
            filterset = self.get_filterset(self.get_filterset_class())
        queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        table = self.get_table_class()(data=queryset, **self.get_table_kwargs())
        RequestConfig(self.request, paginate=False).configure(table)
        return table.data.data

    def get_per_page(self):
        default = self.table_pagination["per_page"]
        per_page = positive_int(self.request.GET.get("per_page"), default=default)
        return min(per_page, self.max_per_page)

    def get_table(self, **kwargs):
        data = self.get_table_data()
        # The matching count scans every matching row: remembered until the next
        # write (grants/cache.py), keyed by the query itself.
        count = cached_count(data)
        table = self.get_table_class()(data=data, **kwargs)
        self.page_notice = ""
        costly = self.costly_sort(table)
        refused = costly if costly and count > COSTLY_SORT_MAX_ROWS else None
        self.sort_refused = refused is not None
        if refused:
            self.add_page_notice(
                _(
                    "Sorting by “%(column)s” is offered once the filters leave at most "
                    "%(limit)s rows (%(count)s match now): the list keeps its usual order."
                )
                % {
                    "column": refused.header,
                    "limit": number_format(COSTLY_SORT_MAX_ROWS, force_grouping=True),
                    "count": number_format(count, force_grouping=True),
                }
            )
        else:
            # Sorting only: the page size from the query string is capped below.
            RequestConfig(self.request, paginate=False).configure(table)
        page = positive_int(self.request.GET.get("page"), default=1)
        # By hand, not RequestConfig's `silent`: that falls back to the last page
        # without a word, and the visitor is told here.
        try:
            table.paginate(
                paginator_class=CountedPaginator,
                count=count,
                per_page=self.get_per_page(),
                page=page,
            )
        except EmptyPage:
            last = max(table.paginator.num_pages, 1)
            table.page = table.paginator.page(last)
            self.add_page_notice(
                _("There is no page %(asked)s: showing the last page, %(last)s.")
                % {"asked": page, "last": last}
            )
        if costly and not refused:
            table = self.remembered_order(table, count=count, **kwargs) or table
        return table

    def add_page_notice(self, text):
        """A line for the notice above the table, after any already there."""
        self.page_notice = " ".join(filter(None, [self.page_notice, text]))

    def costly_sort(self, table):
        """The column asked to sort by when no index serves its sort (None when an
        index does, or nothing valid is asked)."""
        indexed = table.indexed_sorts
        name = self.request.GET.get(table.prefixed_order_by_field, "")
        name = name.split(",")[0].strip().lstrip("-")
        if indexed is None or name in indexed or name not in table.columns:
            return None
        column = table.columns[name]
        return column if column.orderable else None

    def remembered_order(self, table, *, count, **kwargs):
        """A sort no index serves computes and sorts every matching row (the total
        of each of 90,000 agreements: a third of a second). The first
        REMEMBERED_ORDER_ROWS keys in that order are remembered until the next write
        (grants/cache.py), so the first pages read only their own rows: the table of
        those rows, or None where the page sorts again (later pages; remembered
        values off, PUBLIC_VALUE_CACHE_SECONDS=0)."""
        page = table.page
        if settings.PUBLIC_VALUE_CACHE_SECONDS <= 0:
            return None
        per_page = page.paginator.per_page
        bottom = (page.number - 1) * per_page
        if bottom >= REMEMBERED_ORDER_ROWS:
            return None
        ordered = table.data.data
        try:
            sql, params = ordered.query.sql_with_params()
        except EmptyResultSet:
            return None
        keys = remember(
            "order",
            (ordered.db, sql, tuple(map(str, params)), REMEMBERED_ORDER_ROWS),
            lambda: list(ordered.values_list("pk", flat=True)[:REMEMBERED_ORDER_ROWS]),
        )
        shown = keys[bottom : bottom + per_page]
        if len(shown) < min(per_page, count - bottom):
            # The page runs past the remembered keys.
            return None
        # The same sort over the page's own rows gives them in the same order.
        rows = self.get_table_class()(
            data=ordered.filter(pk__in=shown), order_by=table.order_by, **kwargs
        )
        rows.paginate(
            paginator_class=PageRowsPaginator,
            count=count,
            per_page=per_page,
            page=page.number,
        )
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "page_title": self.page_title,
                "intro": self.intro,
                "page_notice": self.page_notice,
                "sort_refused": self.sort_refused,
                "include_drafts": self.include_drafts,
                "matching_count": context["table"].paginator.count,
                "active_filter_count": active_filter_count(context["filter"]),
            }
        )
        return context
