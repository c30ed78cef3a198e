"""A shared cache of public pages for anonymous visitors.

Every cached page is keyed by a *public version*: any write to a model of the record
(grants or indicators) replaces the version once its transaction commits, so every page
cached before is never served again. Only anonymous GET/HEAD responses that are complete,
200, set no cookie and are not marked private are stored; a signed-in official's request
neither reads nor fills the cache, so a draft can never reach the cache.

With `REDIS_URL` set the cache (and the version) is shared by every app server.
"""

import hashlib
import uuid

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.cache import patch_response_headers

VERSION_KEY = "public-pages:version"
RECORD_APPS = ("grants", "indicators")


def cache():
    return caches[settings.PUBLIC_PAGE_CACHE_ALIAS]


def public_version() -> str:
    version = cache().get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        # add() so that two servers starting at once agree on one version.
        if not cache().add(VERSION_KEY, version, timeout=None):
            version = cache().get(VERSION_KEY) or version
    return version


def bump_public_version() -> None:
    """Make every cached public page stale. Call after writes that send no signals
    (bulk_create, QuerySet.update) as well; model saves and deletes call it themselves."""
    cache().set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _bump_on_commit(sender, **kwargs):
    transaction.on_commit(bump_public_version, robust=True)


def connect_invalidation():
    for label in RECORD_APPS:
        for model in apps.get_app_config(label).get_models():
            uid = f"public-pages:{model._meta.label}"
            post_save.connect(_bump_on_commit, sender=model, dispatch_uid=uid + ":save")
            post_delete.connect(
                _bump_on_commit, sender=model, dispatch_uid=uid + ":delete"
            )
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _bump_on_commit,
                    sender=field.remote_field.through,
                    dispatch_uid=f"{uid}:{field.name}:m2m",
                )


def page_key(request, version: str) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    return f"public-pages:{version}:{language}:{request.method}:{path}"


class PublicPageCacheMiddleware:
    """Serve and store anonymous public pages (place it after the authentication and
    locale middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self.cacheable_request(request):
            return self.get_response(request)
        key = page_key(request, public_version())
        response = cache().get(key)
        if response is not None:
            response["X-Public-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if self.cacheable_response(response):
            timeout = settings.PUBLIC_PAGE_CACHE_SECONDS
            patch_response_headers(response, cache_timeout=min(timeout, 60))
            if hasattr(response, "render") and callable(response.render):
                response.add_post_render_callback(
                    lambda r: cache().set(key, r, timeout)
                )
            else:
                cache().set(key, response, timeout)
            response["X-Public-Cache"] = "miss"
        return response

    @staticmethod
    def cacheable_request(request) -> bool:
        if settings.PUBLIC_PAGE_CACHE_SECONDS <= 0 or request.method not in {
            "GET",
            "HEAD",
        }:
            return False
        if request.path.startswith(settings.PUBLIC_PAGE_CACHE_EXCLUDE):
            return False
        user = getattr(request, "user", None)
        return user is None or not user.is_authenticated

    @staticmethod
    def cacheable_response(response) -> bool:
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        cache_control = response.get("Cache-Control", "")
        return "private" not in cache_control and "no-store" not in cache_control


def remember(name: str, parts, compute):
    """`compute()`, kept in the cache until the next write to the record (the public
    version) or `PUBLIC_VALUE_CACHE_SECONDS`: for values a page needs every time that
    cost a scan at scale (a list's matching count, a filter's choices). `parts` tells
    apart what `name` computes from (e.g. the query's SQL and parameters). The value
    is the same for every visitor whose request gives the same `parts`; pages for
    signed-in staff pass parts that differ from the public ones."""
    seconds = settings.PUBLIC_VALUE_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = f"public-values:{public_version()}:{name}:{digest}"
    value = cache().get(key)
    if value is None:
        value = compute()
        cache().set(key, value, seconds)
    return value


def cached_count(queryset) -> int:
    """`queryset.count()`, remembered until the next write (see `remember`)."""
    if settings.PUBLIC_VALUE_CACHE_SECONDS <= 0:
        return queryset.count()
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return 0
    return remember(
        "count", (queryset.db, sql, tuple(map(str, params))), queryset.count
    )
