from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Agreements")

    def ready(self):
        from .cache import connect_invalidation

        connect_invalidation()
