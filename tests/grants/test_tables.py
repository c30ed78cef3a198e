"""The list tables' rows, which SiteTable writes itself (rows_html) rather than
through django-tables2's per-cell template, with the same cells."""

import datetime
import re
from decimal import Decimal

import django_tables2 as tables

from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from grants import tables as grants_tables
from grants.listing import SiteTable
from grants.models import (
    Agreement,
    AgreementKind,
    Disbursement,
    DisbursementKind,
    PublicationState,
)
from grants.tables import AmendmentTable
from grants.views import (
    AgreementListView,
    AmendmentListView,
    DisbursementListView,
    ProgramAreaListView,
)
from indicators import tables as indicator_tables
from indicators.models import Aggregation, Measure, Unit
from indicators.views import IndicatorListView, ResultListView
from tests.factories import (
    make_agreement,
    make_amendment,
    make_indicator,
    make_organization,
    make_program_area,
    make_result,
    make_staff_user,
)


def body(response):
    content = response.content.decode()
    return content[content.index("<tbody>") : content.index("</tbody>")]


def make_two_amendment_agreement(**overrides):
    """A donation with a title to escape, a dated amendment with a period and a
    stated total, and a derived one with neither date nor period."""
    agreement = make_agreement(
        title="Water <b>& sanitation</b>", kind=AgreementKind.DONATION, **overrides
    )
    make_amendment(
        agreement=agreement,
        amount=Decimal("1234567.50"),
        signed_on=datetime.date(2023, 3, 9),
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2024, 12, 31),
        stated_cumulative_total=Decimal("1234567.50"),
    )
    make_amendment(
        agreement=agreement,
        amount=Decimal("10.00"),
        amount_is_derived=True,
        stated_cumulative_total=Decimal("1.00"),
    )
    return agreement


class RowsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agreement = make_two_amendment_agreement(code="AG-ROWS")
        cls.draft = make_agreement(code="AG-DRAFT", publication=PublicationState.DRAFT)

    def test_a_row_has_labels_links_escaped_text_and_cell_classes(self):
        html = body(self.client.get(reverse("grants:agreement-list")))
        detail = self.agreement.get_absolute_url()
        # Each cell carries its column's label, which a phone shows beside the
        # value when the row is stacked.
        self.assertIn(
            f'<td class="code" data-label="Code"><a href="{detail}">AG-ROWS</a></td>',
            html,
        )
        self.assertIn(
            '<td class="wide" data-label="Title">'
            "Water &lt;b&gt;&amp; sanitation&lt;/b&gt;</td>",
            html,
        )
        self.assertIn('<td data-label="Kind">Donation agreement</td>', html)
        self.assertIn('<td class="num" data-label="Total">1,234,577.50</td>', html)
        self.assertNotIn("AG-DRAFT", html)
        self.assertNotIn("<th", html)

    def test_empty_values_show_the_default_and_dates_the_short_format(self):
        html = body(self.client.get(reverse("grants:amendment-list")))
        agreement_url = self.agreement.get_absolute_url()
        self.assertIn(
            f'<td class="code" data-label="Agreement"><a href="{agreement_url}">'
            "AG-ROWS</a></td>",
            html,
        )
        self.assertIn('<td data-label="Signed">03/09/2023</td>', html)
        self.assertIn('<td class="period" data-label="Period">2023–2024</td>', html)
        # The second amendment has neither a date nor a period: marked empty, so a
        # phone's stacked row leaves them out.
        self.assertIn('<td class="empty" data-label="Signed">—</td>', html)
        self.assertIn('<td class="empty period" data-label="Period">—</td>', html)

    def test_spanish_labels_and_numbers(self):
        response = self.client.get(
            reverse("grants:agreement-list"), headers={"accept-language": "es"}
        )
        html = body(response)
        self.assertIn('<td data-label="Tipo">Convenio de donación</td>', html)
        self.assertIn(
            '<td class="num" data-label="Total">1\xa0234\xa0577,50</td>', html
        )

    def test_staff_see_drafts_marked_with_their_columns(self):
        self.client.force_login(make_staff_user())
        html = body(self.client.get(reverse("grants:agreement-list")))
        self.assertIn('<tr class="draft">', html)
        self.assertIn('<span class="badge-draft">Not public</span>', html)
        edit = reverse("admin:grants_agreement_change", args=[self.draft.pk])
        self.assertIn(f'<a href="{edit}">Edit<span class="visually-hidden">', html)
        self.assertEqual(html.count("<tr>"), 1)

    def test_no_rows_gives_the_empty_text_across_every_column(self):
        response = self.client.get(reverse("grants:agreement-list"), {"q": "nothing"})
        self.assertInHTML(
            '<tr><td colspan="11">Nothing matches these filters.</td></tr>',
            body(response) + "</tbody>",
        )

    def test_unpaginated_tables_write_every_row(self):
        table = AmendmentTable(
            self.agreement.amendments.with_figures(include_drafts=False)
        )
        self.assertEqual(table.rows_html().count("<tr>"), 2)


