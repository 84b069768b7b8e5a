"""One settings module, configured from the environment.

Development needs nothing set: SQLite under var/, eager Celery tasks, console
mail. Production is DEBUG=0 with SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
CELERY_BROKER_URL from the environment. A bad value stops the start with
ImproperlyConfigured rather than running half-configured.
"""

import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YISHI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# With DEBUG on (the demo), 404 and 500 still show the friendly pages unless this asks for Django's.
YISHI_DEBUG_PAGES = env_bool("YISHI_DEBUG_PAGES", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-never-use-in-production-yishi-0000"
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production.")
# Old keys still verify sessions and signed values during a key rotation.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

# Signs the daily checkpoints of the history chains (HMAC-SHA256, funding/checkpoints.py).
# Its own key, not SECRET_KEY: rotating one must not touch the other. Old keys
# still verify the checkpoints they signed during a rotation (docs/operations.md).
YISHI_CHECKPOINT_KEY = os.environ.get("YISHI_CHECKPOINT_KEY", "")
if not YISHI_CHECKPOINT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("YISHI_CHECKPOINT_KEY must be set when DEBUG is off.")
    YISHI_CHECKPOINT_KEY = "development-only-checkpoint-key-never-use-in-production-yishi"
elif not DEBUG and (len(YISHI_CHECKPOINT_KEY) < 32 or YISHI_CHECKPOINT_KEY == SECRET_KEY):
    raise ImproperlyConfigured("YISHI_CHECKPOINT_KEY must be at least 32 random characters, not SECRET_KEY.")
YISHI_CHECKPOINT_OLD_KEYS = env_list("YISHI_CHECKPOINT_OLD_KEYS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "outbox",
    "councils",
    "proposals",
    "funding",
    "notifications",
    "elections",
    "portal",
    "organisations",
    "needs",
    "grants",
    "photos",
    "ninja",  # django-ninja: its docs page's assets come from our static files, not a CDN
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.DomainErrorMiddleware",
    "portal.ratelimit.RateLimitMiddleware",  # 429 on a flood of any creating form
    "portal.middleware.FriendlyErrorPagesMiddleware",
    # Last, as django-axes asks: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yishi.urls"
WSGI_APPLICATION = "yishi.wsgi.application"
ASGI_APPLICATION = "yishi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, SQLite under var/ otherwise.
# CONN_MAX_AGE > 0: a new connection costs ~6 ms here, a 2-query page drops from
# ~1000 to ~185 req/s without reuse. Health checks drop a connection gone bad.
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 60, minimum=0)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
            )
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    if DATABASES["default"]["ENGINE"] not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (or SQLite).")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
            "TEST_DATABASE_NAME", "test_yishi"
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "yishi.sqlite3",
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "councils.User"
# django-axes first: it refuses a locked-out login before any password is checked,
# for the portal's login and /admin/login/ alike (both call authenticate()).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded photos (docs/operations.md, Photos): the file system under var/media by default, or an
# S3-compatible bucket (django-storages; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
# the bucket and endpoint as JSON options). Nothing here is served at a public URL: every photo
# goes through photos.views.image, which checks who asks.
MEDIA_ROOT = Path(os.environ.get("YISHI_MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"  # unused: no URL serves MEDIA_ROOT directly
_MEDIA_STORAGE = (os.environ.get("YISHI_MEDIA_STORAGE") or "file").strip().lower()
try:
    _MEDIA_OPTIONS = json.loads(os.environ.get("YISHI_MEDIA_STORAGE_OPTIONS") or "{}")
except ValueError as exc:
    raise ImproperlyConfigured(f"YISHI_MEDIA_STORAGE_OPTIONS must be a JSON object: {exc}") from exc
if not isinstance(_MEDIA_OPTIONS, dict):
    raise ImproperlyConfigured("YISHI_MEDIA_STORAGE_OPTIONS must be a JSON object.")
if _MEDIA_STORAGE == "file":
    _MEDIA_BACKEND = "django.core.files.storage.FileSystemStorage"
    _MEDIA_OPTIONS = {"location": str(MEDIA_ROOT), **_MEDIA_OPTIONS}
elif _MEDIA_STORAGE == "s3":
    _MEDIA_BACKEND = "storages.backends.s3.S3Storage"
    if not _MEDIA_OPTIONS.get("bucket_name"):
        raise ImproperlyConfigured('YISHI_MEDIA_STORAGE=s3 needs "bucket_name" in YISHI_MEDIA_STORAGE_OPTIONS.')
    # A private bucket: objects are read by the app (photos.views.image), never linked to.
    _MEDIA_OPTIONS = {"default_acl": "private", "querystring_auth": True, "file_overwrite": False, **_MEDIA_OPTIONS}
else:
    raise ImproperlyConfigured(f"YISHI_MEDIA_STORAGE must be file or s3, not {_MEDIA_STORAGE!r}")
STORAGES = {
    "default": {"BACKEND": _MEDIA_BACKEND, "OPTIONS": _MEDIA_OPTIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Cache: Redis when REDIS_URL is set, local memory otherwise. Nothing that must
# hold lives only in the cache: while Redis is down a read misses and a write is
# dropped (yishi.cache), so every page still answers.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "yishi.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: without a broker every task runs eagerly in the caller's process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Nothing leaves the process; naming the in-memory transport keeps kombu
    # from guessing a broker on localhost.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3}
# Results are only kept when a backend is configured (the worker tests use Redis).
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = not CELERY_RESULT_BACKEND
# A request must not hang on an unreachable broker: give up publishing quickly
# (the action has committed; the message is only delayed, docs/domain.md Time).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Keep the worker's logs in the same JSON lines as the web process.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Scheduled jobs (celery beat), described in docs/operations.md. Each is idempotent,
# so a missed or doubled run only delays or repeats nothing.
# Open data API (api app): requests per client address, through the cache (ninja's AnonRateThrottle).
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "600/m")

CELERY_BEAT_SCHEDULE = {
    "close-due-ballots": {"task": "proposals.tasks.close_due_ballots", "schedule": 60.0},
    "tend-elections": {"task": "elections.tasks.tend_elections", "schedule": 60.0},
    "remind-ballot-electors": {"task": "notifications.tasks.remind_ballot_electors", "schedule": 900.0},
    "notify-ended-notices": {"task": "notifications.tasks.notify_ended_notices", "schedule": 900.0},
    "remind-monthly-meetings": {
        "task": "notifications.tasks.remind_monthly_meetings",
        "schedule": crontab(hour=9, minute=0),
    },
    "warn-fund-calendar": {"task": "funding.tasks.warn_fund_calendar", "schedule": crontab(hour=9, minute=30)},
    "send-digests": {"task": "notifications.tasks.send_digests", "schedule": crontab(hour=18, minute=0)},
    "history-checkpoint": {"task": "funding.tasks.history_checkpoint", "schedule": crontab(hour=3, minute=15)},
    # Delivers outbox rows whose fast path failed (broker or worker down) and retries failed mail.
    "relay-outbox": {"task": "outbox.tasks.relay_outbox", "schedule": 60.0},
    "notify-overdue-needs": {"task": "needs.tasks.notify_overdue_needs", "schedule": crontab(hour=8, minute=30)},
    # R25: the day-before reminder of activities, hourly in the day (a sign-up made late still gets one).
    "remind-activities": {"task": "needs.tasks.remind_activities", "schedule": crontab(hour="9-20", minute=5)},
    "open-closed-tenders": {"task": "funding.tasks.open_closed_tenders", "schedule": 300.0},
    "post-foundation-accounts": {
        "task": "funding.tasks.post_foundation_accounts",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
}
# The outbox relay (docs/operations.md, The outbox): how long a relay holds a claimed row
# before another may take it (longer than one delivery takes), and when the backlog is logged.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300, minimum=1)
OUTBOX_BACKLOG_WARN_SECONDS = env_int("OUTBOX_BACKLOG_WARN_SECONDS", 600, minimum=1)

# Mail (Django 6.1 MAILERS): console unless EMAIL_HOST is set, SMTP then.
# Production never prints mail to the console (it would vanish): without
# EMAIL_HOST it hands mail to a local MTA on localhost:25.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
_SMTP_DEFAULTS = (587, True) if EMAIL_HOST else (25, False)
if not EMAIL_HOST and not DEBUG:
    EMAIL_HOST = "localhost"
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST,
                "port": env_int("EMAIL_PORT", _SMTP_DEFAULTS[0], minimum=1),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", _SMTP_DEFAULTS[1]),
                "timeout": 10,
            },
        }
        if EMAIL_HOST
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
del _SMTP_DEFAULTS
del EMAIL_HOST  # the deprecated setting; MAILERS holds it
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "议事 Yishi <noreply@yishi.localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Content-Security-Policy: Django's built-in middleware, nonces for scripts,
# no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]

# Failed logins (django-axes; docs/operations.md, "Login protection"). Attempts are
# counted in the database, so the protection holds while Redis is down. Each key
# has its own limit within the window (portal.login_guard.LoginAttemptHandler):
# an account from one address, an account from all addresses, one address for all
# accounts. A lock ends LOGIN_FAILURE_WINDOW seconds after the last counted failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 20, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900, minimum=1)
# Reverse proxies in front of the app that append to X-Forwarded-For. 0: the
# client is REMOTE_ADDR and X-Forwarded-For is ignored (anyone can write it).
TRUSTED_PROXY_COUNT = env_int("YISHI_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
AXES_HANDLER = "portal.login_guard.LoginAttemptHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_FAILURE_LIMIT = "portal.login_guard.failure_limit"
AXES_COOLOFF_TIME = "portal.login_guard.cool_off"
AXES_RESET_ON_SUCCESS = True
# A refused attempt is not counted: a locked address cannot go on to lock the
# account for everyone else, nor keep its own lock alive.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.login_guard.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.login_guard.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Axes' startup line ("AXES: BEGIN version …") on every manage command and web worker is noise, and its
# verbose mode writes the browser's user agent into each line; lockouts and failures still log WARNING.
AXES_VERBOSE = False

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be a logging level, not {LOG_LEVEL!r}")
LOGGING_CONFIG = "yishi.logging.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "yishi.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django first applies its DEFAULT_LOGGING, whose console handler on "django" prints each
        # request warning once more (with DEBUG on); here it only propagates to the JSON root.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run inside the request (the demo, tests): a line per successful task is noise there;
    # a real worker keeps logging them. Failures are still logged at ERROR.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}

# scripts/bench.sh: serve /bench/trivial, the ceiling every page is measured against.
YISHI_BENCH = env_bool("YISHI_BENCH", False)
