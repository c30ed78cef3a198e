from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from grants.cache import cache_health


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitors: plain text, never cached, and exempt from
    the HTTPS redirect (SECURE_REDIRECT_EXEMPT) so a probe over HTTP works.

    503 when the database does not answer a query: this server cannot serve. 200
    `ok` when the database and the cache answer; 200 `degraded: cache` when only the
    cache does not (pages are then computed uncached), so the load balancer keeps
    the server.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain"
        )
    if not cache_health():
        return HttpResponse("degraded: cache\n", content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
