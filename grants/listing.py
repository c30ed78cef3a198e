"""What every public list page shares: the public gate (or the staff view), a capped page
size, a primary-key tie-breaker, and the filtered, ordered queryset in one place."""

from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, Paginator
from django.http import HttpResponse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from .cache import cached_count, remember
from .csv_export import csv_response
from .reports import get_report

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# A sort no index serves (SiteTable.indexed_sorts) reads and sorts every matching
# row: about a second for 600,000 results. Offered up to this many matching rows.
COSTLY_SORT_MAX_ROWS = 100_000
# How many rows of such a sort are remembered in order (40 pages of 25).
REMEMBERED_ORDER_ROWS = 1000


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
