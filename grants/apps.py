from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Agreements")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
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
