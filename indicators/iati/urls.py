"""The public IATI URLs (read-only: the namespace is in settings.PUBLIC_URL_NAMESPACES).
Included from grants/project/urls.py before the public pages, so that
`agreements/<code>/iati.xml` is matched here and not taken as an agreement code. The
import page is in admin_urls.py."""

from django.urls import path

from . import views

app_name = "iati"

urlpatterns = [
    path("iati/activities.xml", views.activities_xml, name="activities"),
    path("agreements/<str:code>/iati.xml", views.agreement_xml, name="agreement"),
]
