"""The grants app's admin pages that are not about one model (grants/admin_pages.py),
included under admin/ by grants/project/urls.py."""

from django.urls import include, path

from .admin_pages import amount_preview

urlpatterns = [
    path("amount-preview/", amount_preview, name="amount-preview"),
    path("jobs/", include("grants.jobs.urls")),
]
