"""A cache of public pages for anonymous visitors, and of costly values, that can
never serve what a committed write has changed, and never fails a page.

- *Versions* live in the database (`grants.models.PublicVersion`): a row per table
  of the record, and one for the whole record (`*`). Every write moves its table's
  row in the write's own transaction (a save, a delete, a many-to-many change: the
  signals below; the ledger's stored figures: `bump_tables`), so every worker and
  server sees the change the moment it commits, whatever happens to the cache.
  Writes that send no signal and do not say which tables they touched move `*`
  (`bump_public_version`), which makes everything stale.
- A cached page or value is stored with the versions of the tables that computing it
  read (found in the SQL it ran, `reading_tables`) and of `*`, and is served only
  while all of them are unchanged: a new result makes the results list and the
  indicator pages stale, not the agreements list nor the amendments list. The
  versions are read before the page's data, so a write that commits meanwhile can
  only make an entry stale sooner. (Django's `cache.get_or_set(version=...)` takes
  one version per key; an entry here is valid for a set of versions known only
  once it has been computed, and a cache failure must not fail the page.)
- Only anonymous GET/HEAD responses that are complete, 200, set no cookie and are not
  marked private are stored; a signed-in official's request neither reads nor fills
  the cache, so a draft can never reach it.
- The cache is shared by every process: Redis with `REDIS_URL`, else Django's file
  cache on this machine (settings.CACHES). When it fails or is slow (a short socket
  timeout), pages are computed uncached and answer as usual; the failure is logged
  and the cache left alone for `PUBLIC_CACHE_RETRY_SECONDS`.
"""

import contextlib
import contextvars
import functools
import hashlib
import logging
import re
import time

from redis.exceptions import RedisError
from simple_history.models import HistoricalChanges

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.cache import get_conditional_response, patch_response_headers
from django.utils.http import parse_http_date_safe

logger = logging.getLogger(__name__)

RECORD_APPS = ("grants", "indicators")
# The version row every entry depends on: moved by writes that name no table.
WHOLE_RECORD = "*"
# What a cache backend raises when its server is away or slow (redis-py's errors; the
# file cache's OSError), and what the pages survive.
CACHE_ERRORS = (RedisError, OSError)
MISSING = object()
IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")

# For the length of one GET or HEAD request (PublicPageCacheMiddleware), a place for
# the versions: read once, so a page asks the database for them once however many
# values it remembers.
_request_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "public_version_scope", default=None
)
# The sets of tables being collected (a page, and a value it computes within it).
_reading: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "public_cache_reading", default=()
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


# -- versions -----------------------------------------------------------------------


@functools.cache
def tracked_tables() -> dict[str, str]:
    """Each table of the record, and the version row that a read of it depends on:
    its own; a history table's is its model's (history is written with the model)."""
    from .models import PublicVersion

    tables = {}
    for label in RECORD_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model is PublicVersion:
                continue
            owner = model
            if issubclass(model, HistoricalChanges):
                owner = model.instance_type
            tables[model._meta.db_table] = owner._meta.db_table
    return tables


def table_of(model) -> str:
    return tracked_tables().get(model._meta.db_table, WHOLE_RECORD)


def current_versions(using=None) -> dict[str, str]:
    """Every version row, `{scope: "epoch-number"}`, read in one query (once per
    request)."""
    scope = _request_scope.get()
    if scope is not None and "versions" in scope:
        return scope["versions"]
    from .models import PublicVersion

    using = using or router.db_for_read(PublicVersion)
    versions = {row.scope: str(row) for row in PublicVersion.objects.using(using).all()}
    if WHOLE_RECORD not in versions and using == router.db_for_write(PublicVersion):
        # A database emptied since its migrations (a flushed test database).
        row, _created = PublicVersion.objects.using(using).get_or_create(
            scope=WHOLE_RECORD
        )
        versions[WHOLE_RECORD] = str(row)
    if scope is not None:
        scope["versions"] = versions
    return versions


def public_version(using=None) -> str:
    """One version for the whole record (for ETags): it changes with any write."""
    versions = current_versions(using)
    return hashlib.sha256(repr(sorted(versions.items())).encode()).hexdigest()[:32]


def snapshot(tables, versions) -> tuple | None:
    """The versions an entry computed from `tables` is valid under (None: no
    version row for the whole record yet, so nothing is cached)."""
    if WHOLE_RECORD not in versions:
        return None
    scopes = {tracked_tables().get(table, WHOLE_RECORD) for table in tables}
    scopes.add(WHOLE_RECORD)
    return tuple((scope, versions.get(scope, "0")) for scope in sorted(scopes))


def still_valid(entry, versions) -> bool:
    kept, _payload = entry
    return all(versions.get(scope, "0") == version for scope, version in kept)


