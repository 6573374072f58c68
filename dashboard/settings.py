"""Settings for the Redis dashboard. Everything a deployment changes comes from the environment."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from dashboard.databases import cache_from_url, database_from_url, sqlite
from dashboard.env import env_bool, env_float, env_int, env_setting
from keyspace import conf as _app_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DASHBOARD_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DJANGO_DEBUG", False)
# A development key is fine on loopback only: the app refuses other clients while it is in use.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret-redis-dashboard")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",  # background jobs (Django's Tasks framework, backported to 5.2)
    "django_tasks_db",  # its database backend: job state in this database, no extra service
    "axes",  # before keyspace: its lockout flag is set when keyspace audits a failure
    "keyspace",
    "dashboard",  # development-only: serve, seed_demo
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "keyspace.access.headers.SecurityHeadersMiddleware",
    # Before anything reads the request: sessions, CSRF, sign-in, views.
    "keyspace.access.loopback.LoopbackOnlyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "keyspace.views.request_body.OversizedFormMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out name or client first
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# The dashboard's own database: users, the audit log, confirmations, jobs, stream slots. SQLite
# in var/ unless DASHBOARD_DATABASE_URL names another (PostgreSQL for several worker processes
# or machines: dashboard/databases.py). The cache is shared by every worker too: by default a
# table in that database.
if os.environ.get("DASHBOARD_DATABASE_URL") and os.environ.get("DASHBOARD_DB_PATH"):
    raise ImproperlyConfigured("set DASHBOARD_DATABASE_URL or DASHBOARD_DB_PATH, not both")
if os.environ.get("DASHBOARD_DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DASHBOARD_DATABASE_URL"])}
else:
    DATABASES = {"default": sqlite(os.environ.get("DASHBOARD_DB_PATH",
                                                  VAR_DIR / "dashboard.sqlite3"))}

CACHES = {"default": cache_from_url(os.environ.get("DASHBOARD_CACHE_URL", ""))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "/media/"  # never served; keeps test servers from mapping URLs onto files
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
# Serve static files straight from the apps (django-htmx ships htmx); no collectstatic step.
WHITENOISE_USE_FINDERS = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The Redis this dashboard shows. Unset: `manage.py serve` starts a private one and sets it.
REDIS_URL = os.environ.get("REDIS_URL", "")
DASHBOARD_CLIENT_NAME = os.environ.get("DASHBOARD_CLIENT_NAME", "redis-dashboard")
# Several connections: REDIS_URL's is named DASHBOARD_DEFAULT_CONNECTION; more are declared as
# JSON ({"staging": {"url": "redis://...", "environment": "staging"}}) or saved in the app.
# (DASHBOARD_DEFAULT_CONNECTION*, DASHBOARD_CONNECTIONS, DASHBOARD_CONNECTION_KEY: read below.)
# Commands the Redis renamed (rename-command), e.g. "CONFIG=cfg-8c1e FLUSHALL=" (see README).
DASHBOARD_RENAMED_COMMANDS = os.environ.get("DASHBOARD_RENAMED_COMMANDS", "")
DASHBOARD_DATABASES = env_int("DASHBOARD_DATABASES", 0)
# TLS for rediss:// URLs (see README, "TLS"); a file that is not there stops start-up.
DASHBOARD_TLS_CA_FILE = os.environ.get("DASHBOARD_TLS_CA_FILE", "")
DASHBOARD_TLS_CERT_FILE = os.environ.get("DASHBOARD_TLS_CERT_FILE", "")
DASHBOARD_TLS_KEY_FILE = os.environ.get("DASHBOARD_TLS_KEY_FILE", "")
DASHBOARD_TLS_VERIFY = os.environ.get("DASHBOARD_TLS_VERIFY", "required")
# Passwords that expire (see README, "Rotating credentials"): one of the two, or neither.
DASHBOARD_REDIS_PASSWORD_COMMAND = os.environ.get("DASHBOARD_REDIS_PASSWORD_COMMAND", "")
DASHBOARD_REDIS_CREDENTIAL_PROVIDER = os.environ.get("DASHBOARD_REDIS_CREDENTIAL_PROVIDER", "")
DASHBOARD_REDIS_CONNECT_TIMEOUT = env_float("DASHBOARD_REDIS_CONNECT_TIMEOUT", 2.0)
DASHBOARD_REDIS_SOCKET_TIMEOUT = env_float("DASHBOARD_REDIS_SOCKET_TIMEOUT", 5.0)
DASHBOARD_PAGE_SIZE = env_int("DASHBOARD_PAGE_SIZE", 100)
DASHBOARD_MAX_PAGE_SIZE = env_int("DASHBOARD_MAX_PAGE_SIZE", 1000)
# Redis time one request may spend scanning for a sparse filter before it returns a cursor.
DASHBOARD_SCAN_BUDGET_MS = env_float("DASHBOARD_SCAN_BUDGET_MS", 50.0)
# Time one SCAN call should take (measured around the call): the COUNT of each step grows
# while steps stay well under it and shrinks when one goes over (keyspace/redis/pacing.py).
# At 2 ms a full crawl raised other clients' p99 by 1.9 ms; at 1 ms by 0.8 ms, for the same
# total Redis time (README, "What it costs Redis").
DASHBOARD_SCAN_STEP_MS = env_float("DASHBOARD_SCAN_STEP_MS", 1.0)
# Time one step of namespace counting may take before it reports progress.
DASHBOARD_NAMESPACE_STEP_MS = env_float("DASHBOARD_NAMESPACE_STEP_MS", 250.0)
DASHBOARD_NAMESPACE_MAX_FOLDERS = env_int("DASHBOARD_NAMESPACE_MAX_FOLDERS", 5000)
DASHBOARD_NAMESPACE_DELIMITER = os.environ.get("DASHBOARD_NAMESPACE_DELIMITER", ":")
DASHBOARD_PREVIEW_BYTES = env_int("DASHBOARD_PREVIEW_BYTES", 256 * 1024)
DASHBOARD_ELEMENT_PREVIEW_BYTES = env_int("DASHBOARD_ELEMENT_PREVIEW_BYTES", 2048)
# Sign-in (Django auth, roles "viewers" and "editors"). "off" is for a personal dashboard on
# loopback only: the run command refuses to listen elsewhere without sign-in.
DASHBOARD_AUTH = env_bool("DASHBOARD_AUTH", True)
LOGIN_URL = "keyspace:sign-in"
LOGIN_REDIRECT_URL = "keyspace:home"
SESSION_COOKIE_AGE = env_int("DASHBOARD_SESSION_SECONDS", 8 * 3600, minimum=60)
# Password guessing (django-axes): this many failures for one user name, or from one client
# address, lock it out; the lockout doubles with each further failure, up to the ceiling.
AXES_FAILURE_LIMIT = env_int("DASHBOARD_SIGNIN_FAILURES", 5, minimum=1)
DASHBOARD_SIGNIN_LOCKOUT_SECONDS = env_int("DASHBOARD_SIGNIN_LOCKOUT_SECONDS", 60)
DASHBOARD_SIGNIN_MAX_LOCKOUT_SECONDS = env_int("DASHBOARD_SIGNIN_MAX_LOCKOUT_SECONDS", 86_400)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "keyspace.access.throttle.cool_off"
# Each failure's record expires with the lockout it caused (axes otherwise deletes every
# record older than the lockout of whichever request cleans up: one failure of another name
# would undo everyone's doubling).
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_CALLABLE = "keyspace.access.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures go to the audit log; successes need no table
AXES_VERBOSE = False
# Edits: no control is drawn and every write answers 403 when read-only.
DASHBOARD_READONLY = env_bool("DASHBOARD_READONLY", False)
DASHBOARD_MAX_VALUE_BYTES = env_int("DASHBOARD_MAX_VALUE_BYTES", 1024 * 1024)
DASHBOARD_MAX_KEY_BYTES = env_int("DASHBOARD_MAX_KEY_BYTES", 16 * 1024)
DASHBOARD_MAX_FILTER_BYTES = env_int("DASHBOARD_MAX_FILTER_BYTES", 64 * 1024 * 1024)
# A TTL below this (ms) expires before anyone could look: it is confirmed like a delete.
DASHBOARD_CONFIRM_TTL_BELOW_MS = env_int("DASHBOARD_CONFIRM_TTL_BELOW_MS", 5000)
# Undo: keys up to this size (MEMORY USAGE) are copied before an edit, kept this long, and
# all copies together stay within the total (the oldest are dropped first).
DASHBOARD_UNDO_MAX_KEY_BYTES = env_int("DASHBOARD_UNDO_MAX_KEY_BYTES", 1024 * 1024)
DASHBOARD_UNDO_SECONDS = env_int("DASHBOARD_UNDO_SECONDS", 3600)
DASHBOARD_UNDO_MAX_TOTAL_BYTES = env_int("DASHBOARD_UNDO_MAX_TOTAL_BYTES", 64 * 1024 * 1024)
# Storing a set union/intersection/difference blocks Redis while it runs: cap its inputs.
DASHBOARD_SET_STORE_MAX_MEMBERS = env_int("DASHBOARD_SET_STORE_MAX_MEMBERS", 1_000_000)
# COPY duplicates a key inside Redis in one go (a 100,000-field hash: ~50 ms; 1,000,000:
# ~0.5 s): larger keys are not copied.
DASHBOARD_COPY_MAX_ELEMENTS = env_int("DASHBOARD_COPY_MAX_ELEMENTS", 100_000)
DASHBOARD_COPY_MAX_BYTES = env_int("DASHBOARD_COPY_MAX_BYTES", 16 * 1024 * 1024)
# Writes that look at every element of a key (LREM, LINSERT, ...: services/editing/size_guard.py)
# are refused on keys longer than this; at this length such a command takes about 5 ms.
DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS = env_int("DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS", 100_000)
# Live pub/sub: streams open at once (across every worker process: slots leased in the
# database, renewed while a stream runs, free after the lease time if a worker dies), how
# often a stream sends a batch, the newest messages a batch keeps under a flood, how many the
# page keeps, payload previews.
DASHBOARD_MAX_STREAMS = env_int("DASHBOARD_MAX_STREAMS", 20)
DASHBOARD_MAX_STREAMS_PER_USER = env_int("DASHBOARD_MAX_STREAMS_PER_USER", 5)
DASHBOARD_STREAM_LEASE_SECONDS = env_int("DASHBOARD_STREAM_LEASE_SECONDS", 30)
DASHBOARD_PUBSUB_INTERVAL = env_float("DASHBOARD_PUBSUB_INTERVAL", 0.1)
DASHBOARD_PUBSUB_MAX_BATCH = env_int("DASHBOARD_PUBSUB_MAX_BATCH", 200)
DASHBOARD_PUBSUB_MAX_SHOWN = env_int("DASHBOARD_PUBSUB_MAX_SHOWN", 500)
DASHBOARD_PUBSUB_PREVIEW_BYTES = env_int("DASHBOARD_PUBSUB_PREVIEW_BYTES", 4096)
# Database analysis (a background job): MEMORY USAGE's SAMPLES per key, namespaces tracked,
# and the keys a sampled run looks at.
DASHBOARD_ANALYSIS_MEMORY_SAMPLES = env_int("DASHBOARD_ANALYSIS_MEMORY_SAMPLES", 5)
DASHBOARD_ANALYSIS_MAX_NAMESPACES = env_int("DASHBOARD_ANALYSIS_MAX_NAMESPACES", 20_000)
DASHBOARD_ANALYSIS_SAMPLE_KEYS = env_int("DASHBOARD_ANALYSIS_SAMPLE_KEYS", 100_000)
# The Server pages: how often the overview reads INFO (once per interval for every viewer),
# how far back its sparklines go, the slow log entries read, table rows shown, and above how
# many connected clients CLIENT LIST is not run at all.
DASHBOARD_SERVER_REFRESH_SECONDS = env_int("DASHBOARD_SERVER_REFRESH_SECONDS", 5)
DASHBOARD_SERVER_HISTORY_MINUTES = env_int("DASHBOARD_SERVER_HISTORY_MINUTES", 30)
DASHBOARD_SERVER_SLOWLOG_ROWS = env_int("DASHBOARD_SERVER_SLOWLOG_ROWS", 128)
DASHBOARD_SERVER_TABLE_ROWS = env_int("DASHBOARD_SERVER_TABLE_ROWS", 200)
DASHBOARD_SERVER_CLIENTS_MAX = env_int("DASHBOARD_SERVER_CLIENTS_MAX", 2_000)
DASHBOARD_LIVE_INTERVAL = env_float("DASHBOARD_LIVE_INTERVAL", 0.25)
DASHBOARD_LIVE_CHECK_SECONDS = env_int("DASHBOARD_LIVE_CHECK_SECONDS", 5)
DASHBOARD_LIVE_ACTIVITY_COUNTERS = env_int("DASHBOARD_LIVE_ACTIVITY_COUNTERS", 200)
# A browser posts a textarea's line breaks as CR LF, url-encoded: a stored LF takes six bytes
# of the body (hex three), plus the form around it. keyspace.views.request_body.body_cap() is the
# same formula: a value the edit form offers can always be sent back; a larger body gets a
# message by its field, never a bare 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * DASHBOARD_MAX_VALUE_BYTES + 64 * 1024
# Request bodies, capped in front of Django (dashboard/bodylimit.py): without a signed-in
# session, and with one (0: twice DATA_UPLOAD_MAX_MEMORY_SIZE, so Django's own limit and its
# message next to the field come first).
# The sign-in form is a few hundred bytes: less than 1 KB would refuse every sign-in.
DASHBOARD_ANONYMOUS_MAX_BODY_BYTES = env_int("DASHBOARD_ANONYMOUS_MAX_BODY_BYTES", 64 * 1024,
                                            minimum=1024)
DASHBOARD_MAX_BODY_BYTES = env_int("DASHBOARD_MAX_BODY_BYTES", 0, minimum=0)

# Every other setting of the app (keyspace/conf.py) comes from the environment variable of the
# same name, parsed by the type of its default: a new setting needs no line here.
for _setting in _app_settings.SETTINGS.values():
    if _setting.setting not in globals():
        globals()[_setting.setting] = env_setting(_setting.setting, _setting.default)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DASHBOARD_LOG_LEVEL", "WARNING")},
}

# Background jobs (the database analysis): Django's Tasks framework through the django-tasks
# backport. The database backend keeps jobs in this project's database and a worker
# (`manage.py db_worker`, started by `manage.py serve`) runs them. A deployment with a queue
# of its own names another backend here (django_tasks_rq's RQBackend, say): never the Redis
# the dashboard shows.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DASHBOARD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
