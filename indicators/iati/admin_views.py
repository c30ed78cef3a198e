"""The admin page that imports an IATI file: a preview first (nothing kept), then the
import itself. The file travels from the preview to the import in a signed, compressed
form field, so no server keeps it on disk or in memory between the two requests."""

import base64
import zlib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from .importer import OUTCOME_LABELS, import_files

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SIGNING_SALT = "indicators.iati.import"


class IatiUploadForm(forms.Form):
    file = forms.FileField(
        label=_("IATI activity file"),
        help_text=_(
            "An IATI 2.03 activity XML file. You will see what would be imported "
            "before anything is kept."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than 20 MB: import it with manage.py import_iati."
                )
            )
        return upload


class IatiConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def clean_payload(self):
        try:
            name, content = signing.loads(
                self.cleaned_data["payload"], salt=SIGNING_SALT, max_age=3600
            )
            return name, zlib.decompress(base64.b64decode(content))
        except (signing.BadSignature, ValueError, zlib.error) as error:
            raise forms.ValidationError(
                _("The preview has expired or was altered: upload the file again.")
            ) from error


def pack(name: str, content: bytes) -> str:
    encoded = base64.b64encode(zlib.compress(content, 9)).decode()
    return signing.dumps([name, encoded], salt=SIGNING_SALT)


def import_view(request):
    return admin.site.admin_view(_import_view)(request)


def _import_view(request):
    if not request.user.has_perm("grants.add_agreement"):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": _("Import IATI activities"),
        "upload_form": IatiUploadForm(),
    }
    if request.method == "POST" and "confirm" in request.POST:
        confirm = IatiConfirmForm(request.POST)
        if confirm.is_valid():
            name, content = confirm.cleaned_data["payload"]
            reports = import_files([(name, content)])
            counts = reports[0].counts()
            messages.success(
                request,
                _("Imported %(name)s: %(summary)s.")
                % {
                    "name": name,
                    "summary": ", ".join(
                        f"{n} {OUTCOME_LABELS.get(o, o)}"
                        for o, n in sorted(counts.items())
                    )
                    or _("no activities"),
                },
            )
            context.update(reports=reports, imported=True)
            return render(request, "indicators/iati/import.html", context)
        context["confirm_errors"] = confirm.errors.get("payload")
    elif request.method == "POST":
        upload = IatiUploadForm(request.POST, request.FILES)
        context["upload_form"] = upload
        if upload.is_valid():
            content = upload.cleaned_data["file"].read()
            name = upload.cleaned_data["file"].name
            reports = import_files([(name, content)], dry_run=True)
            context.update(reports=reports, preview=True)
            payload = pack(name, content)
            if len(payload) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 64 * 1024:
                context["confirm_errors"] = [
                    _(
                        "This file is too large to import from this page: import it "
                        "with manage.py import_iati."
                    )
                ]
            elif not reports[0].error and reports[0].activities:
                context["confirm_form"] = IatiConfirmForm(initial={"payload": payload})
    elif request.method != "GET":
        return redirect("iati_admin:import")
    return render(request, "indicators/iati/import.html", context)
