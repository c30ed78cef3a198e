"""/api/: the documentation page; /api/v1/: the index, the schema and, for every
registered endpoint (grants/api/core.py), its list and its detail."""

from drf_spectacular.views import SpectacularJSONAPIView

from django.urls import path, re_path

from . import views
from .core import get_endpoints, viewset_for

app_name = "api"

urlpatterns = [
    path("", views.ApiDocsView.as_view(), name="docs"),
    path("v1/", views.ApiIndexView.as_view(), name="index"),
    path("v1/schema/", SpectacularJSONAPIView.as_view(), name="schema"),
]

for endpoint in get_endpoints():
    viewset = viewset_for(endpoint)
    urlpatterns += [
        path(
            f"v1/{endpoint.name}/",
            viewset.as_view({"get": "list"}),
            name=f"{endpoint.name}-list",
        ),
        path(
            f"v1/{endpoint.name}/{endpoint.detail_path()}/",
            viewset.as_view({"get": "retrieve"}),
            name=f"{endpoint.name}-detail",
        ),
    ]

# Any other address under /api/ that ends with a slash: a JSON 404, as a detail
# with an unknown code answers (without the slash, CommonMiddleware adds it first).
urlpatterns.append(re_path(r"^(?:.*/)?$", views.not_found, name="not-found"))
