"""The admin page that imports an IATI file. The upload is stored in the database and
a preview job is started (nothing kept); the job's page shows its progress and report,
and its confirmation starts the import job (indicators/iati/jobs.py). The request
itself only stores the file, so it is quick at any size the form accepts."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from grants.admin_pages import admin_page
from grants.jobs.models import Job
from grants.jobs.runner import job_start, upload_store

from .jobs import IMPORT, PREVIEW

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


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


@admin_page(permission="grants.add_agreement")
def import_view(request):
    upload_form = IatiUploadForm()
    if request.method == "POST":
        upload_form = IatiUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            with transaction.atomic():
                upload = upload_store(
                    uploaded=upload_form.cleaned_data["file"], owner=request.user
                )
                job = job_start(kind=PREVIEW, owner=request.user, upload=upload)
            return redirect(job)
    elif request.method != "GET":
        return redirect("iati_admin:import")
    context = {
        **admin.site.each_context(request),
        "title": _("Import IATI activities"),
        "upload_form": upload_form,
        "recent_jobs": Job.objects.filter(
            owner=request.user, kind__in=[PREVIEW, IMPORT]
        ).defer("report", "params")[:5],
    }
    return render(request, "indicators/iati/import.html", context)