def bump_tables(tables, using=None) -> None:
    """Make what was computed from these tables stale, in the current transaction."""
    from .models import PublicVersion

    scopes = sorted(set(tables))
    using = using or router.db_for_write(PublicVersion)
    rows = PublicVersion.objects.using(using).filter(scope__in=scopes)
    if rows.update(number=F("number") + 1) < len(scopes):
        # A table written for the first time: its row starts at 1 (a missing row
        # reads as "0").
        PublicVersion.objects.using(using).bulk_create(
            [PublicVersion(scope=scope) for scope in scopes], ignore_conflicts=True
        )


def bump_public_version(using=None) -> None:
    """Make every cached public page and value stale, in the current transaction.
    For writes that send no signals (bulk_create, QuerySet.update) and do not name
    the tables they wrote (`bump_tables` does); model saves, deletes and
    many-to-many changes call `bump_tables` themselves."""
    bump_tables([WHOLE_RECORD], using=using)


def _bump_on_write(sender, using=None, **kwargs):
    action = kwargs.get("action")
    if action is None:
        bump_tables([table_of(sender)], using=using)
    elif action.startswith("post_"):
        # m2m_changed (once, after the change): the link table and both sides.
        models = [sender, type(kwargs["instance"]), kwargs.get("model")]
        bump_tables([table_of(m) for m in models if m is not None], using=using)


def connect_invalidation():
    for label in RECORD_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label == "grants.PublicVersion" or issubclass(
                model, HistoricalChanges
            ):
                continue  # the versions themselves; history rows come with a write
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


def _note_tables(execute, sql, params, many, context):
    found = None
    for tables in _reading.get():
        if found is None:
            known = tracked_tables()
            found = {word for word in IDENTIFIER.findall(sql) if word in known}
        tables |= found
    return execute(sql, params, many, context)


@contextlib.contextmanager
def reading_tables():
    """Collect the tables of the record every query inside reads, on every database
    (`tables` is filled as the queries run)."""
    tables = set()
    token = _reading.set((*_reading.get(), tables))
    try:
        with contextlib.ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(_note_tables))
            yield tables
    finally:
        _reading.reset(token)


def _read_too(kept) -> None:
    """An entry served from the cache counts as a read of its tables for any entry
    being computed around it (a page that uses a remembered count)."""
    for tables in _reading.get():
        tables.update(scope for scope, _version in kept)


# -- pages --------------------------------------------------------------------------


def page_key(request) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    return f"public-pages:{language}:{request.method}:{path}"


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
            return self.serve(request, page_key(request))
        finally:
            _request_scope.reset(token)

    def serve(self, request, key):
        versions = current_versions()
        entry = cache_get(key)
        if entry is not MISSING and still_valid(entry, versions):
            response = entry[1]
            response["X-Public-Cache"] = "hit"
            return not_modified_or(request, response)
        with reading_tables() as tables:
            response = self.get_response(request)
        kept = snapshot(tables, versions)
        if kept is not None and self.cacheable_response(response):
            timeout = settings.PUBLIC_PAGE_CACHE_SECONDS
            patch_response_headers(response, cache_timeout=min(timeout, 60))
            cache_set(key, (kept, response), timeout)
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
        if hasattr(response, "render") and not response.is_rendered:
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


# -- values -------------------------------------------------------------------------


def remember(name: str, parts, compute):
    """`compute()`, kept in the cache while no table it read has been written (see
    above) or `PUBLIC_VALUE_CACHE_SECONDS`: for values a page needs every time that
    cost a scan at scale (a list's matching count, a filter's choices). `parts` tells
    apart what `name` computes from (e.g. the query's SQL and parameters). The value
    is the same for every visitor whose request gives the same `parts`; pages for
    signed-in staff pass parts that differ from the public ones. Without the cache
    the value is computed every time. Not `cache.get_or_set(key, compute,
    version=...)`: its one version per key cannot say "valid while these tables are
    unchanged" (known only after computing), and it raises when the cache is down."""
    seconds = settings.PUBLIC_VALUE_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = f"public-values:{name}:{digest}"
    versions = current_versions()
    entry = cache_get(key)
    if entry is not MISSING and still_valid(entry, versions):
        _read_too(entry[0])
        return entry[1]
    with reading_tables() as tables:
        value = compute()
    kept = snapshot(tables, versions)
    if kept is not None:
        cache_set(key, (kept, value), seconds)
    return value


def cached_count(queryset) -> int:
    """`queryset.count()`, remembered while its tables are unchanged (`remember`)."""
    if settings.PUBLIC_VALUE_CACHE_SECONDS <= 0:
        return queryset.count()
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return 0
    return remember(
        "count", (queryset.db, sql, tuple(map(str, params))), queryset.count
    )
