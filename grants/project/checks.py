"""System checks of our own (`manage.py check --deploy`)."""

import os
import runpy
import shlex
from pathlib import Path

from django.conf import settings
from django.core import checks

GUNICORN_CONF = Path(__file__).with_name("gunicorn.conf.py")
PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",)


def configured_workers() -> int:
    """How many gunicorn workers this environment starts: grants/project/gunicorn.conf.py's
    `workers` (WEB_CONCURRENCY), or -w/--workers in GUNICORN_CMD_ARGS, which wins."""
    workers = runpy.run_path(str(GUNICORN_CONF))["workers"]
    args = shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))
    for index, arg in enumerate(args):
        value = None
        if arg in {"-w", "--workers"} and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--workers="):
            value = arg.partition("=")[2]
        elif arg.startswith("-w") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value.isdigit():
            workers = int(value)
    return workers


@checks.register(checks.Tags.caches, deploy=True)
def check_cache_shared_by_workers(app_configs, **kwargs):
    """grants.E001: several workers with a per-process cache would each keep their own
    pages and values, and the public version is not the only thing they need to share."""
    workers = configured_workers()
    if workers <= 1:
        return []
    return [
        checks.Error(
            f"The cache '{alias}' is kept in each process's memory "
            f"({options['BACKEND']}) but {workers} workers are configured.",
            hint=(
                "Use a cache every process shares: leave CACHES to the default "
                "(Django's file cache) or set REDIS_URL; or run one worker "
                "(WEB_CONCURRENCY=1)."
            ),
            id="grants.E001",
        )
        for alias, options in settings.CACHES.items()
        if options.get("BACKEND") in PER_PROCESS_CACHES
    ]
