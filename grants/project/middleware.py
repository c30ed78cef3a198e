"""Middleware that keeps every page safe whatever it is sent and whatever fails.

Each applies to pages added later without any change to them: the read-only rule
covers every URL in settings.PUBLIC_URL_NAMESPACES.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found, server_error

from grants.api import is_api_request

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD")


class RejectNulBytesMiddleware:
    """Refuse NUL characters in the path (404) or the query string (400).

    No page has a use for them, and PostgreSQL refuses them in a query with an
    error that would otherwise surface as a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api_request(request)
        if "\x00" in request.path_info:
            if api:
                return JsonResponse({"detail": _("Not found.")}, status=404)
            return page_not_found(request, Http404())
        refused = [
            key
            for key, values in request.GET.lists()
            if "\x00" in key or any("\x00" in value for value in values)
        ]
        if refused or "\x00" in request.META.get("QUERY_STRING", ""):
            if api:
                problem = [_("No parameter accepts a NUL character.")]
                names = [key.replace("\x00", "") for key in refused] or ["detail"]
                return JsonResponse({name: problem for name in names}, status=400)
            return render(request, "400.html", status=400)
        return self.get_response(request)


class PublicPagesReadOnlyMiddleware:
    """Answer 405 to anything but GET and HEAD on the public pages.

    The public pages are every URL in a namespace of settings.PUBLIC_URL_NAMESPACES
    (the language switch included: it is a GET link); the admin, which needs POST,
    is outside them.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.namespaces = frozenset(settings.PUBLIC_URL_NAMESPACES)

    def __call__(self, request):
        if request.method not in SAFE_METHODS and self.is_public(request):
            return HttpResponseNotAllowed(SAFE_METHODS)
        return self.get_response(request)

    def is_public(self, request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return not self.namespaces.isdisjoint(match.namespaces)


class DatabaseUnavailableMiddleware:
    """Turn a lost or refused database connection into a plain 503 page.

    While PostgreSQL restarts, requests fail with OperationalError or
    InterfaceError; the visitor gets "try again shortly" instead of a server
    error, and the next request reconnects (CONN_HEALTH_CHECKS) without a
    worker restart. A cancelled query (statement timeout) is an OperationalError
    too and answers the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        return database_unavailable(request, exception)


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable(request, exception):
    logger.error(
        "Database unavailable for %s %s: %s", request.method, request.path, exception
    )
    response = render(request, "503.html", status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


def server_error_or_database_unavailable(request):
    """handler500: a database fault raised outside a view (in a middleware, say)
    still answers 503; anything else is Django's own 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return database_unavailable(request, exception)
    return server_error(request)


class PrivateForSignedInMiddleware:
    """A signed-in user's pages (staff see drafts) are `Cache-Control: private`, and
    every page varies on Cookie, so a shared cache never serves one visitor's copy to
    the other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        return response
