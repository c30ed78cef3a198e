import hashlib

from django.conf import settings
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from grants.cache import public_version

from . import export

CONTENT_TYPE = "application/xml; charset=utf-8"


def _etag(name: str) -> str:
    """The same for as long as nothing public changes (the public version moves with
    every write) and the reporting organisation stays the same; the query string
    plays no part, so `?x=1` neither misses nor fills anything."""
    parts = [
        name,
        public_version(),
        settings.IATI_REPORTING_ORG_REF,
        settings.IATI_REPORTING_ORG_NAME,
        settings.IATI_REPORTING_ORG_TYPE,
        settings.IATI_DEFAULT_LANGUAGE,
    ]
    return '"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


def _not_configured(error):
    return HttpResponse(
        str(error), status=503, content_type="text/plain; charset=utf-8"
    )


def _xml_response(request, agreements, filename):
    etag = _etag(filename)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    try:
        body = export.stream(agreements)
    except export.IatiNotConfigured as error:
        return _not_configured(error)
    # Streamed: written as it is read, in flat memory (the page cache never keeps a
    # streamed response, so no query string can make it fill the cache).
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=60)
    return response


@require_safe
def activities_xml(request):
    """Every public agreement as IATI 2.03 activity XML, streamed."""
    return _xml_response(request, export.public_agreements(), "iati-activities.xml")


@require_safe
def agreement_xml(request, code):
    """One public agreement as an IATI 2.03 activity XML file; drafts are a 404."""
    agreements = export.public_agreements().filter(code=code)
    if not agreements.exists():
        raise Http404(_("No public agreement has this code."))
    return _xml_response(request, agreements, f"iati-{code}.xml")
