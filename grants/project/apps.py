from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The site above both apps: the settings, the root URLconf, the middleware, the
    health check, the system checks, the read-replica router, and the commands that
    work on the whole record (the seed, the demo data, the benchmarks). It may import
    `grants` and `indicators`; neither imports it (tests/test_dependencies.py)."""

    name = "grants.project"
    label = "project"
    verbose_name = "Site"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
