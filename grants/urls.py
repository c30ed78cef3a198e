from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # IATI XML and the admin import page; before admin/ and the public pages, which
    # would otherwise take these paths (a string include: grants imports nothing
    # from indicators).
    path("", include("indicators.iati.urls")),
    path("admin/", admin.site.urls),
    path("", include("indicators.urls")),
    path("", include("grants.public_urls")),
]
