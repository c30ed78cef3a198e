from django.apps import AppConfig
from django.contrib import admin
from django.db.backends.signals import connection_created
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def site_name() -> str:
    """The site's name: DJANGO_SITE_NAME, or the tracker's name in the reader's
    language."""
    from django.conf import settings

    return settings.SITE_NAME or str(_("Cooperation grants tracker"))


lazy_site_name = lazy(site_name, str)()


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Agreements")

    def ready(self):
        from .cache import connect_invalidation
        from .csv_export import register_sqlite_neutralize
        from .jobs import spreadsheets  # noqa: F401  (registers the spreadsheet jobs)
        from .search import register_sqlite_fold

        connection_created.connect(
            register_sqlite_fold, dispatch_uid="grants_register_sqlite_fold"
        )
        connection_created.connect(
            register_sqlite_neutralize, dispatch_uid="grants_register_sqlite_neutralize"
        )
        connect_invalidation()
        admin.site.site_header = admin.site.site_title = lazy_site_name
        admin.site.index_title = _("Administration")
