from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe
from django.views.generic import DetailView

from .models import Agreement, Amendment, Participation


def home(request):
    """The overview: public totals by currency and the published agreements."""
    agreements = (
        Agreement.objects.public()
        .with_total(public_only=True)
        .select_related("donor", "recipient")
        .order_by("code", "pk")
    )
    return render(
        request,
        "grants/home.html",
        {
            "agreements": agreements,
            "totals": Amendment.objects.public().totals_by_currency(),
        },
    )


class AgreementDetailView(DetailView):
    """An agreement's public record; a draft agreement answers 404."""

    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "agreement"
    template_name = "grants/agreement_detail.html"

    def get_queryset(self):
        return (
            Agreement.objects.public()
            .select_related("donor", "recipient", "framework")
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("organization"),
                ),
                "program_areas",
                "source_documents",
                Prefetch(
                    "agreements_under",
                    queryset=Agreement.objects.public().order_by("code"),
                    to_attr="public_agreements_under",
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        timeline = list(agreement.amendment_timeline(public_only=True))
        results = (
            agreement.results.public()
            .select_related("indicator", "source")
            .order_by("indicator__code", "period_start", "pk")
        )
        framework = agreement.framework
        context.update(
            {
                "amendments": timeline,
                "total": timeline[-1].running_total if timeline else None,
                "unreconciled": [a for a in timeline if a.reconciled is False],
                "results": results,
                "public_framework": framework
                if framework and framework.is_public
                else None,
                "sources": sorted(
                    {
                        *agreement.source_documents.all(),
                        *(a.source for a in timeline if a.source),
                    },
                    key=lambda doc: (doc.title, doc.pk),
                ),
            }
        )
        return context


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
    response = redirect(next_url)
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
