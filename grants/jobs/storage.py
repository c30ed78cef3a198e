"""django-import-export's temporary storage, in the database: the spreadsheet waiting
between the preview and the confirmation is an `Upload` row, so the confirmation may
reach any app server (the local-memory cache kept it in one server's memory). The name
carried by the confirmation form is signed, so nobody can point it at another upload."""

from import_export.tmp_storages import BaseStorage

from django.core import signing

from .models import Upload

SALT = "grants.jobs.storage"


class DatabaseTmpStorage(BaseStorage):
    def save(self, data):
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        upload = Upload.objects.create(
            name="spreadsheet", content=bytes(data), size=len(data)
        )
        self.name = signing.dumps(upload.pk, salt=SALT)

    def _upload(self):
        try:
            pk = signing.loads(self.name or "", salt=SALT)
        except signing.BadSignature:
            return None
        return Upload.objects.filter(pk=pk).first()

    def read(self):
        upload = self._upload()
        if upload is None:
            raise ValueError("the uploaded file is no longer kept; upload it again")
        return bytes(upload.content)

    def remove(self):
        upload = self._upload()
        if upload is not None:
            upload.delete()
