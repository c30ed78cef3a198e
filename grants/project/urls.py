from django.contrib import admin
from django.urls import include, path

from grants.project.health import healthz

urlpatterns = [
    # IATI XML, before the public pages, which would otherwise take these paths (a
    # string include: grants imports nothing from indicators).
    path("", include("indicators.iati.urls")),
    path("healthz", healthz, name="healthz"),
    # Each app's admin pages that are not about one model (grants/admin_pages.py),
    # before the admin's own URLs, whose catch-all would otherwise take them.
    path("admin/", include("grants.admin_urls")),
    path("admin/", include("indicators.iati.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("grants.api.urls")),
    path("", include("indicators.urls")),
    path("", include("grants.public_urls")),
]

handler500 = "grants.project.middleware.server_error_or_database_unavailable"
