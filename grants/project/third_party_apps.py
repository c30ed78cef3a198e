"""Third-party apps as the admin shows them, named in the official's language
without touching the libraries: INSTALLED_APPS names these configurations (a module
of their own, so grants/apps.py keeps a single configuration for grants)."""

import axes.apps
import django_tasks_db.apps

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The names third-party apps give their models in the admin, which they do not
# translate into Spanish: listed here so `make messages` keeps them in our catalogue,
# whose translations Django uses for the apps' own gettext_lazy() strings.
THIRD_PARTY_MODEL_NAMES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
)


class LoginThrottlingConfig(axes.apps.AppConfig):
    """django-axes, named in the official's language in the admin."""

    verbose_name = _("Login throttling")


class TaskQueueConfig(django_tasks_db.apps.TasksAppConfig):
    """django-tasks-db's task rows, named in the official's language in the admin."""

    verbose_name = _("Task queue")
