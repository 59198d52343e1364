"""Django settings for renkou, read from ``RENKOU_*`` environment variables only.

Defaults are safe for the embedded mode (one office, SQLite under ``data/``):
``DEBUG`` off, secrets generated into ``data/`` with mode 0600 on first run.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from renkou.core.secrets import owner_only, read_or_create_secret

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """One ``RENKOU_<name>`` variable, or the default."""
    return os.environ.get(f"RENKOU_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no variable: 1, true, yes and on count as yes."""
    value = env(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "data"))).resolve()
# The test suite runs on several processes (pytest-xdist sets PYTEST_XDIST_WORKER in each):
# each keeps its own data directory (keys, snapshots, uploads), as it keeps its own database.
if os.environ.get("PYTEST_XDIST_WORKER"):
    DATA_DIR = DATA_DIR / os.environ["PYTEST_XDIST_WORKER"]

# Nothing renkou writes is for other users of the machine: files 0600, directories 0700
# (the database, keys, uploads, generated forms, payment files, snapshots, backups).
os.umask(0o077)
DATA_DIR.mkdir(parents=True, exist_ok=True)
owner_only(DATA_DIR)

DEBUG = env_bool("DEBUG")
SECRET_KEY = env("SECRET_KEY") or read_or_create_secret(DATA_DIR / "secret_key", nbytes=50)
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "renkou.core",
    "renkou.orgunits",
    "renkou.registry",
    "renkou.api",
    "renkou.quality",
    "renkou.analytics",
    "renkou.exchange",
    "renkou.benefits",
    "renkou.floating",
    "renkou.cases",
    "renkou.targets",
    "renkou.health",
    "renkou.reports",
    "renkou.synth",
    "renkou.notifications",
    "renkou.web",
]

MIDDLEWARE = [
    "renkou.core.middleware.ServerTimingMiddleware",
    "renkou.api.middleware.ApiErrorMiddleware",
    "renkou.core.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "renkou.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "renkou.core.middleware.SessionTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "renkou.core.middleware.RequestContextMiddleware",
    "renkou.core.language.UserLanguageMiddleware",
    "renkou.core.middleware.PasswordChangeRequiredMiddleware",
    "renkou.core.twofactor.SecondFactorRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "renkou.urls"
WSGI_APPLICATION = "renkou.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "renkou.web.context.navigation",
                "renkou.notifications.context.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "renkou.sqlite3"
owner_only(SQLITE_PATH, SQLITE_PATH.with_name(SQLITE_PATH.name + "-wal"))
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while the worker writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_PATH") or None}
else:
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks -----------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# A running job's worker renews its lease every RENKOU_JOB_HEARTBEAT_SECONDS (default: a
# sixth of the lease); a job whose lease is older than RENKOU_JOB_LEASE_SECONDS (and whose
# worker, on this machine, is gone) is failed, or queued again when its kind is resumable.
RENKOU_JOB_LEASE_SECONDS = float(env("JOB_LEASE_SECONDS", "60"))
RENKOU_JOB_HEARTBEAT_SECONDS = float(
    env("JOB_HEARTBEAT_SECONDS", str(max(0.2, RENKOU_JOB_LEASE_SECONDS / 6)))
)

# The initial load (`renkou registry load`) reads, checks and inserts its files this many
# rows at a time: its memory is bounded by the chunk, not by the size of the files.
RENKOU_LOAD_CHUNK_ROWS = int(env("LOAD_CHUNK_ROWS", "20000"))
# Its SQLite page cache in MiB (part of the load's memory; more is faster on big indexes).
RENKOU_LOAD_SQLITE_CACHE_MIB = int(env("LOAD_SQLITE_CACHE_MIB", "256"))

# The identity number in the bank's payment file (直通车): how many digits are shown at the
# start and at the end (RENKOU_PAYMENT_ID_SHOWN="6,4", the default; "18,0" shows it whole
# for a bank that needs it), the others written as *.
RENKOU_PAYMENT_ID_SHOWN = tuple(int(part) for part in env("PAYMENT_ID_SHOWN", "6,4").split(",", 1))

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins: after AXES_FAILURE_LIMIT failures for one user name from one address,
# that pair is locked out for the cool-off time (django-axes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(env("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Roles that must confirm each sign-in with a TOTP code (an authenticator app): the
# administrators, and the service staff, who read health records (sensitive personal
# information under the PIPL).
RENKOU_SECOND_FACTOR_ROLES = frozenset(
    r.strip()
    for r in env("SECOND_FACTOR_ROLES", "county_admin,sysadmin,service_staff").split(",")
    if r.strip()
)
OTP_TOTP_ISSUER = env("OTP_ISSUER", "renkou")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_SECONDS", "1800"))
# The age above is an inactivity timeout: SessionTouchMiddleware renews it while in use.
SESSION_COOKIE_HTTPONLY = True

# --- JSON API (/api/) -------------------------------------------------------------------
# Bearer tokens only (no session cookies, so no CSRF exposure); JSON in and out.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["renkou.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["renkou.api.parsers.DepthLimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "renkou.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "renkou API",
    "DESCRIPTION": "Population register: persons, households, events and change reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    "ENUM_NAME_OVERRIDES": {
        "PersonStatusEnum": "renkou.registry.choices.PersonStatus",
        "EventStatusEnum": "renkou.registry.choices.EventStatus",
    },
}

