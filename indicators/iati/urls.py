"""IATI URLs. Included from grants/urls.py before the public pages, so that
`agreements/<code>/iati.xml` is matched here and not taken as an agreement code."""

from django.urls import path

from . import admin_views, views

app_name = "iati"

urlpatterns = [
    path("iati/activities.xml", views.activities_xml, name="activities"),
    path("agreements/<str:code>/iati.xml", views.agreement_xml, name="agreement"),
    path("admin/iati/import/", admin_views.import_view, name="import"),
]
