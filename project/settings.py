"""Django settings: one module, every value from the environment (and `.env` in development).

Each section is a table of contents entry; `.env.example` and the README document every variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from warehouse.local import address as local_warehouse_address

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Variables already in the environment win over the file.
    env.read_env(BASE_DIR / ".env")

# GENERAL
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
# Only a development machine gets a default: in production a missing, short or guessable key
# stops start-up (Django's own deploy check, security.W009, only warns).
SECRET_KEY: str = (
    env("DJANGO_SECRET_KEY", default="django-insecure-development-only-key")
    if DEBUG
    else env("DJANGO_SECRET_KEY")
)
if not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be at least 50 characters, 5 of them different, and not a"
        " django-insecure- key when DJANGO_DEBUG is off; make one with:"
        " python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True

# DATABASES (the service database: jobs, api_log, users; not the warehouse)
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES: dict[str, dict[str, Any]] = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write concurrently: WAL lets readers proceed, IMMEDIATE
    # takes the write lock at BEGIN (no mid-transaction "database is locked"), and the
    # timeout makes a writer wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run a real Celery worker in another process: the test database must be a file
    # both processes open (pytest-django's default for SQLite is in memory).
    DATABASES["default"]["TEST"] = {
        "NAME": env("DJANGO_TEST_SQLITE", default=str(VAR_DIR / "test_db.sqlite3"))
    }
# https://docs.djangoproject.com/en/5.2/ref/settings/#default-auto-field
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
# ------------------------------------------------------------------------------
ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
]
LOCAL_APPS = [
    "project",
    # /metrics and /readyz, and the receivers that count jobs in every process.
    "project.observability",
    "warehouse",
    "access",
    "records",
    "audit",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# MIDDLEWARE
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#middleware
MIDDLEWARE = [
    # First: every line logged while a request is served carries its id (X-Request-Id).
    "common.logging.RequestIdMiddleware",
    # Then the request metrics, which see the status the client gets.
    "project.observability.middleware.HttpMetricsMiddleware",
    # Times the whole request and records every error response once (api_log).
    "audit.middleware.ApiLogMiddleware",
    # Inside it, so the log records the JSON body: every error under /api/ answers the error
    # format, DEBUG or not (Django's debug pages stay for the admin and the docs).
    "common.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out admin login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# STATIC (admin, Swagger UI and Redoc assets; served by WhiteNoise, no CDN)
# ------------------------------------------------------------------------------
# https://whitenoise.readthedocs.io/en/stable/django.html
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not hashed: pages render without a prior `collectstatic` (development,
    # tests); the only assets are the admin's and the API viewers', which rarely change.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# In DEBUG, serve straight from the apps' static folders (no `collectstatic` needed).
WHITENOISE_USE_FINDERS = DEBUG

# TEMPLATES
# ------------------------------------------------------------------------------
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
    },
]

# SECURITY
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
BEHIND_TLS_PROXY: bool = env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies in front that append the caller's address to X-Forwarded-For: with none, the
# header is ignored (anyone could write it) and the address is REMOTE_ADDR (throttles, the
# audit log, the admin lockout). https://www.django-rest-framework.org/api-guide/throttling/
NUM_PROXIES: int = env.int("DJANGO_NUM_PROXIES", default=1 if BEHIND_TLS_PROXY else 0)
# Production values whenever DEBUG is off (`manage.py check --deploy` has nothing to say):
# plain HTTP is redirected to HTTPS (turn it off only where the proxy redirects itself), except
# the healthcheck, readiness and metrics, which platforms and Prometheus probe over plain HTTP;
# browsers are told to use HTTPS only (HSTS, sent on HTTPS answers only); cookies travel over
# HTTPS only.
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
SECURE_SSL_REDIRECT: bool = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/healthcheck$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS: int = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD: bool = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE: bool = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG or BEHIND_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# ADMIN LOGIN LOCKOUT (django-axes)
# ------------------------------------------------------------------------------
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# After AXES_FAILURE_LIMIT wrong passwords an admin login is refused (429) for the cool-off,
# even with the right password; `python manage.py axes_reset` lifts every lockout at once.
AUTHENTICATION_BACKENDS = [
    "project.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15.0))
# Counted per address ("ip_address"), per user name ("username") or per pair of them
# ("username+ip_address"); several, comma-separated, lock out when any one is over the limit.
AXES_LOCKOUT_PARAMETERS: list[str | list[str]] = [
    parameter.split("+") if "+" in parameter else parameter
    for parameter in env.list("AXES_LOCKOUT_PARAMETERS", default=["ip_address"])
]
AXES_RESET_ON_SUCCESS = True
# The address as the API's throttles see it (REMOTE_ADDR unless DJANGO_NUM_PROXIES says otherwise).
AXES_CLIENT_IP_CALLABLE = "access.throttles.client_address"

# LOGGING (to the console; the worker uses the same configuration)
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/logging/
LOG_LEVEL: str = env("LOG_LEVEL", default="INFO")
# text: one readable line per record; json: one JSON object per line, with request_id and job_id
# (common.logging), for a log pipeline. gunicorn's own lines follow it (project/gunicorn.conf.py).
LOG_FORMAT: str = env("LOG_FORMAT", default="text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "common.logging.LogContextFilter"},
    },
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
        "json": {"()": "common.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "console",
            "filters": ["context"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default handlers (console only when DEBUG, mail_admins) with ours.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # The connector logs every HTTP round trip at INFO.
        "databricks": {"level": "WARNING"},
        # django-axes announces its version at every start; its lockouts still log (axes.handlers).
        "axes.apps": {"level": "WARNING"},
    },
}

# METRICS (project.observability: /metrics, Prometheus' text format)
# ------------------------------------------------------------------------------
# https://prometheus.github.io/client_python/multiprocess/
# Every process (gunicorn's workers, Celery's) writes its metrics to files of its own in this
# folder and /metrics adds them up: the web shows the jobs the workers of this host ran.
# prometheus_client reads it from the environment when it is imported, hence os.environ.
PROMETHEUS_MULTIPROC_DIR = Path(env("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "metrics")))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PROMETHEUS_MULTIPROC_DIR)
# Who may read /metrics without an API key: addresses or networks (10.0.0.0/8), as the
# throttles see the caller (DJANGO_NUM_PROXIES); everyone with METRICS_PUBLIC.
METRICS_ALLOWED_ADDRESSES: list[str] = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])
try:
    for _network in METRICS_ALLOWED_ADDRESSES:
        ipaddress.ip_network(_network, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {_error}") from _error
METRICS_PUBLIC: bool = env.bool("METRICS_PUBLIC", default=False)
# host:port where a Celery worker serves its host's metrics itself (a worker on a machine or in
# a container of its own, whose metrics no web server sees); empty: it does not.
METRICS_WORKER_BIND: str = env("METRICS_WORKER_BIND", default="")

# CACHES (tables' columns, shared by the web processes and the workers)
# ------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-cache-url
# Every process must see the same entries (a worker uses the columns submit cached), so the
# default is a folder under var/; set CACHE_URL=redis://... in production.
CACHE_DIR = Path(env("CACHE_DIR", default=str(VAR_DIR / "cache")))
CACHES: dict[str, dict[str, Any]] = {"default": env.cache("CACHE_URL", default=f"filecache://{CACHE_DIR}")}
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["default"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = 10_000

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# The default broker needs no server: kombu's filesystem transport, shared by every process
# on this machine through var/broker/. Set CELERY_BROKER_URL=redis://... in production.
CELERY_BROKER_URL: str = env("CELERY_BROKER_URL", default="filesystem://")
# Where the filesystem broker keeps its messages (tests point it at a folder of their own).
BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Exchange bindings (fanout, remote control); kombu's default is ./control in the cwd.
        "control_folder": str(BROKER_DIR / "control"),
        # Seconds between scans of the queue folder (kombu's default, 1 s, delays every job).
        "polling_interval": 0.25,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {}
)
# kombu's filesystem transport with whole messages only (project/broker.py says why).
CELERY_BROKER_TRANSPORT: str | None = (
    "project.broker:Transport" if CELERY_BROKER_URL.startswith("filesystem://") else None
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged after it ran, and a worker that dies mid-task hands it back: tasks
# are idempotent, so a second delivery is safe and a lost one is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Jobs wait on the warehouse's network round trips, not on this machine's CPUs: a worker runs
# many at once in threads (time limits do not apply to threads; leases and the warehouse's
# statement timeout bound a job instead).
CELERY_WORKER_POOL: str = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY: int = env.int("CELERY_WORKER_CONCURRENCY", default=16)
# The queue job runs are published to, and the one a worker started without -Q consumes
# (services sharing one broker each take a name of their own).
RECORDS_JOB_QUEUE: str = env("RECORDS_JOB_QUEUE", default="celery")
CELERY_TASK_DEFAULT_QUEUE = RECORDS_JOB_QUEUE
# Periodic tasks have a queue (and a worker) of their own, so long jobs never delay them.
CELERY_PERIODIC_QUEUE = "periodic"
CELERY_TASK_ROUTES: dict[str, Any] = {
    "records.tasks.jobs_republish_stale_task": {"queue": CELERY_PERIODIC_QUEUE},
    "records.webhooks.webhooks_republish_due_task": {"queue": CELERY_PERIODIC_QUEUE},
    "records.tasks.ingest_dir_sweep_task": {"queue": CELERY_PERIODIC_QUEUE},
    "audit.tasks.*": {"queue": CELERY_PERIODIC_QUEUE},
}
CELERY_TASK_SOFT_TIME_LIMIT: int = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT: int = env.int("CELERY_TASK_TIME_LIMIT", default=16 * 60)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
RECORDS_REQUEUE_INTERVAL_SECONDS: float = env.float("RECORDS_REQUEUE_INTERVAL_SECONDS", default=10.0)
DATABRICKS_LOG_SHIP_INTERVAL_SECONDS: float = env.float("DATABRICKS_LOG_SHIP_INTERVAL_SECONDS", default=30.0)
# A run not started within its interval is dropped (``expires``): the next one does its work.
CELERY_BEAT_SCHEDULE: dict[str, Any] = {
    "records-republish-stale-jobs": {
        "task": "records.tasks.jobs_republish_stale_task",
        "schedule": RECORDS_REQUEUE_INTERVAL_SECONDS,
        "options": {"expires": RECORDS_REQUEUE_INTERVAL_SECONDS},
    },
    "records-republish-due-webhooks": {
        "task": "records.webhooks.webhooks_republish_due_task",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "audit-ship-api-log": {
        "task": "audit.tasks.apilog_ship_task",
        "schedule": DATABRICKS_LOG_SHIP_INTERVAL_SECONDS,
        "options": {"expires": DATABRICKS_LOG_SHIP_INTERVAL_SECONDS},
    },
    "records-sweep-ingest-dir": {
        "task": "records.tasks.ingest_dir_sweep_task",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    "audit-purge-api-log": {
        "task": "audit.tasks.apilog_purge_task",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}

# RECORDS (jobs)
# ------------------------------------------------------------------------------
# A queued job no worker claimed within this many seconds is published again (its first
# publish may have failed while the broker was down).
RECORDS_REQUEUE_GRACE_SECONDS: float = env.float("RECORDS_REQUEUE_GRACE_SECONDS", default=60.0)
RECORDS_REQUEUE_BATCH: int = env.int("RECORDS_REQUEUE_BATCH", default=500)
# A running job holds a lease this long, renewed by its worker's heartbeat every sixth of it;
# the sweep takes over a job whose lease ran out (its worker died) within about this long.
RECORDS_LEASE_SECONDS: float = env.float("RECORDS_LEASE_SECONDS", default=30.0)
# A job whose warehouse errors are transient (an outage, a busy warehouse) is retried for this
# long from its first such error, with exponential backoff (base * 2**n, full jitter, capped).
RECORDS_RETRY_FOR_SECONDS: float = env.float("RECORDS_RETRY_FOR_SECONDS", default=3600.0)
RECORDS_RETRY_BACKOFF_BASE: float = env.float("RECORDS_RETRY_BACKOFF_BASE", default=1.0)
RECORDS_RETRY_BACKOFF_MAX: float = env.float("RECORDS_RETRY_BACKOFF_MAX", default=30.0)
# Group commit: consecutive queued writes of one table land in one statement (within
# RECORDS_MAX_PARAMETER_BYTES), at most this many jobs and rows together.
RECORDS_GROUP_MAX_JOBS: int = env.int("RECORDS_GROUP_MAX_JOBS", default=200)
RECORDS_GROUP_MAX_ROWS: int = env.int("RECORDS_GROUP_MAX_ROWS", default=20_000)
# Request limits: rows per write and bytes per body (413 beyond), seconds a client may wait.
RECORDS_MAX_ROWS_PER_REQUEST: int = env.int("RECORDS_MAX_ROWS_PER_REQUEST", default=100_000)
RECORDS_MAX_BODY_BYTES: int = env.int("RECORDS_MAX_BODY_BYTES", default=64 * 1024 * 1024)
# Values one `in`/`not in` filter may list (413 beyond): a filter's list travels as ONE
# statement parameter and cannot be cut (key_values can, up to RECORDS_MAX_ROWS_PER_REQUEST).
RECORDS_MAX_IN_VALUES: int = env.int("RECORDS_MAX_IN_VALUES", default=10_000)
# Bytes of rows (as JSON) one read answers: a page whose rows would take more stops early and
# says so ("truncated", "next_offset"); a single row larger than this is a 413.
RECORDS_MAX_READ_BYTES: int = env.int("RECORDS_MAX_READ_BYTES", default=10 * 1024 * 1024)
if RECORDS_MAX_IN_VALUES < 1 or RECORDS_MAX_READ_BYTES < 1024:
    raise ImproperlyConfigured("RECORDS_MAX_IN_VALUES must be 1 or more, RECORDS_MAX_READ_BYTES 1024 or more")
RECORDS_MAX_WAIT_SECONDS: int = 30
# Completion webhooks (``callback_url``): the hosts a callback may name (exact names, or
# ``.example.com`` for it and its subdomains; none by default, so the service is never aimed at
# an internal address by accident), whether plain http is allowed (local testing only), the
# seconds one attempt may take, and the delays between attempts (Standard Webhooks' schedule,
# about a day in all, each +-20% jitter).
RECORDS_WEBHOOK_ALLOWED_HOSTS: list[str] = env.list("RECORDS_WEBHOOK_ALLOWED_HOSTS", default=[])
RECORDS_WEBHOOK_ALLOW_HTTP: bool = env.bool("RECORDS_WEBHOOK_ALLOW_HTTP", default=False)
RECORDS_WEBHOOK_TIMEOUT_SECONDS: float = env.float("RECORDS_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
RECORDS_WEBHOOK_RETRY_SCHEDULE: list[float] = [
    float(delay)
    for delay in env.list(
        "RECORDS_WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
# Requests that may wait (``?wait``) at once in one web process; the others answer their 202 at
# once. Keep it below the process's threads (GUNICORN_THREADS, 16), so that waiting requests
# never hold every thread; 0 turns waiting off.
RECORDS_MAX_WAITERS: int = env.int("RECORDS_MAX_WAITERS", default=8)
if RECORDS_MAX_WAITERS < 0:
    raise ImproperlyConfigured("RECORDS_MAX_WAITERS must be 0 or more")
# The bytes of parameter values one statement may carry (rows, keys, filter values...), as the
# connector sends them. Databricks refuses more than 1 MB (1,048,576 bytes); the margin covers
# what a future connector adds. Larger requests become several statements.
RECORDS_MAX_PARAMETER_BYTES: int = env.int("RECORDS_MAX_PARAMETER_BYTES", default=900_000)
if not 1024 <= RECORDS_MAX_PARAMETER_BYTES <= 1024 * 1024:
    raise ImproperlyConfigured("RECORDS_MAX_PARAMETER_BYTES must be from 1024 to 1048576 (Databricks' 1 MB)")
# How long submit trusts a table's cached columns before looking again; while the warehouse is
# unreachable it uses entries up to the stale limit (so known tables still take writes).
RECORDS_SCHEMA_CACHE_SECONDS: float = env.float("RECORDS_SCHEMA_CACHE_SECONDS", default=30.0)
RECORDS_SCHEMA_CACHE_STALE_SECONDS: float = env.float("RECORDS_SCHEMA_CACHE_STALE_SECONDS", default=86_400.0)
# Django refuses bodies above this before any view runs; the records limit above decides.
DATA_UPLOAD_MAX_MEMORY_SIZE = RECORDS_MAX_BODY_BYTES
# Bulk ingestion (``/records/ingest``): uploads wait in RECORDS_INGEST_DIR (shared by web and
# workers) until their job is final; at most RECORDS_INGEST_MAX_BYTES and RECORDS_INGEST_MAX_ROWS
# per file (413 beyond). Jobs stage Parquet files of RECORDS_INGEST_FILE_ROWS rows in
# RECORDS_STAGING_VOLUME (catalog.schema.volume; empty: a `records_staging` volume in the target
# table's schema), created when missing if RECORDS_STAGING_VOLUME_CREATE.
RECORDS_INGEST_DIR: str = env("RECORDS_INGEST_DIR", default=str(BASE_DIR / "var" / "ingest"))
RECORDS_INGEST_MAX_BYTES: int = env.int("RECORDS_INGEST_MAX_BYTES", default=10 * 1024**3)
RECORDS_INGEST_MAX_ROWS: int = env.int("RECORDS_INGEST_MAX_ROWS", default=100_000_000)
RECORDS_INGEST_FILE_ROWS: int = env.int("RECORDS_INGEST_FILE_ROWS", default=250_000)
RECORDS_STAGING_VOLUME: str = env("RECORDS_STAGING_VOLUME", default="")
RECORDS_STAGING_VOLUME_CREATE: bool = env.bool("RECORDS_STAGING_VOLUME_CREATE", default=True)
if RECORDS_STAGING_VOLUME and not re.fullmatch(
    r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){2}", RECORDS_STAGING_VOLUME
):
    raise ImproperlyConfigured("RECORDS_STAGING_VOLUME must be catalog.schema.volume")
if RECORDS_INGEST_FILE_ROWS < 1:
    raise ImproperlyConfigured("RECORDS_INGEST_FILE_ROWS must be 1 or more")
# An upload larger than this goes to a file in RECORDS_INGEST_DIR as it arrives, not to memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = RECORDS_INGEST_DIR
# Django checks at start that the folder exists; uploads then move from it without a copy.
Path(RECORDS_INGEST_DIR).mkdir(parents=True, exist_ok=True)

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.NestingLimitedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    # Closed by default: an endpoint that names no authentication (access.authentication)
    # and no permission of its own lets nobody in.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Rates: API_THROTTLE_* below (access.throttles reads them per request).
    "DEFAULT_THROTTLE_CLASSES": [
        "access.throttles.ClientRateThrottle",
        "access.throttles.AnonymousRateThrottle",
    ],
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "common.handlers.api_exception_handler",
    # drf-spectacular's AutoSchema, documenting DELETE bodies too (common.openapi).
    "DEFAULT_SCHEMA_CLASS": "common.openapi.ServiceAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "common.pagination.CheckedLimitOffsetPagination",
    "PAGE_SIZE": 50,
}

# THROTTLING (access.throttles: DRF's throttles on the shared cache, CACHES above)
# ------------------------------------------------------------------------------
# N/period, the period s, m, h or d, optionally a multiple (20/5m); empty: no limit. Over a
# rate is a 429 with Retry-After. Per API client; per address for the endpoints open without
# a key (the healthcheck is never throttled: platforms probe it).
API_THROTTLE_CLIENT_RATE: str = env("API_THROTTLE_CLIENT_RATE", default="1200/min")
API_THROTTLE_ANONYMOUS_RATE: str = env("API_THROTTLE_ANONYMOUS_RATE", default="120/min")
# Missing or refused keys per address; over it, every request of that address is a 429 until
# the oldest failure of the window leaves it, whatever key it sends.
API_THROTTLE_FAILED_AUTH_RATE: str = env("API_THROTTLE_FAILED_AUTH_RATE", default="20/5m")

# IDENTITY FROM THE DATABRICKS APPS PROXY (access.forwarded)
# ------------------------------------------------------------------------------
# true only where every request comes through the Databricks Apps proxy, which authenticates
# the caller and sets X-Forwarded-Email / X-Forwarded-User: the caller is then the API client of
# that name (created on first sight with no privileges). Anywhere else anyone could write them.
RECORDS_TRUST_APPS_PROXY: bool = env.bool("RECORDS_TRUST_APPS_PROXY", default=False)

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Records service",
    "DESCRIPTION": (
        "Job-queued writes, updates and deletes and synchronous reads on Databricks Unity Catalog "
        "tables. Every endpoint but the healthcheck needs an API key: `X-Api-Key: <key>` (Authorize, "
        "`ApiKey`) or `Authorization: Api-Key <key>`. Errors of every status have one body, "
        '`{"error": true, "message", "details"}` (the `Error` schema).'
    ),
    "VERSION": "1.0.0",
    # 3.1: a DELETE may have a body (common.openapi), and null is a type like any other.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Descriptions are written for clients (extend_schema, extend_schema_serializer, help_text);
    # docstrings are for the code's readers.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    "TAGS": [
        {"name": "records", "description": "Write, update and delete rows (durable jobs); read rows."},
        {"name": "jobs", "description": "The jobs of the caller's writes, updates and deletes."},
        {"name": "health", "description": "For load balancers and monitors: no API key."},
    ],
    # Two fields named status (a job's, the healthcheck's) with different choices.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "records.models.Job.Status",
        "JobOperationEnum": "records.models.Job.Operation",
        "HealthStatusEnum": ["healthy", "degraded"],
    },
    # Swagger UI and Redoc assets come from drf-spectacular-sidecar: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The key pasted in Authorize survives a reload of the page.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": True},
}

# WAREHOUSE (read by warehouse.client)
# ------------------------------------------------------------------------------
# Set DATABRICKS_WAREHOUSE_ID to use a Databricks SQL warehouse; credentials come from the
# Databricks SDK's unified auth (a profile in ~/.databrickscfg, DATABRICKS_HOST/TOKEN, OAuth).
DATABRICKS_WAREHOUSE_ID: str = env("DATABRICKS_WAREHOUSE_ID", default="")
DATABRICKS_HOST: str = env("DATABRICKS_HOST", default="")
DATABRICKS_CONFIG_PROFILE: str = env("DATABRICKS_CONFIG_PROFILE", default="")
# Unset DATABRICKS_WAREHOUSE_ID: the local warehouse (python manage.py runwarehouse). Its URL
# is the one setting of where it listens: runwarehouse (and so `make run`) listens on its port,
# every client connects to it (each refuses a malformed URL when it uses it).
LOCAL_WAREHOUSE_URL: str = env("LOCAL_WAREHOUSE_URL", default=local_warehouse_address.DEFAULT_URL)
if env(local_warehouse_address.RETIRED_PORT_ENV, default=""):
    raise ImproperlyConfigured(
        "LOCAL_WAREHOUSE_PORT is no longer read: the local warehouse listens on the port of"
        " LOCAL_WAREHOUSE_URL; set LOCAL_WAREHOUSE_URL=http://127.0.0.1:<port>/sql/1.0/warehouses/local"
        " instead (in .env or the environment)"
    )
# The local warehouse's access token: LOCAL_WAREHOUSE_TOKEN, else this file (make run and
# runwarehouse create it), read when a connection opens.
LOCAL_WAREHOUSE_TOKEN_FILE: Path = Path(
    env("LOCAL_WAREHOUSE_TOKEN_FILE", default=str(BASE_DIR / "var" / "local-warehouse-token"))
)
WAREHOUSE_STATEMENT_TIMEOUT: int = env.int("WAREHOUSE_STATEMENT_TIMEOUT", default=300)
WAREHOUSE_SOCKET_TIMEOUT: float = env.float("WAREHOUSE_SOCKET_TIMEOUT", default=60.0)
WAREHOUSE_CONNECTOR_RETRIES: int = env.int("WAREHOUSE_CONNECTOR_RETRIES", default=3)
# The connector retries 429/503 and refused connections itself; this bounds how long, so a
# dead warehouse surfaces as a transient error that the job layer retries with its own backoff.
WAREHOUSE_CONNECTOR_RETRY_SECONDS: float = env.float("WAREHOUSE_CONNECTOR_RETRY_SECONDS", default=30.0)
DATABRICKS_CATALOG: str = env("DATABRICKS_CATALOG", default="oil_gas_catalog")
DATABRICKS_SCHEMA: str = env("DATABRICKS_SCHEMA", default="production_schema")
DATABRICKS_LOGGING_ENABLED: bool = env.bool("DATABRICKS_LOGGING_ENABLED", default=True)
DATABRICKS_LOG_CATALOG: str = env("DATABRICKS_LOG_CATALOG", default=DATABRICKS_CATALOG)
DATABRICKS_LOG_SCHEMA: str = env("DATABRICKS_LOG_SCHEMA", default=DATABRICKS_SCHEMA)
DATABRICKS_LOG_TABLE: str = env("DATABRICKS_LOG_TABLE", default="api_log")

# AUDIT (api_log: every API error and failed job, shipped to the warehouse)
# ------------------------------------------------------------------------------
# Rows are always recorded in the service database; DATABRICKS_LOGGING_ENABLED (above) only
# decides whether they are shipped to {DATABRICKS_LOG_CATALOG}.{DATABRICKS_LOG_SCHEMA}.api_log.
AUDIT_SHIP_BATCH_SIZE: int = env.int("AUDIT_SHIP_BATCH_SIZE", default=1000)
# Shipped rows older than this are deleted from the service database (the warehouse keeps them).
AUDIT_RETENTION_DAYS: int = env.int("AUDIT_RETENTION_DAYS", default=30)
# Refusals anyone can repeat at will (401, 429) are recorded once per caller (address, or API
# client), status and window of this many seconds; the next row recorded counts those left out.
AUDIT_REFUSAL_WINDOW_SECONDS: int = env.int("AUDIT_REFUSAL_WINDOW_SECONDS", default=60)

# HEALTHCHECK
# ------------------------------------------------------------------------------
# Seconds the broker probe may take before the queue is reported as down.
HEALTHCHECK_BROKER_TIMEOUT: float = env.float("HEALTHCHECK_BROKER_TIMEOUT", default=3.0)
# What /readyz checks (project.observability.readiness): service_db (SELECT 1 on the service
# database), warehouse_config (a warehouse and credentials are configured; nothing is sent),
# warehouse (it answers SELECT 1) and queue (the broker takes a connection). The default leaves
# out the two shared by every instance, whose outage the service rides out (writes are queued).
READINESS_CHECKS: list[str] = env.list("READINESS_CHECKS", default=["service_db", "warehouse_config"])
_READINESS_CHECK_NAMES = ("service_db", "warehouse_config", "warehouse", "queue")
if not set(READINESS_CHECKS) <= set(_READINESS_CHECK_NAMES):
    raise ImproperlyConfigured(
        f"READINESS_CHECKS: {READINESS_CHECKS!r}; the checks are {_READINESS_CHECK_NAMES}"
    )
