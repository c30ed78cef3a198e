from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators and results")

    def ready(self):
        from . import sort_keys
        from .iati import jobs  # noqa: F401  (registers the IATI kinds of job)

        sort_keys.connect()
