from django.apps import apps
from django.conf import settings
from django.db.models import Count, F, OuterRef, Sum
from django.db.models.functions import JSONObject
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe
from django.views.generic import DetailView

from . import languages, ledger
from .cache import remember
from .charts import Bar, Series, bar_chart, step_chart
from .filters import (
    AgreementFilter,
    AmendmentFilter,
    DisbursementFilter,
    ProgramAreaFilter,
)
from .formatting import money_words, signed_under_text
from .listing import ListPageView, shows_drafts
from .models import (
    Agreement,
    AgreementSector,
    DisbursementKind,
    Organization,
    Participation,
    ProgramArea,
    RecipientArea,
    SourceDocument,
    published_q,
)
from .related_rows import instance_from_row, related_rows
from .tables import AgreementTable, AmendmentTable, DisbursementTable, ProgramAreaTable

LATEST_RESULTS = 8
AREA_AGREEMENTS_SHOWN = 50
FRAMEWORK_AGREEMENTS_SHOWN = 50
DISBURSEMENTS_SHOWN = 20
# Up to this many payments, the page reads them all in one query (the chart needs
# every one); beyond, the latest ones and the chart's sums by date in two.
PAYMENTS_READ_WHOLE = 500


def result_model():
    """Results live in the indicators app, which grants never imports: the overview and
    the program-area page reach them by name, as the reverse relations do."""
    return apps.get_model("indicators", "Result")


def home(request):
    """The overview: public totals by currency, agreements and money per program area,
    the latest results, and a way into every list. Always the public view."""
    totals = list(Agreement.objects.public().totals_by_currency())
    published = published_q("agreements__")
    areas = list(
        ProgramArea.objects.all().annotate(
            agreement_count=Count("agreements", filter=published, distinct=True)
        )
    )
    # An agreement joins each of its areas once, so within an area no agreement is
    # summed twice; across areas the sums overlap and are not added.
    money_rows = (
        Agreement.objects.public()
        .filter(program_areas__isnull=False)
        .values("currency", area=F("program_areas"))
        .annotate(total=Sum("public_total"), disbursed=Sum("public_disbursed"))
        .order_by("currency", "area")
    )
    money_by_area, disbursed_by_area = {}, {}
    for row in money_rows:
        money_by_area[row["area"], row["currency"]] = row["total"]
        disbursed_by_area[row["area"], row["currency"]] = row["disbursed"]
    currencies = [row["currency"] for row in totals]
    for area in areas:
        area.totals = [
            (
                currency,
                money_by_area.get((area.pk, currency)),
                disbursed_by_area.get((area.pk, currency)),
            )
            for currency in currencies
        ]
    charts, same_money = [], []
    for currency in currencies:
        funded = sorted(
            (
                (money_by_area[(area.pk, currency)], area)
                for area in areas
                if money_by_area.get((area.pk, currency))
            ),
            key=lambda pair: (-pair[0], pair[1].name),
        )
        if len(funded) > 1 and len({total for total, _area in funded}) == 1:
            # Equal bars would say nothing: say it in a sentence.
            same_money.append(
                ngettext(
                    "The %(count)s program area funded in %(currency)s has %(amount)s.",
                    "All %(count)s program areas funded in %(currency)s have the "
                    "same %(amount)s: an agreement counts in full in each area it "
                    "funds, so areas funded by the same agreements show the same "
                    "figure.",
                    len(funded),
                )
                % {
                    "count": len(funded),
                    "currency": currency,
                    "amount": f"{currency} {money_words(funded[0][0])}",
                }
            )
            continue
        charts.append(
            bar_chart(
                [
                    Bar(
                        label=ngettext(
                            "%(area)s (%(count)s agreement)",
                            "%(area)s (%(count)s agreements)",
                            area.agreement_count,
                        )
                        % {"area": area.name, "count": area.agreement_count},
                        lang=languages.other_language(area, "name"),
                        value=total,
                        text=f"{currency} {money_words(total)}",
                    )
                    for total, area in funded
                ],
                chart_id=f"areas-chart-{currency}",
                title=_("Money per program area, %(currency)s")
                % {"currency": currency},
                description=_(
                    "Sum of the published amendments of the agreements in each area, "
                    "largest first. An agreement in several areas counts in each, so "
                    "the areas overlap and do not add up to the total."
                ),
            )
        )
    latest_results = (
        result_model()
        .objects.public()
        .select_related("indicator", "agreement")
        .newest_first()[:LATEST_RESULTS]
    )
    return render(
        request,
        "grants/home.html",
        {
            "totals": totals,
            "areas": areas,
            "currencies": currencies,
            "charts": charts,
            "same_money": same_money,
            "latest_results": latest_results,
            "agreement_count": sum(row["agreements"] for row in totals),
        },
    )


