"""The API's documentation page and index."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from ..listing import DEFAULT_PER_PAGE, MAX_PER_PAGE
from .core import get_endpoints


class ApiDocsView(TemplateView):
    """/api/: how to use the API, an example request per endpoint, and the schema
    read by Swagger UI (drf-spectacular-sidecar's files, started by a static script:
    the page runs no inline script)."""

    template_name = "api/docs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoints = []
        for endpoint in get_endpoints():
            list_path = reverse(f"api:{endpoint.name}-list")
            endpoints.append(
                {
                    "endpoint": endpoint,
                    "list_path": list_path,
                    "example": f"{list_path}?{endpoint.example}"
                    if endpoint.example
                    else list_path,
                    "detail_example": f"{list_path}{endpoint.detail_example}",
                }
            )
        context.update(
            endpoints=endpoints,
            schema_path=reverse("api:schema"),
            default_page_size=DEFAULT_PER_PAGE,
            max_page_size=MAX_PER_PAGE,
            throttle_rate=settings.API_THROTTLE_RATE or _("unlimited"),
        )
        return context


@extend_schema(exclude=True)
class ApiIndexView(APIView):
    """/api/v1/: the address of every list, of the schema and of the documentation."""

    authentication_classes = ()

    def get(self, request):
        return Response(
            {
                **{
                    endpoint.name: reverse(f"api:{endpoint.name}-list")
                    for endpoint in get_endpoints()
                },
                "schema": reverse("api:schema"),
                "documentation": reverse("api:docs"),
            }
        )


def not_found(request):
    """An address under /api/ that no endpoint has."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
