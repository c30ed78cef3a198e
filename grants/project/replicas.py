"""Public reads from PostgreSQL read replicas; staff, writes and everything outside a
web request on the primary (README, "Deployment": the topology).

- `ReplicaRouter` (settings.DATABASE_ROUTERS) sends every write, and every read
  outside a request that `ReadReplicaMiddleware` let go to a replica, to `default`,
  the primary. Management commands and job workers therefore read the primary.
- A request may read a replica when it is a GET or HEAD, carries no session cookie
  (staff are signed in: their sessions, drafts and edits stay on the primary) and no
  pin cookie. A request that changes something (any other method) sets the pin
  cookie for `DATABASE_REPLICA_PIN_SECONDS`, so the person who just saved reads
  their own write however far the replica lags behind.
- A request picks one replica for all its reads (so the cache's versions and the
  page's rows come from the same database), after Django's own health check of the
  connection. A replica that does not answer is left alone for
  `DATABASE_REPLICA_RETRY_SECONDS` and the request reads the primary; one that fails
  in the middle of a request has that request run again on the primary
  (`ReplicaFallbackMiddleware`), never a 500.
"""

import contextlib
import contextvars
import logging
import random
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD"}
PIN_COOKIE = "primary_pin"
PRIMARY = "primary"

# Per request: {"allowed": bool, "alias": the replica chosen (None: the primary)}.
_request_reads: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "replica_reads", default=None
)
# Per process: a replica that did not answer, and until when it is left alone.
_resting_until: dict[str, float] = {}


def replica_aliases() -> list[str]:
    return list(settings.DATABASE_REPLICAS)


def replica_answers(alias: str) -> bool:
    """Whether the replica's connection works, by Django's own health check (the one
    the request's first query would run) or a new connection."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        rest(alias, error)
        return False
    return True


def rest(alias: str, error: Exception) -> None:
    seconds = settings.DATABASE_REPLICA_RETRY_SECONDS
    _resting_until[alias] = time.monotonic() + seconds
    logger.warning(
        "Read replica %s unavailable (%s); reading the primary for %s s.",
        alias,
        error,
        seconds,
    )
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


def choose_replica() -> str | None:
    """A replica that answers, chosen at random among those not resting; None when
    none does (the primary, then)."""
    now = time.monotonic()
    candidates = [a for a in replica_aliases() if _resting_until.get(a, 0) <= now]
    random.shuffle(candidates)
    for alias in candidates:
        if replica_answers(alias):
            return alias
    return None


def read_alias() -> str | None:
    """The database this request reads (None: the router says nothing, the
    primary)."""
    reads = _request_reads.get()
    if reads is None or not reads["allowed"]:
        return None
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None  # a transaction on the primary reads what it writes
    if "alias" not in reads:
        reads["alias"] = choose_replica()
    return reads["alias"]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, copied

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db not in replica_aliases() and None


def may_read_a_replica(request) -> bool:
    return bool(
        replica_aliases()
        and request.method in SAFE_METHODS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and PIN_COOKIE not in request.COOKIES
    )


class ReadReplicaMiddleware:
    """Lets a public read go to a replica, and pins a writer to the primary (place it
    before anything that reads the database, the page cache included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reads = {"allowed": may_read_a_replica(request)}
        token = _request_reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _request_reads.reset(token)
        if not replica_aliases():
            return response
        response["X-Read-Database"] = reads.get("alias") or PRIMARY
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class ReplicaFallbackMiddleware:
    """A read that fails on a replica mid-request (the replica stopped) is run again on
    the primary (place it after DatabaseUnavailableMiddleware, so that it sees the
    error first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from .middleware import DATABASE_UNAVAILABLE

        reads = _request_reads.get()
        if not isinstance(exception, DATABASE_UNAVAILABLE) or not reads:
            return None
        alias = reads.get("alias")
        match = getattr(request, "resolver_match", None)
        if alias is None or match is None:
            return None
        rest(alias, exception)
        reads["alias"] = None
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