class RenderArgumentsTests(TestCase):
    def test_a_render_method_gets_the_arguments_it_names(self):
        class CodeTable(SiteTable):
            code = tables.Column()

            class Meta(SiteTable.Meta):
                model = Agreement
                fields = ()
                exclude = SiteTable.staff_only

            def render_code(self, value, record, bound_row, table):
                assert table is self and bound_row.record is record
                return f"{value}/{record.pk}"

        agreement = make_agreement(code="AG-ARGS")
        html = CodeTable(Agreement.objects.all()).rows_html()
        self.assertEqual(
            html, f'<tr><td data-label="Code">AG-ARGS/{agreement.pk}</td></tr>'
        )

    def test_a_render_method_asking_for_something_else_is_refused(self):
        class OddTable(SiteTable):
            code = tables.Column()

            class Meta(SiteTable.Meta):
                model = Agreement
                fields = ()

            def render_code(self, value, request):
                return value

        make_agreement()
        with self.assertRaisesMessage(ImproperlyConfigured, "asks for request"):
            OddTable(Agreement.objects.all()).rows_html()


class PaginationTests(TestCase):
    """Later pages of the agreements and amendments lists, sorted by a stored figure,
    show the rows and figures of a direct read in that order."""

    @classmethod
    def setUpTestData(cls):
        for n in range(7):
            agreement = make_agreement(currency="EUR" if n % 2 else "USD")
            for _ in range(n % 3 + 1):
                make_amendment(agreement=agreement, amount=Decimal(10 * (n % 4)))

    def page(self, url, **params):
        response = self.client.get(url, {"per_page": 3, **params})
        return [row.record for row in response.context["table"].paginated_rows]

    def test_later_pages_match_a_direct_read_in_any_order(self):
        agreements = Agreement.objects.with_figures(include_drafts=False)
        for sort, order in [
            ("", ("code", "pk")),
            ("-total", ("-public_total", "-pk")),
            ("currency", ("currency", "pk")),
        ]:
            expected = list(agreements.order_by(*order))
            for number in (2, 3):
                with self.subTest(sort=sort, page=number):
                    shown = self.page(
                        reverse("grants:agreement-list"), sort=sort, page=number
                    )
                    wanted = expected[(number - 1) * 3 : number * 3]
                    self.assertEqual(shown, wanted)
                    self.assertEqual(
                        [a.shown_total for a in shown], [a.public_total for a in wanted]
                    )

    def test_amendment_pages_keep_their_running_totals(self):
        first = self.page(reverse("grants:amendment-list"), sort="amount")
        second = self.page(reverse("grants:amendment-list"), sort="amount", page=2)
        self.assertEqual(len({a.pk for a in first + second}), 6)
        for amendment in second:
            earlier = amendment.agreement.amendments.filter(
                sequence__lte=amendment.sequence
            )
            self.assertEqual(
                amendment.shown_running_total, sum(a.amount for a in earlier)
            )


# django-tables2's own cells: the loop of its bootstrap5.html, without its localize
# switch (no column sets `localize`).
STANDARD_CELLS = Template(
    "{% for column, cell in row.items %}"
    "<td {{ column.attrs.td.as_html }}>{{ cell }}</td>"
    "{% endfor %}"
)
CELL = re.compile(r"<td([^>]*)>(.*?)</td>", re.S)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
# A text shown in another language than the visitor's (grants.languages.marked).
MARKED = re.compile(
    r'<span lang="[\w-]+">(.*?)</span> <small class="other-language">\(.*?\)</small>'
)
LIST_VIEWS = (
    AgreementListView,
    AmendmentListView,
    DisbursementListView,
    ProgramAreaListView,
    IndicatorListView,
    ResultListView,
)


def cells(html):
    return [
        (dict(ATTRIBUTE.findall(attrs)), content)
        for attrs, content in CELL.findall(html)
    ]


def subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from subclasses(subclass)


