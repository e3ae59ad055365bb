"""Settings for Customer Voice, all read from the environment.

With nothing set, the platform runs on its embedded default: a SQLite file,
an in-process cache and Celery tasks run eagerly. Set DATABASE_URL and
REDIS_URL to run against PostgreSQL and Redis with real Celery workers.
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Keys anyone can read (the development default, an old compose file's fallback) sign no
# session of a server that others reach: with DEBUG off the platform will not start on one.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
PUBLISHED_SECRET_KEYS = {
    "",
    DEVELOPMENT_SECRET_KEY,
    "change-me-to-a-long-random-string-before-any-real-use",
}
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
SECRET_KEY_PROBLEM = ""
if not DEBUG and SECRET_KEY in PUBLISHED_SECRET_KEYS:
    SECRET_KEY_PROBLEM = (
        "SECRET_KEY is missing or is a published placeholder, and DEBUG is off. Set SECRET_KEY "
        "to a long random string, made with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' "
        "(or set DEBUG=true on a development machine)."
    )
    # Commands that serve no one (migrations, messages) run with a key of their own that
    # nothing outlives; serving pages or tasks refuses to start (`config.checks`), and
    # `check --deploy` fails.
    SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "health_check",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "auditlog",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "organisations",
    "standard",
    "assessments",
    "surveys",
    "certification",
    "benchmarking",
    "awards",
    # The top level: the home page and the demo command, which read every app.
    "config",
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
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "organisations.middleware.ActiveMembershipMiddleware",
    "organisations.middleware.RequireTwoFactorMiddleware",
    "config.middleware.HoldableInputMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "csp.context_processors.nonce",
                "organisations.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite file unless DATABASE_URL names another (postgres://...).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Keep connections open between requests, checked before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis serves the cache (rate limits, one-time codes), the Celery broker and results.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Long work (imports, reports) is a row with a status. While a worker runs one it marks it
# alive every JOB_HEARTBEAT_SECONDS; a job silent for JOB_STALLED_AFTER_SECONDS lost its
# worker, says so, and may be tried again. JOB_LONGEST_SECONDS is the longest a task may
# run: the broker hands back work left unacknowledged for longer (a claim already taken
# makes that harmless if the first worker is still at it).
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALLED_AFTER_SECONDS = env.float("JOB_STALLED_AFTER_SECONDS", default=60)
JOB_LONGEST_SECONDS = env.int("JOB_LONGEST_SECONDS", default=30 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": JOB_LONGEST_SECONDS}
# A task still running then is ended (with the prefork pool workers run in production):
# its job stops beating and says it stopped, rather than looking alive for ever.
CELERY_TASK_TIME_LIMIT = JOB_LONGEST_SECONDS
# A worker process that grew past this (in KiB) is replaced after its task, so one bad
# file cannot keep a worker's memory for good.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_KB", default=1024 * 1024)
# Stored files no row refers to (an upload whose request was killed mid-check, a report
# whose worker died before saving its row) are removed once this old.
ORPHAN_FILES_MIN_AGE_SECONDS = env.int("ORPHAN_FILES_MIN_AGE_SECONDS", default=3600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/London"
# Task modules other than an app's `tasks.py`, which workers find by themselves.
CELERY_IMPORTS = ["awards.events", "config.tasks"]
# Periodic work, run by `celery beat`: each task is safe to run twice.
CELERY_BEAT_SCHEDULE = {
    "survey-method-checks": {
        "task": "surveys.tasks.refresh_method_checks",
        "schedule": crontab(hour=2, minute=15),
    },
    "certificate-review-sweep": {
        "task": "certification.tasks.review_sweep",
        "schedule": crontab(hour=3, minute=0),
    },
    "benchmarks-nightly": {
        "task": "benchmarking.tasks.refresh_benchmarks",
        "schedule": crontab(hour=4, minute=0),
    },
    "stalled-imports": {
        "task": "surveys.tasks.stop_stalled_imports",
        "schedule": 30.0,
    },
    "stalled-reports": {
        "task": "config.tasks.stop_stalled_reports",
        "schedule": 30.0,
    },
    "orphan-files": {
        "task": "config.tasks.remove_orphan_files",
        "schedule": crontab(minute="*/30"),
    },
    "notification-emails": {
        "task": "organisations.tasks.send_notification_emails",
        "schedule": crontab(minute="*/5"),
    },
}

# People and sign-in
AUTH_USER_MODEL = "organisations.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "organisations.adapters.AccountAdapter"
# Failed sign-ins are throttled per address and per account (allauth's rate limits).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Customer Voice"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Production is served over TLS: with DEBUG off these are on unless HTTPS=false says the
# server is reached over plain HTTP (a try-out on one's own machine).
if not DEBUG and env.bool("HTTPS", default=True):
    SECURE_SSL_REDIRECT = True
    # Health checks come from inside the network, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Email
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Customer Voice <noreply@localhost>")

# Languages: English, and Welsh for services in Wales.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/London"
USE_TZ = True

# Static files: GOV.UK Frontend and friends are built into static/vendor by `make assets`.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Surveys: the largest results file accepted, and the fewest responses a group of
# customers must have before its figures are shown. The standard's own rule applies
# when unset; the setting may only raise it, never lower it.
SURVEY_IMPORT_MAX_BYTES = env.int("SURVEY_IMPORT_MAX_BYTES", default=500 * 1024 * 1024)
SURVEY_MIN_GROUP_SIZE = env.int("SURVEY_MIN_GROUP_SIZE", default=None)

# Uploaded files are read only within these bounds (survey results and evidence alike);
# `common.uploads` reads them. Archive figures are checked from the archive's directory
# before anything is unpacked. Each can be set from the environment, e.g.
# UPLOAD_MAX_COLUMNS=2000.
UPLOAD_LIMITS = {
    # One packed part (a sheet, a document's text) unpacked, and all parts together.
    "member_bytes": env.int("UPLOAD_MAX_MEMBER_BYTES", default=200 * 1024 * 1024),
    "archive_bytes": env.int("UPLOAD_MAX_ARCHIVE_BYTES", default=500 * 1024 * 1024),
    # How many times its packed size a part may unpack to (ordinary sheets: 5 to 30).
    "member_ratio": env.int("UPLOAD_MAX_MEMBER_RATIO", default=100),
    "members": env.int("UPLOAD_MAX_MEMBERS", default=1_000),
    "sheets": env.int("UPLOAD_MAX_SHEETS", default=50),
    "rows": env.int("UPLOAD_MAX_ROWS", default=5_000_000),
    "columns": env.int("UPLOAD_MAX_COLUMNS", default=1_000),
    "cells": env.int("UPLOAD_MAX_CELLS", default=100_000_000),
    # Excel's own limit for one cell, and the longest column name a mapping can name.
    "cell_chars": env.int("UPLOAD_MAX_CELL_CHARS", default=32_767),
    "header_chars": env.int("UPLOAD_MAX_HEADER_CHARS", default=255),
    # One line of a CSV file (a row, unless a quoted value holds a line break).
    "row_chars": env.int("UPLOAD_MAX_ROW_CHARS", default=1024 * 1024),
    # What an import job keeps of each cell of its preview.
    "preview_chars": env.int("UPLOAD_MAX_PREVIEW_CHARS", default=100),
}

# Benchmarks: the fewest organisations a figure may describe. The standard's rule (5) applies
# when unset; the setting may only raise it, never lower it.
BENCHMARK_MIN_ORGANISATIONS = env.int("BENCHMARK_MIN_ORGANISATIONS", default=None)

# Public forms are rate limited per address (django-ratelimit, counted in the cache).
# Behind a proxy, name the request header that carries the client's address, e.g.
# HTTP_X_REAL_IP; the default is the address that connected.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", default="120/minute"),
        "user": env("API_USER_RATE", default="600/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Voice API",
    "DESCRIPTION": "Organisations, the standard and (as they land) self-assessments, "
    "certification, surveys and benchmarks. Every list is scoped to what the "
    "signed-in member's organisation may see.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind` or a `status`; each gets its own named enum.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "organisations.models.Organisation.Kind",
        "BenchmarkComparisonKindEnum": "benchmarking.serializers.COMPARISON_KINDS",
        "EvidenceKindEnum": "assessments.models.Evidence.Kind",
        "SelfAssessmentStatusEnum": "assessments.models.SelfAssessment.Status",
        "ActionStatusEnum": "assessments.models.Action.Status",
        "ReportJobStatusEnum": "assessments.models.ReportJob.Status",
        "StandardStatusEnum": "standard.models.Standard.Status",
        "SurveyChannelEnum": "surveys.models.Channel",
        "ImportJobStatusEnum": "surveys.models.ImportJob.Status",
        "SurveyQuestionKindEnum": "surveys.models.SurveyQuestion.Kind",
        "ResponseSourceEnum": "surveys.models.Response.Source",
        "RatingValueEnum": "standard.scales.RatingValue",
        "AccreditationStatusEnum": "certification.models.BodyProfile.Accreditation",
        "ConflictKindEnum": "certification.models.ConflictDeclaration.Kind",
        "ApplicationStatusEnum": "certification.models.Application.Status",
        "EngagementKindEnum": "certification.models.Engagement.Kind",
        "EngagementStatusEnum": "certification.models.Engagement.Status",
        "PlannedSiteReasonEnum": "certification.models.PlannedSite.Reason",
        "PlannedElementReasonEnum": "certification.models.PlannedElement.Reason",
        "FindingActionStatusEnum": "certification.models.FindingAction.Status",
        "CertificateStatusEnum": "certification.models.Certificate.Status",
        "DecisionKindEnum": "certification.models.Decision.Kind",
        "CertificateEventKindEnum": "certification.models.CertificateEvent.Kind",
        "AwardCategoryKindEnum": "awards.models.Category.Kind",
        "AwardCategoryLevelEnum": "awards.models.Category.Level",
        "AwardResultPlaceEnum": "awards.models.Result.Place",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.add_error_responses",
    ],
}

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint reports every step of a layout at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
