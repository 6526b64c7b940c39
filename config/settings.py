"""Twelve-factor settings: everything that differs between deployments comes from the environment.

Production (DJANGO_DEBUG unset or false) refuses to start without real secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GRASSROOTS_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env("SECRET_KEY") or ""
# Fernet keys, newest first: the first encrypts, all decrypt (rotation: prepend a key, run rotate_field_keys).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
# Key of the keyed hash (blind index) that makes protected values findable by exact match.
FIELD_HASH_KEY = env("FIELD_HASH_KEY") or ""

if not DEBUG:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
            ("FIELD_HASH_KEY", FIELD_HASH_KEY),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "Production settings need these environment variables: " + ", ".join(missing)
        )
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY is too short or is a development key.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "grassroots.common",
    "grassroots.territory",
    "grassroots.workforce",
    "grassroots.routing",
    "grassroots.casework",
    "grassroots.outreach",
    "grassroots.open311",
    "grassroots.insights",
    "grassroots.evaluation",
    "grassroots.web",
    "grassroots.planning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "grassroots.common.middleware.DatabaseUnavailableMiddleware",
    "grassroots.common.middleware.InputGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "grassroots.web.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "grassroots.web.context_processors.actor",
            ],
        },
    },
]

# Database: DATABASE_URL picks the engine; SQLite (WAL) is the embedded default.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'grassroots.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked before each request reuses it, so a restarted database server is
        # reconnected to by itself instead of failing the first request of every worker thread.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(env("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["grassroots.common.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "common.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env("LANGUAGE_CODE", "zh-hans")
# Follow the browser's Accept-Language before the user has chosen a language (off: LANGUAGE_CODE rules).
LANGUAGE_FROM_BROWSER = env_bool("LANGUAGE_FROM_BROWSER", False)
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "grassroots" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Apache ECharts from its npm package, installed by run.py (grassroots/insights/assets.py).
    "grassroots.insights.assets.EChartsFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded registers can be large; the importer streams them from disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first: DRF takes the 401 challenge (WWW-Authenticate: Token) from the first class, and session
    # authentication has none (an anonymous caller would get 403). Either still authenticates a request.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "grassroots.common.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "grassroots.common.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "2000/min"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Grassroots API",
    "DESCRIPTION": "Scoped API of the Grassroots mass-work platform. Objects outside the caller's scope answer 404.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "grassroots.common.api.schema.document_page_not_found",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RequestKindEnum": "grassroots.casework.models.Kind",
        "ClockAlertKindEnum": "grassroots.casework.models.AlertKind",
        "SatisfactionEnum": "grassroots.casework.models.Satisfaction",
        "RequestStatusEnum": "grassroots.casework.workflow.Status",
        "WarningStatusEnum": "grassroots.insights.models.WarningStatus",
        "OutreachEventStatusEnum": "grassroots.outreach.models.EventStatus",
        "EvaluationRunStatusEnum": "grassroots.evaluation.models.RunStatus",
        "EvaluationSchemeVersionStatusEnum": "grassroots.evaluation.models.VersionStatus",
        "EvaluationDecisionStatusEnum": "grassroots.evaluation.models.DecisionStatus",
        "EvaluationAppealStatusEnum": "grassroots.evaluation.models.AppealStatus",
        "EvaluationMentorshipStatusEnum": "grassroots.evaluation.models.MentorshipStatus",
        "EvaluationNominationStatusEnum": "grassroots.evaluation.models.NominationStatus",
        "EvaluationAdjustmentKindEnum": "grassroots.evaluation.models.AdjustmentKind",
        "OutreachEventKindEnum": "grassroots.outreach.models.EventKind",
        "LiaisonKindEnum": "grassroots.outreach.models.LiaisonKind",
        "VisitModeEnum": "grassroots.outreach.models.VisitMode",
        "OrganizationKindEnum": "grassroots.territory.models.OrganizationKind",
        "PlanningJobStatusEnum": "grassroots.planning.models.JobStatus",
        "PlanningDutyKindEnum": "grassroots.planning.models.DutyKind",
    },
}

# Working-day calendar for legal clocks: "cn" (China's official calendar, holidays and adjusted working days)
# or "weekdays"; CalendarDay rows override either.
WORK_CALENDAR = env("WORK_CALENDAR", "cn")

# Years after a matter ended before retention_apply erases its contact details (docs/operations.md).
RETENTION_YEARS = float(env("RETENTION_YEARS", "3"))
# Counties whose due lists are generated at once (PostgreSQL; one connection each): one per core.
OUTREACH_GENERATION_WORKERS = int(env("OUTREACH_GENERATION_WORKERS", "2"))

# Officers hired within this many months count as new recruits (新招录人员).
RECRUIT_PERIOD_MONTHS = int(env("RECRUIT_PERIOD_MONTHS", "24"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (django-csp): scripts only from this site's static files — no inline scripts or
# event-handler attributes anywhere, no outside hosts. Styles allow inline style attributes, which the
# templates use for computed widths and which the charts and tooltips set; they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a commitment of the whole domain, made by its owner (docs/operations.md); HSTS itself
        # is on either way, so the check that recommends preloading is silenced only while it is off.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

ROLE_LABELS = {
    "resident": _("Resident"),
    "officer": _("Officer"),
    "leader": _("Unit leader"),
    "hr": _("Political / HR department"),
    "admin": _("Administrator"),
}

# Open311 GeoReport v2 (docs/open311.md). A jurisdiction id, when set, must match a given one (404
# otherwise); OPEN311_REQUIRE_JURISDICTION also refuses a missing one (400). POSTs per client address and
# key: OPEN311_POST_LIMIT in OPEN311_POST_WINDOW seconds. Bodies over OPEN311_MAX_POST_BYTES are refused.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", "")
OPEN311_REQUIRE_JURISDICTION = env_bool("OPEN311_REQUIRE_JURISDICTION", False)
OPEN311_POST_LIMIT = (int(env("OPEN311_POST_LIMIT", "60")), int(env("OPEN311_POST_WINDOW", "60")))
OPEN311_MAX_POST_BYTES = int(env("OPEN311_MAX_POST_BYTES", "65536"))
OPEN311_CONTACT = env("OPEN311_CONTACT", "")
OPEN311_KEY_SERVICE = env("OPEN311_KEY_SERVICE", "API keys are issued by the administrator")
OPEN311_CHANGESET = env("OPEN311_CHANGESET", "2025-01-01T00:00:00Z")
