"""Settings for the grants tracker.

Every value that differs between a laptop and production comes from the environment;
README.md lists each variable. Without DATABASE_URL the app uses SQLite in the checkout.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


# Not django-environ: it reads a variable set but empty as False, where these read it
# as unset (DJANGO_SECURE_SSL_REDIRECT= must keep the redirect on in production).
def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}."
        ) from None


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # The same rule as Django's deploy check (security.W009), enforced at start-up:
    # a guessable key lets anyone forge sessions and password-reset links.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
# Old keys still accepted for existing sessions while a new key is rolled out.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, so its TranslationAdmin patches the admin's forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "django_tables2",
    "grants.project.third_party_apps.LoginThrottlingConfig",  # axes
    "simple_history",
    "import_export",
    "django_tasks",
    "grants.project.third_party_apps.TaskQueueConfig",  # django_tasks_db
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "grants",
    "indicators",
    "grants.project.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that reads the database: which one this request reads.
    "grants.project.replicas.ReadReplicaMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    # CORS headers on /api/ only (CORS_URLS_REGEX), before anything that answers.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "grants.project.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, so a POST to a public page answers 405, not 403.
    "grants.project.middleware.PublicPagesReadOnlyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "grants.project.middleware.PrivateForSignedInMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "grants.cache.PublicPageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "grants.project.middleware.DatabaseUnavailableMiddleware",
    # After it, so a replica that fails mid-request gets a retry on the primary first.
    "grants.project.replicas.ReplicaFallbackMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "grants.project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "grants.project.context_processors.site",
            ],
        },
    },
]

# Django's form templates, but selects, inputs and labels written out in Python with
# the same bytes (the 250 countries of the agreements' filter):
# grants/project/form_renderer.py.
FORM_RENDERER = "grants.project.form_renderer.SiteFormRenderer"

WSGI_APPLICATION = "grants.project.wsgi.application"


# SQLite in the checkout unless DATABASE_URL says otherwise
# (postgres://user:password@host:5432/name, or sqlite:///path/to/file.sqlite3). An
# empty DATABASE_URL counts as unset (dj-database-url would give no database).
def database_from_url(url: str) -> dict:
    database = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if database["ENGINE"] != "django.db.backends.postgresql":
        return database
    # A dead database host fails a request in seconds rather than hanging a worker;
    # a runaway query is cancelled (the request answers 503). grants/project/wsgi.py sets
    # a statement timeout for the web app; manage.py commands run without one.
    pg_options = database.setdefault("OPTIONS", {})
    pg_options.setdefault("connect_timeout", env_int("DJANGO_DB_CONNECT_TIMEOUT", 5))
    # JIT compilation pays off for long analytic queries, not for a web page's
    # short ones: a stale row estimate made the agreements list spend ~1 s of its
    # 1.2 s compiling a query that ran in 1 ms. DJANGO_DB_JIT=1 turns it back on.
    server_options = [pg_options.get("options", "")]
    if not env_int("DJANGO_DB_JIT", 0):
        server_options.append("-c jit=off")
    statement_timeout_ms = env_int("DJANGO_DB_STATEMENT_TIMEOUT_MS", 0)
    if statement_timeout_ms > 0:
        server_options.append(f"-c statement_timeout={statement_timeout_ms}")
    if options := " ".join(server_options).strip():
        pg_options["options"] = options
    return database


DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "").strip()
        or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
# PostgreSQL streaming replicas of the primary (DATABASE_URL), comma-separated: public
# pages read them, staff and writes use the primary (grants/project/replicas.py). In tests
# each is a mirror of the test database.
DATABASE_REPLICAS = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    alias = f"replica{number}"
    DATABASES[alias] = database_from_url(url)
    DATABASES[alias]["TEST"] = {"MIRROR": "default"}
    DATABASE_REPLICAS.append(alias)
DATABASE_ROUTERS = ["grants.project.replicas.ReplicaRouter"]
# After a request that changes something, the client reads the primary this long
# (a cookie), so an official sees their own save however far a replica lags.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 15)
# A replica that did not answer is left alone this long (per process).
DATABASE_REPLICA_RETRY_SECONDS = float(
    os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "10") or 10
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE avoids
    # "database is locked" when a read transaction later tries to write.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

# One cache shared by every process that serves: with REDIS_URL (redis://host:6379/0)
# by every app server, else Django's file cache in DJANGO_CACHE_DIR, shared by the
# processes of this machine. Never per-process memory: each gunicorn worker would keep
# its own pages (the deploy check grants.E001 refuses LocMemCache with several workers).
# The cache only holds values under the public version, which lives in the database
# (grants/cache.py), so it is never the only place a change is known. A cache that is
# down or slow (DJANGO_CACHE_TIMEOUT seconds) only means pages computed uncached.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_TIMEOUT_SECONDS = float(os.environ.get("DJANGO_CACHE_TIMEOUT", "0.25"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "grants"),
            # Passed to redis-py's connection pool: a stopped or paused Redis costs
            # a request this long, not the operating system's TCP timeouts.
            "OPTIONS": {
                "socket_timeout": CACHE_TIMEOUT_SECONDS,
                "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", "").strip()
            or str(BASE_DIR / ".cache" / "django"),
            "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_CACHE_MAX_ENTRIES", 5000)},
        }
    }
# After a cache failure the pages leave the cache alone this many seconds (each try
# would cost the socket timeout), then try again.
PUBLIC_CACHE_RETRY_SECONDS = float(os.environ.get("PUBLIC_CACHE_RETRY_SECONDS", "5"))

# Anonymous public pages are cached this many seconds (0 turns the cache off); any write
# to the record makes every cached page stale at once (grants/cache.py).
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "300"))
PUBLIC_PAGE_CACHE_ALIAS = "default"
# Counts and filter choices the list pages need on every request, kept until the next
# write to the record (grants/cache.py, `remember`); 0 turns this off.
PUBLIC_VALUE_CACHE_SECONDS = int(os.environ.get("PUBLIC_VALUE_CACHE_SECONDS", "300"))
# /robots.txt touches no database (the load test's baseline): not worth a version read.
PUBLIC_PAGE_CACHE_EXCLUDE = ("/admin/", "/language/", "/healthz", "/robots.txt")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out client before the password is even checked.
    "grants.project.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
# The record's texts in every language above (grants/languages.py): the default
# language is the original; a text missing in the visitor's language is read in the
# default one, then in the others in the order of LANGUAGES.
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_FALLBACK_LANGUAGES = (
    LANGUAGE_CODE,
    *(code for code, _name in LANGUAGES if code != LANGUAGE_CODE),
)
# Admin labels of the per-language fields: "title [en, original]", "title [es]".
MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = lambda name, language: format_lazy(  # noqa: E731
    "{} [{}]",
    name,
    format_lazy(_("{}, original"), language) if language == LANGUAGE_CODE else language,
)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "America/Lima")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        }
    },
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
}

# IATI: the organisation that publishes /iati/activities.xml (see README, "IATI").
# The export answers 503 with a message until IATI_REPORTING_ORG_REF is set.
IATI_REPORTING_ORG_REF = os.environ.get("IATI_REPORTING_ORG_REF", "")
IATI_REPORTING_ORG_NAME = os.environ.get("IATI_REPORTING_ORG_NAME", "")
IATI_REPORTING_ORG_TYPE = os.environ.get("IATI_REPORTING_ORG_TYPE", "10")
# The name in the public pages' header and the admin's; empty: "Cooperation grants
# tracker", translated.
SITE_NAME = os.environ.get("DJANGO_SITE_NAME", "").strip()
IATI_DEFAULT_LANGUAGE = os.environ.get("IATI_DEFAULT_LANGUAGE", "en")

# Security. Production defaults are the safe ones; README.md's settings table lists
# each variable. Behind a TLS-terminating proxy, set DJANGO_SECURE_PROXY_SSL_HEADER
# only if the proxy always overwrites that header.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe app servers over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if proxy_ssl_header := os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = (proxy_ssl_header, "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a commitment the domain's owner makes with the browser vendors
    # for the whole domain; it is opted into, not a default the deploy check forces.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Staff sessions end after a working day, counted from the login.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 9 * 60 * 60)

# Content-Security-Policy (django-csp 4): only the site's own files, no inline script
# or style, no plugins, no <base>, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features the site never uses are switched off for it and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# Public pages are read-only: other methods answer 405 (grants.project.middleware).
# A public app's URL namespace goes here; the hostile-input tests walk the same list.
PUBLIC_URL_NAMESPACES = ["grants", "indicators", "iati"]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username
# from one client address, that pair is refused for the cool-off period. Locking the
# pair, not the username, means an attacker elsewhere cannot lock an official out.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_VERBOSE = False  # no banner in every command's output
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "grants.project.auth_backends.throttled_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Number of proxies (load balancer, TLS terminator) in front of the app. With one or
# more, the client address is read from X-Forwarded-For at the position those proxies
# append it, so a client cannot pick its own address by sending the header itself.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    # Accept longer chains (a client may send its own header) and count from the end.
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# The public read-only API (grants/api, README "API"). Nobody signs in to it (no
# authentication class: a staff session gets the public answer), JSON only, errors
# through grants.api.core.exception_handler. Throttled per client address, found as
# for login throttling (TRUSTED_PROXY_COUNT); an empty API_THROTTLE_RATE turns it off.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "120/minute").strip()
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["grants.api.throttling.AddressRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "grants.api.core.exception_handler",
    # OPTIONS describes nothing (405); CORS preflights are answered before the view.
    "DEFAULT_METADATA_CLASS": None,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # `format` means nothing to the API (the list pages' ?format=csv is theirs).
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": _("Cooperation grants tracker API"),
    "DESCRIPTION": _(
        "The public record, read-only, as JSON: the same published rows, filters and "
        "column names as the list pages and the CSV reports."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Read-only data meant to be reused: GET from any origin, on /api/ only, no cookies.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]

# Request bodies: a form post may be at most 2.5 MB; an uploaded file above 2.5 MB
# is streamed to a temporary file instead of memory. The size of a whole upload is
# capped by the proxy (client_max_body_size, see README) and by the import form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Staff workflow (issue 5): history with reasons, spreadsheet import.
# Reverting from the history page would bypass the review workflow: changes go through
# the change form, with a reason.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# An import is all or nothing, and the uploaded file waits for confirmation in the cache
# (shared by every app server once the cache is Redis), not on one server's disk.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# The spreadsheet waiting for its confirmation is kept in the database (grants/jobs),
# so the confirmation may reach any app server.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "grants.jobs.storage.DatabaseTmpStorage"

# Background jobs (grants/jobs): Django's task API (the django-tasks backport) with the
# database backend, so nothing else is needed; `manage.py db_worker` runs the jobs
# (README, "Jobs"). JOBS_BACKEND may name another django-tasks backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("JOBS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A job running longer than this is stopped and marked so.
JOBS_TIME_LIMIT_SECONDS = env_int("JOBS_TIME_LIMIT_SECONDS", 3600)
# How often a running job writes its progress; a job on another machine silent for
# JOBS_STALE_SECONDS is shown as interrupted (on the same machine the worker's process
# is checked directly).
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "1") or 1)
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 120)
# `manage.py prune_jobs` deletes uploads and finished job records older than this.
JOBS_RETENTION_DAYS = env_int("JOBS_RETENTION_DAYS", 30)
