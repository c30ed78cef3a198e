"""A cache of public pages for anonymous visitors, and of costly values, that can
never serve what a committed write has changed, and never fails a page.

- The *public version* lives in the database (`grants.models.PublicVersion`): every
  write to a model of the record (grants or indicators) moves it in the write's own
  transaction, so every worker and server sees the change the moment it commits,
  whatever happens to the cache. Cached pages and values are keyed by it, so nothing
  cached before a write is ever read again.
- Only anonymous GET/HEAD responses that are complete, 200, set no cookie and are not
  marked private are stored; a signed-in official's request neither reads nor fills
  the cache, so a draft can never reach it.
- The cache is shared by every process: Redis with `REDIS_URL`, else Django's file
  cache on this machine (settings.CACHES). When it fails or is slow (a short socket
  timeout), pages are computed uncached and answer as usual; the failure is logged
  and the cache left alone for `PUBLIC_CACHE_RETRY_SECONDS`.
"""

import contextvars
import hashlib
import logging
import time

from redis.exceptions import RedisError
from simple_history.models import HistoricalChanges

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db import router
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.cache import get_conditional_response, patch_response_headers
from django.utils.http import parse_http_date_safe

logger = logging.getLogger(__name__)

RECORD_APPS = ("grants", "indicators")
# What a cache backend raises when its server is away or slow (redis-py's errors; the
# file cache's OSError), and what the pages survive.
CACHE_ERRORS = (RedisError, OSError)
MISSING = object()

# For the length of one GET or HEAD request (PublicPageCacheMiddleware), a place for
# the version: read once, so a page asks the database for it once however many values
# it remembers.
_request_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "public_version_scope", default=None
)
_cache_skipped_until = 0.0


def cache():
    return caches[settings.PUBLIC_PAGE_CACHE_ALIAS]


def cache_is_resting() -> bool:
    return time.monotonic() < _cache_skipped_until


def cache_failed(operation: str, error: Exception) -> None:
    global _cache_skipped_until
    _cache_skipped_until = time.monotonic() + settings.PUBLIC_CACHE_RETRY_SECONDS
    logger.warning(
        "Cache unavailable (%s: %s); pages are computed uncached for %s s.",
        operation,
        error,
        settings.PUBLIC_CACHE_RETRY_SECONDS,
    )


def cache_get(key):
    """The cached value, or MISSING when there is none or the cache is unavailable."""
    if cache_is_resting():
        return MISSING
    try:
        return cache().get(key, MISSING)
    except CACHE_ERRORS as error:
        cache_failed("get", error)
        return MISSING


def cache_set(key, value, timeout) -> None:
    """Store the value if the cache is there; a failure only means a later miss."""
    if cache_is_resting():
        return
    try:
        cache().set(key, value, timeout)
    except CACHE_ERRORS as error:
        cache_failed("set", error)


def cache_health() -> bool:
    """Whether the cache answers now (for /healthz), whatever the pages last found."""
    try:
        cache().set("healthz", "ok", 10)
        return cache().get("healthz") == "ok"
    except CACHE_ERRORS as error:
        cache_failed("health check", error)
        return False


def _version_rows(using):
    from .models import PublicVersion

    return PublicVersion.objects.using(using).filter(pk=1)


def public_version(using=None) -> str:
    """The current public version, read from the database (the row is created on
    first use, with an epoch of its own)."""
    scope = _request_scope.get()
    if scope is not None and "version" in scope:
        return scope["version"]
    from .models import PublicVersion

    using = using or router.db_for_read(PublicVersion)
    row = _version_rows(using).first()
    if row is None:
        row, _created = PublicVersion.objects.using(using).get_or_create(pk=1)
    if scope is not None:
        scope["version"] = str(row)
    return str(row)


def bump_public_version(using=None) -> None:
    """Make every cached public page and value stale, in the current transaction.
    Call after writes that send no signals (bulk_create, QuerySet.update) as well;
    model saves, deletes and many-to-many changes call it themselves."""
    from .models import PublicVersion

    using = using or router.db_for_write(PublicVersion)
    if not _version_rows(using).update(number=F("number") + 1):
        PublicVersion.objects.using(using).get_or_create(pk=1)


def _bump_on_write(sender, using=None, **kwargs):
    action = kwargs.get("action")
    if action is not None and not action.startswith("post_"):
        return  # m2m_changed: once, after the change
    bump_public_version(using=using)


def connect_invalidation():
    for label in RECORD_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label == "grants.PublicVersion" or issubclass(
                model, HistoricalChanges
            ):
                continue  # the version itself; history rows come with a write
            uid = f"public-pages:{model._meta.label}"
            post_save.connect(_bump_on_write, sender=model, dispatch_uid=uid + ":save")
            post_delete.connect(
                _bump_on_write, sender=model, dispatch_uid=uid + ":delete"
            )
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _bump_on_write,
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
        if request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        token = _request_scope.set({})
        try:
            if not self.cacheable_request(request):
                return self.get_response(request)
            return self.serve(request, page_key(request, public_version()))
        finally:
            _request_scope.reset(token)

    def serve(self, request, key):
        response = cache_get(key)
        if response is not MISSING:
            response["X-Public-Cache"] = "hit"
            return not_modified_or(request, response)
        response = self.get_response(request)
        if self.cacheable_response(response):
            timeout = settings.PUBLIC_PAGE_CACHE_SECONDS
            patch_response_headers(response, cache_timeout=min(timeout, 60))
            if hasattr(response, "render") and callable(response.render):
                response.add_post_render_callback(lambda r: cache_set(key, r, timeout))
            else:
                cache_set(key, response, timeout)
            response["X-Public-Cache"] = "miss"
        return response

    @staticmethod
    def cacheable_request(request) -> bool:
        if settings.PUBLIC_PAGE_CACHE_SECONDS <= 0:
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


def not_modified_or(request, response):
    """A cached response that carries an ETag or Last-Modified (the API's) answers a
    conditional request that matches it with 304, as its view would have."""
    if not response.has_header("ETag") and not response.has_header("Last-Modified"):
        return response
    last_modified = response.get("Last-Modified")
    not_modified = get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=last_modified and parse_http_date_safe(last_modified),
        response=response,
    )
    return not_modified or response


def remember(name: str, parts, compute):
    """`compute()`, kept in the cache until the next write to the record (the public
    version) or `PUBLIC_VALUE_CACHE_SECONDS`: for values a page needs every time that
    cost a scan at scale (a list's matching count, a filter's choices). `parts` tells
    apart what `name` computes from (e.g. the query's SQL and parameters). The value
    is the same for every visitor whose request gives the same `parts`; pages for
    signed-in staff pass parts that differ from the public ones. Without the cache
    the value is computed every time."""
    seconds = settings.PUBLIC_VALUE_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = f"public-values:{public_version()}:{name}:{digest}"
    value = cache_get(key)
    if value is MISSING:
        value = compute()
        cache_set(key, value, seconds)
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
