"""The IATI import page of the admin, included under admin/ by grants/project/urls.py
(grants/admin_pages.py). Apart from indicators/iati/urls.py, whose namespace is public
(read-only, settings.PUBLIC_URL_NAMESPACES): this page takes uploads."""

from django.urls import path

from . import admin_views

app_name = "iati_admin"

urlpatterns = [
    path("iati/import/", admin_views.import_view, name="import"),
]
