from django.contrib import admin
from django.urls import include, path

from grants.project.health import healthz
from grants.views import amount_preview

urlpatterns = [
    # IATI XML and the admin import page; before admin/ and the public pages, which
    # would otherwise take these paths (a string include: grants imports nothing
    # from indicators).
    path("", include("indicators.iati.urls")),
    path("", include("indicators.iati.admin_urls")),
    path("healthz", healthz, name="healthz"),
    path(
        "admin/amount-preview/",
        admin.site.admin_view(amount_preview),
        name="amount-preview",
    ),
    path("admin/jobs/", include("grants.jobs.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("grants.api.urls")),
    path("", include("indicators.urls")),
    path("", include("grants.public_urls")),
]

handler500 = "grants.project.middleware.server_error_or_database_unavailable"
