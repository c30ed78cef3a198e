"""A URLconf with the public pages under another path, for tests/grants/test_links.py."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("grants.public_urls"))]