class AgreementListView(ListPageView):
    csv_report_name = "agreements"
    filterset_class = AgreementFilter
    table_class = AgreementTable
    reconciliation_legend = True
    page_title = gettext_lazy("Agreements")
    intro = gettext_lazy(
        "Every published agreement. The total is the sum of its published amendments "
        "(commitments, not disbursements), in the agreement's own currency."
    )

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # Sorted by total across currencies, 308 billion won would top 200 million
        # dollars: say so, and how to compare like with like.
        sorts_by_total = table.order_by and table.order_by[0].lstrip("-") == "total"
        currencies = {row.record.currency for row in table.paginated_rows}
        if sorts_by_total and len(currencies) > 1:
            self.add_page_notice(
                _(
                    "Totals are in each agreement's own currency and are not "
                    "converted: choose a currency to compare like with like."
                )
            )
        return table


class AmendmentListView(ListPageView):
    csv_report_name = "amendments"
    filterset_class = AmendmentFilter
    table_class = AmendmentTable
    reconciliation_legend = True
    page_title = gettext_lazy("Amendments")
    intro = gettext_lazy(
        "Every published amendment. The running total adds the agreement's published "
        "amendments up to this one; where the document states a total, the two are "
        "compared."
    )


class DisbursementListView(ListPageView):
    csv_report_name = "disbursements"
    filterset_class = DisbursementFilter
    table_class = DisbursementTable
    page_title = gettext_lazy("Disbursements")
    intro = gettext_lazy(
        "Money actually paid: disbursements from the donor to the recipient and "
        "expenditure by the implementer, newest first, in each agreement's own "
        "currency. A negative amount is a reimbursement or a correction."
    )


class ProgramAreaListView(ListPageView):
    csv_report_name = "program-areas"
    filterset_class = ProgramAreaFilter
    table_class = ProgramAreaTable
    page_title = gettext_lazy("Program areas")
    intro = gettext_lazy(
        "The areas agreements fund. An agreement can fund several areas, so it is "
        "counted in each."
    )