# --- Security -------------------------------------------------------------------------
HTTPS = env_bool("HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env("TRUSTED_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Languages and time ---------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "renkou" / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

# --- Static files (vendored, served by WhiteNoise: no CDN) ----------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Protection of identity numbers ---------------------------------------------------
# Both keys are 32 random bytes, base64; the encryption setting may list several keys
# "id1:key1,id2:key2", the first being the one new values are encrypted with (rotation).
RENKOU_ENCRYPTION_KEYS = env("ENCRYPTION_KEYS") or read_or_create_secret(
    DATA_DIR / "encryption_keys", nbytes=32, encoding="keyring"
)
RENKOU_BLIND_INDEX_KEY = env("BLIND_INDEX_KEY") or read_or_create_secret(
    DATA_DIR / "blind_index_key", nbytes=32, encoding="base64"
)

# --- Record linkage --------------------------------------------------------------------
# A trained model is kept per roster kind and receiving unit and reused by later imports
# until it is older than this many days, or the register's size has changed by more than
# this share since it was trained (``renkou exchange link --retrain`` forces training).
RENKOU_LINKAGE_MODEL_MAX_AGE_DAYS = int(env("LINKAGE_MODEL_MAX_AGE_DAYS", "90"))
RENKOU_LINKAGE_MODEL_MAX_CHANGE = float(env("LINKAGE_MODEL_MAX_CHANGE", "0.1"))

# --- Analytics engine ---------------------------------------------------------------------
# The statistics are counted by DuckDB in this process (default), or by Spark: a cluster's
# master (spark://host:7077) or local[N] on this machine. A cluster's workers read the
# snapshot at its path in the data directory (a shared mount); the cache is filled as with
# DuckDB (docs/indicators.md).
RENKOU_ANALYTICS_ENGINE = env("ANALYTICS_ENGINE", "duckdb").strip().lower()
RENKOU_SPARK_MASTER = env("SPARK_MASTER", "local[2]")
# Further Spark settings, "key=value" pairs separated by spaces or commas, handed to the
# session as they are (e.g. "spark.sql.shuffle.partitions=64" for a large register).
RENKOU_SPARK_CONF = env("SPARK_CONF", "")

# --- Monthly reports --------------------------------------------------------------------
# A village's report for a month is on time when received by this day of the next month.
RENKOU_REPORT_DEADLINE_DAY = min(28, max(1, int(env("REPORT_DEADLINE_DAY", "5"))))

# --- Floating population ----------------------------------------------------------------
# Days allowed for the floating-population messages (流动人口"一盘棋"): an arrival notice is
# sent within NOTICE_DAYS of the arrival, a verification request answered within REPLY_DAYS
# of its sending, a reply reviewed within REVIEW_DAYS of its arrival.
RENKOU_FLOATING_NOTICE_DAYS = int(env("FLOATING_NOTICE_DAYS", "7"))
RENKOU_FLOATING_REPLY_DAYS = int(env("FLOATING_REPLY_DAYS", "15"))
RENKOU_FLOATING_REVIEW_DAYS = int(env("FLOATING_REVIEW_DAYS", "15"))
# Delivery to peer servers (docs/floating.md, "Between servers"): a failed delivery is tried
# again after RETRY seconds, doubled per failure up to RETRY_MAX; BATCH messages per request.
RENKOU_OUTBOX_RETRY_SECONDS = float(env("OUTBOX_RETRY_SECONDS", "30"))
RENKOU_OUTBOX_RETRY_MAX_SECONDS = float(env("OUTBOX_RETRY_MAX_SECONDS", "3600"))
RENKOU_OUTBOX_BATCH = int(env("OUTBOX_BATCH", "500"))
RENKOU_OUTBOX_TIMEOUT_SECONDS = float(env("OUTBOX_TIMEOUT_SECONDS", "30"))
# How often the worker looks for deliveries due (a safety net: sending queues its own).
RENKOU_OUTBOX_EVERY_SECONDS = float(env("OUTBOX_EVERY_SECONDS", "60"))
# --- Petitions and hotline cases ------------------------------------------------------------
# Their deadlines: a YAML file replacing renkou/cases/deadlines.yaml (docs/cases.md).
RENKOU_CASE_DEADLINES = env("CASE_DEADLINES")
# The target couples of the pre-pregnancy check's coverage (国免目标人群): "entered" per
# year and unit, or "estimated" from the register (married women 20-49 with fewer than
# three living children); see docs/health.md
RENKOU_HEALTH_TARGET_COUPLES = env("HEALTH_TARGET_COUPLES", "entered")

# --- Backups ---------------------------------------------------------------------------
# The worker writes a backup (renkou backup) into this directory every so many hours (0: no
# scheduled backups) and keeps the newest so many (docs/operations.md). Better on another disk.
RENKOU_BACKUP_DIR = Path(env("BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
RENKOU_BACKUP_EVERY_HOURS = float(env("BACKUP_EVERY_HOURS", "24"))
RENKOU_BACKUP_KEEP = max(1, int(env("BACKUP_KEEP", "7")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden": {"()": "renkou.core.log_filters.ForbiddenOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    # A 403 is one line (who, which path), not a traceback.
    "loggers": {"django.request": {"filters": ["forbidden"]}},
}
