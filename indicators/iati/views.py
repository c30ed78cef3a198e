from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import export

CONTENT_TYPE = "application/xml; charset=utf-8"


def _xml_response(agreements, filename):
    try:
        body = export.render(agreements)
    except export.IatiNotConfigured as error:
        return HttpResponse(
            str(error), status=503, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
def activities_xml(request):
    """Every public agreement as IATI 2.03 activity XML."""
    return _xml_response(export.public_agreements(), "iati-activities.xml")


@require_safe
def agreement_xml(request, code):
    """One public agreement as an IATI 2.03 activity XML file; drafts are a 404."""
    agreements = export.public_agreements().filter(code=code)
    if not agreements:
        raise Http404(_("No public agreement has this code."))
    return _xml_response(agreements, f"iati-{code}.xml")