class StaffAwareDetailMixin:
    """Anonymous visitors see only public records (a draft answers 404); staff see
    drafts too, marked, unless they asked for the public view."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["include_drafts"] = self.include_drafts
        return context

    @property
    def include_drafts(self):
        return shows_drafts(self.request)


class AgreementDetailView(StaffAwareDetailMixin, DetailView):
    """An agreement's record; a draft agreement answers 404 to the public.

    Four queries whatever the agreement's size: the agreement with its parties and
    its short lists (participants, program areas, source documents, as JSON:
    grants/related_rows.py); the first agreements signed under it; the amendment
    timeline; the results. A fifth counts the agreements signed under it when there
    are more than are shown, remembered until the next write. Where payments are
    recorded (the stored count says so), one more reads them (two past
    PAYMENTS_READ_WHOLE: the latest ones, and their sums by date for the chart)."""

    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "agreement"
    template_name = "grants/agreement_detail.html"

    def get_queryset(self):
        agreements = Agreement.objects.visible(include_drafts=self.include_drafts)
        participations = Participation.objects.filter(agreement=OuterRef("pk"))
        return agreements.select_related("donor", "recipient", "framework").annotate(
            participation_rows=related_rows(
                participations,
                id="id",
                role="role",
                organization_id="organization_id",
                organization=JSONObject(
                    **languages.row_fields(
                        Participation,
                        id="organization_id",
                        name="organization__name",
                        acronym="organization__acronym",
                    )
                ),
            ),
            recipient_area_rows=related_rows(
                RecipientArea.objects.filter(agreement=OuterRef("pk")),
                id="id",
                kind="kind",
                code="code",
                vocabulary="vocabulary",
                name="name",
                percentage="percentage",
                position="position",
            ),
            sector_rows=related_rows(
                AgreementSector.objects.filter(agreement=OuterRef("pk")),
                id="id",
                vocabulary="vocabulary",
                code="code",
                name="name",
                percentage="percentage",
                position="position",
            ),
            program_area_rows=related_rows(
                ProgramArea.objects.filter(agreements=OuterRef("pk")),
                **languages.row_fields(
                    ProgramArea,
                    id="id",
                    code="code",
                    name="name",
                    display_order="display_order",
                ),
            ),
            source_document_rows=related_rows(
                SourceDocument.objects.filter(agreements=OuterRef("pk")),
                **languages.row_fields(
                    SourceDocument,
                    id="id",
                    title="title",
                    publisher="publisher",
                    url="url",
                    published_on="published_on",
                    notes="notes",
                ),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        include_drafts = self.include_drafts
        timeline = list(agreement.amendment_timeline(include_drafts=include_drafts))
        results = agreement.results.visible(include_drafts=include_drafts)
        results = results.select_related(
            "indicator", "indicator__program_area", "agreement", "source"
        ).order_by("indicator__code", "period_start", "pk")
        framework = agreement.framework
        show_framework = framework is not None and (
            framework.is_public or include_drafts
        )
        under, under_count, under_summary = self.agreements_under(
            agreement, include_drafts=include_drafts
        )
        execution = self.execution(agreement, timeline, include_drafts=include_drafts)
        participations, program_areas, documents = self.short_lists(agreement)
        context.update(
            {
                "recipient_areas": self.ordered_rows(
                    agreement, RecipientArea, agreement.recipient_area_rows
                ),
                "sectors": self.ordered_rows(
                    agreement, AgreementSector, agreement.sector_rows
                ),
                "participations": participations,
                "program_areas": program_areas,
                "agreements_under": under,
                "agreements_under_count": under_count,
                "amendments": timeline,
                "total": (
                    getattr(
                        agreement, ledger.figure("total", include_drafts=include_drafts)
                    )
                    if timeline
                    else None
                ),
                "unreconciled": [a for a in timeline if a.reconciled is False],
                "signed_under_text": (
                    signed_under_text(under_summary) if under_summary else ""
                ),
                "results": results,
                "visible_framework": framework if show_framework else None,
                "chart": self.running_total_chart(agreement, timeline),
                "sources": sorted(
                    {
                        *documents,
                        *(a.source for a in timeline if a.source),
                        *(p.source for p in execution["payments"] if p.source),
                    },
                    key=lambda doc: (doc.title, doc.pk),
                ),
                "execution": execution,
            }
        )
        return context

    def execution(self, agreement, timeline, *, include_drafts):
        """Committed, disbursed and spent as the viewer sees them (the ledger's stored
        figures), the latest payments and the chart of the totals over time."""

        def shown(name):
            return getattr(
                agreement, ledger.figure(name, include_drafts=include_drafts)
            )

        count = shown("disbursement_count")
        committed, disbursed = shown("total"), shown("disbursed")
        figures = {
            "count": count,
            "committed": committed,
            "disbursed": disbursed,
            "spent": shown("spent"),
            "share": shown("disbursed_share"),
            "over": disbursed - committed if count and disbursed > committed else None,
            "payments": [],
            "chart": None,
        }
        if not count:
            return figures
        payments = agreement.disbursements.visible(include_drafts=include_drafts)
        newest = payments.select_related(
            "provider", "receiver", "source"
        ).newest_first()
        if count <= PAYMENTS_READ_WHOLE:
            every = list(newest)
            figures["payments"] = every[:DISBURSEMENTS_SHOWN]
            sums = {}
            for payment in every:
                key = (payment.date, payment.kind)
                sums[key] = sums.get(key, 0) + payment.amount
            by_date = [
                {"date": day, "kind": kind, "amount": amount}
                for (day, kind), amount in sorted(sums.items())
            ]
        else:
            figures["payments"] = list(newest[:DISBURSEMENTS_SHOWN])
            by_date = list(
                payments.order_by()
                .values("date", "kind")
                .annotate(amount=Sum("amount"))
                .order_by("date", "kind")
            )
        figures["more"] = count > len(figures["payments"])
        figures["has_expenditure"] = any(
            row["kind"] == DisbursementKind.EXPENDITURE for row in by_date
        )
        figures["chart"], figures["chart_rows"] = self.execution_chart(
            agreement, timeline, by_date
        )
        return figures

    @staticmethod
    def execution_chart(agreement, timeline, by_date):
        """Committed (by amendment date), disbursed and spent (by payment date), each
        cumulative, on one time line; and the same numbers as table rows. Undated
        amendments cannot be placed in time and are left out of the chart (the
        table of amendments has them)."""
        changes = {}
        for amendment in timeline:
            if amendment.signed_on is not None:
                key = (amendment.signed_on, "committed")
                changes[key] = changes.get(key, 0) + amendment.amount
        for row in by_date:
            changes[(row["date"], row["kind"])] = row["amount"]
        totals = {"committed": 0, **{kind: 0 for kind in DisbursementKind.values}}
        points = {name: [] for name in totals}
        rows = []
        for day in sorted({day for day, _name in changes}):
            for name in totals:
                if (day, name) in changes:
                    totals[name] += changes[(day, name)]
                    points[name].append((day, totals[name]))
            rows.append({"date": day, **totals})
        labels = {
            "committed": _("Committed"),
            DisbursementKind.DISBURSEMENT: _("Disbursed"),
            DisbursementKind.EXPENDITURE: _("Spent"),
        }
        css = {
            "committed": "committed",
            DisbursementKind.DISBURSEMENT: "disbursed",
            DisbursementKind.EXPENDITURE: "spent",
        }
        series = [
            Series(label=labels[name], css=css[name], points=points[name])
            for name in totals
            if points[name]
        ]
        top = max([value for line in series for _day, value in line.points] + [0])
        chart = step_chart(
            series,
            chart_id="execution-chart",
            title=_("Committed and disbursed over time, %(currency)s")
            % {"currency": agreement.currency},
            description=_(
                "Each line is a total to date: what the amendments signed so far "
                "commit, and what has been paid out so far."
            ),
            top_text=f"{agreement.currency} {money_words(top)}",
        )
        return chart, rows

    @staticmethod
    def ordered_rows(agreement, model, rows):
        """Rows read with the agreement (get_queryset) as `model` instances, in the
        publisher's order."""
        return [
            instance_from_row(model, row, using=agreement._state.db)
            for row in sorted(rows or [], key=lambda r: (r["position"], r["id"]))
        ]

    @staticmethod
    def short_lists(agreement):
        """The participants, program areas and source documents read with the
        agreement (get_queryset), as model instances in their models' order."""
        db = agreement._state.db
        participations = []
        for row in sorted(
            agreement.participation_rows or [], key=lambda r: (r["role"], r["id"])
        ):
            own = {key: value for key, value in row.items() if key != "organization"}
            participation = instance_from_row(Participation, own, using=db)
            participation.organization = instance_from_row(
                Organization, row["organization"], using=db
            )
            participations.append(participation)
        program_areas = sorted(
            (
                instance_from_row(ProgramArea, row, using=db)
                for row in agreement.program_area_rows or []
            ),
            # The name in the visitor's language.
            key=lambda area: (area.display_order, area.name, area.pk),
        )
        documents = [
            instance_from_row(SourceDocument, row, using=db)
            for row in agreement.source_document_rows or []
        ]
        return participations, program_areas, documents

    @staticmethod
    def agreements_under(agreement, *, include_drafts):
        """The first agreements signed under this one, by code, how many there are
        and what they add up to (`AgreementQuerySet.signed_under`): a framework may
        have thousands, so the page lists the first ones and links to the
        agreements list filtered on the framework. A few are summed here, many by
        the database."""
        signed_under = Agreement.objects.filter(framework=agreement).visible(
            include_drafts=include_drafts
        )
        figure = ledger.figure("total", include_drafts=include_drafts)
        under = list(
            signed_under.only(
                "code", "title", "publication", "currency", figure
            ).order_by("code", "pk")[: FRAMEWORK_AGREEMENTS_SHOWN + 1]
        )
        if len(under) <= FRAMEWORK_AGREEMENTS_SHOWN:
            totals = {}
            for child in under:
                totals[child.currency] = totals.get(child.currency, 0) + getattr(
                    child, figure
                )
            summary = {"agreements": len(under), "totals": sorted(totals.items())}
            return under, len(under), summary if under else None
        summary = signed_under.signed_under(
            [agreement.pk], include_drafts=include_drafts
        )[agreement.pk]
        return under[:FRAMEWORK_AGREEMENTS_SHOWN], summary["agreements"], summary

    def running_total_chart(self, agreement, timeline):
        if not timeline:
            return None
        bars = []
        for amendment in timeline:
            running_total = amendment.shown_running_total
            previous = running_total - amendment.amount
            bars.append(
                Bar(
                    label=f"#{amendment.sequence} {amendment.title}",
                    lang=languages.other_language(amendment, "title"),
                    value=running_total,
                    base=previous if previous > 0 else None,
                    text=f"{agreement.currency} {money_words(running_total)}",
                    marker=amendment.stated_cumulative_total,
                    marker_text=money_words(amendment.stated_cumulative_total),
                    css="" if amendment.is_public else "draft",
                )
            )
        return bar_chart(
            bars,
            chart_id="running-total-chart",
            title=_("Running total after each amendment, %(currency)s")
            % {"currency": agreement.currency},
            description=_(
                "Each bar is the total to date after the amendment; its lighter part "
                "is what earlier amendments had already obligated."
            ),
            marker_legend=_("A vertical line marks the total the document states."),
        )