class SameCellsAsDjangoTables2Tests(TestCase):
    """Every list table's rows_html gives, cell by cell, what django-tables2's own
    template loop gives, plus the phone layout (data-label, class "empty") and the
    marker of a text read in another language."""

    @classmethod
    def setUpTestData(cls):
        donor = make_organization(name="Fund & Co", acronym="F&C")
        framework = make_agreement(code="FW-1", kind=AgreementKind.FRAMEWORK)
        cls.agreement = make_two_amendment_agreement(
            code="AG-CELLS", donor=donor, framework=framework
        )
        make_agreement(code="AG-DRAFT", publication=PublicationState.DRAFT)
        for kind, description in [
            (DisbursementKind.DISBURSEMENT, "First <payment>"),
            (DisbursementKind.EXPENDITURE, ""),
        ]:
            Disbursement.objects.create(
                agreement=cls.agreement,
                kind=kind,
                date=datetime.date(2024, 1, 15),
                amount=Decimal("12.50"),
                provider=donor,
                description=description,
                publication=PublicationState.PUBLISHED,
            )
        area = make_program_area(name="Health & water")
        indicator = make_indicator(
            program_area=area,
            unit=Unit.HOUSEHOLDS,
            measure=Measure.PERCENTAGE,
            aggregation=Aggregation.LATEST,
        )
        make_result(
            indicator=indicator,
            agreement=cls.agreement,
            baseline_value=Decimal("5"),
            baseline_year=2020,
            target_value=Decimal("50"),
            location="Cusco",
            disaggregation="Women",
        )
        make_result(
            indicator=indicator,
            period_start=datetime.date(2023, 1, 1),
            period_end=datetime.date(2023, 12, 31),
            actual_value=None,
            target_value=Decimal("60"),
        )

    def test_every_list_table_is_compared(self):
        defined = {
            table
            for table in subclasses(SiteTable)
            if table.__module__ in (grants_tables.__name__, indicator_tables.__name__)
        }
        self.assertEqual({view.table_class for view in LIST_VIEWS}, defined)

    def test_cells_are_django_tables2s(self):
        for view in LIST_VIEWS:
            for language in ("en", "es"):
                with (
                    self.subTest(table=view.table_class.__name__, language=language),
                    translation.override(language),
                ):
                    self.assert_same_cells(view)

    def assert_same_cells(self, view):
        data = view.filterset_class.base_queryset(include_drafts=True)
        table = view.table_class(data, include_drafts=True)
        ours = table.rows_html().split("\n")
        rows = list(table.paginated_rows)
        self.assertGreater(len(rows), 0)
        self.assertEqual(len(ours), len(rows))
        for row, our_row in zip(rows, ours, strict=True):
            theirs = cells(STANDARD_CELLS.render(Context({"row": row})))
            mine = cells(our_row)
            self.assertEqual(len(mine), len(table.columns))
            self.assertEqual(len(theirs), len(table.columns))
            self.assertEqual(
                our_row.startswith('<tr class="draft">'),
                "draft" in row.attrs["class"].split(),
            )
            for column, (attrs, content), (their_attrs, their_content) in zip(
                table.columns, mine, theirs, strict=True
            ):
                with self.subTest(column=column.name, record=str(row.record)):
                    self.assertEqual(MARKED.sub(r"\1", content), their_content)
                    self.assertEqual(attrs.pop("data-label"), str(column.header))
                    classes = attrs.pop("class", "").split()
                    try:
                        value = column.accessor.resolve(row.record)
                    except Exception:
                        value = None
                    empty = value in column.column.empty_values
                    self.assertIs("empty" in classes, empty)
                    if empty:
                        classes.remove("empty")
                    their_classes = their_attrs.pop("class", "").split()
                    self.assertEqual(classes, their_classes)
                    self.assertEqual(attrs, their_attrs)

    def test_the_comparison_sees_links_choices_markers_and_empty_cells(self):
        """The rows above exercise what the renderer does differently per cell."""
        with translation.override("es"):
            html = AgreementListView.table_class(
                AgreementListView.filterset_class.base_queryset(include_drafts=True),
                include_drafts=True,
            ).rows_html()
            results = ResultListView.table_class(
                ResultListView.filterset_class.base_queryset(include_drafts=True),
                include_drafts=True,
            ).rows_html()
        self.assertIn(f'<a href="{self.agreement.get_absolute_url()}">AG-CELLS', html)
        self.assertIn("Convenio de donación", html)
        self.assertIn('<small class="other-language">', html)
        self.assertIn("Water &lt;b&gt;&amp; sanitation&lt;/b&gt;", html)
        self.assertIn('class="empty', results)
        self.assertIn('<tr class="draft">', html)