class ProgramAreaDetailView(StaffAwareDetailMixin, DetailView):
    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "area"
    template_name = "grants/programarea_detail.html"
    queryset = ProgramArea.objects.all().select_related("parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        area = self.object
        include_drafts = self.include_drafts
        agreements = area.agreements.visible(include_drafts=include_drafts)
        indicators = area.indicators.visible(include_drafts=include_drafts)
        results = result_model().objects.visible(include_drafts=include_drafts)
        indicators = list(indicators.order_by("code", "pk"))
        # By the indicators' ids (none: no query), newest first: read backwards from
        # an index, not sorted at scale.
        results = results.filter(indicator__in=indicators).newest_first()
        totals = area_totals(area, agreements, include_drafts=include_drafts)
        context.update(
            {
                "totals": totals,
                "agreements": agreements.with_figures(include_drafts=include_drafts)
                .select_related("donor", "recipient")
                .order_by("code", "pk")[:AREA_AGREEMENTS_SHOWN],
                # A large area funds thousands of agreements: the page shows the
                # first ones and links to the agreements list filtered on the area.
                "agreement_count": sum(row["agreements"] for row in totals),
                "indicators": indicators,
                "results": results.select_related("indicator", "agreement")[
                    :LATEST_RESULTS
                ],
                "children": area.children.all(),
            }
        )
        return context


def area_totals(area, agreements, *, include_drafts):
    """Per currency (never added across them): how many of the area's agreements,
    what they commit and what they have disbursed. A scan of the area's agreements,
    remembered until the next write (grants/cache.py)."""

    def compute():
        return list(
            agreements.order_by()
            .values("currency")
            .annotate(
                agreements=Count("pk"),
                committed=Sum(ledger.figure("total", include_drafts=include_drafts)),
                disbursed=Sum(
                    ledger.figure("disbursed", include_drafts=include_drafts)
                ),
            )
            .order_by("currency")
        )

    return remember("area-figures", (area.pk, include_drafts), compute)


@require_safe
def switch_language(request, language):
    """Set the language cookie and go back. A plain link rather than Django's POST
    form, so public pages carry no CSRF token and can be cached for everyone."""
    if language not in dict(settings.LANGUAGES):
        raise Http404("Unknown language.")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    # Not redirect(): it would take a `next` such as "abc" for a URL name to reverse.
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_safe
def robots_txt(request):
    """Crawlers may read the public record; the admin is not for them. It touches no
    database, which also makes it the baseline of the load test."""
    return HttpResponse("User-agent: *\nDisallow: /admin/\n", content_type="text/plain")
