"""One settings module (STYLE 8): environment variables with safe embedded defaults.

With no variables set the portal runs on SQLite and a Celery broker that needs no server (kombu's
filesystem transport). ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis) switch to
the real services. ``DJANGO_DEBUG`` defaults to off; with it off and the production variables set
(``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS``, ``EMAIL_HOST``) ``manage.py check --deploy``
passes. The quick start turns it on.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
from kombu import Exchange, Queue

from rma_portal.storage import object_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RMA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
EMBEDDED_SECRET_KEY = not SECRET_KEY
# Keys that were ever published as examples (compose files, docs): the web server refuses them as
# it refuses the embedded one (rma_portal/serving.py), whatever DEBUG says.
KNOWN_PLACEHOLDER_SECRET_KEYS = {
    "change-me-to-a-long-random-string-before-any-real-use",
    "change-me",
    "changeme",
    "secret",
    "build-only",
}
if EMBEDDED_SECRET_KEY:
    # Good enough for development and for one-off commands (migrations, imports). The web
    # entry points refuse to serve with it unless DEBUG is on (rma_portal/wsgi.py), and
    # `check --deploy` flags it (security.W009: the "django-insecure-" prefix).
    SECRET_KEY = "django-insecure-embedded-default-set-DJANGO_SECRET_KEY-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("RMA_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "warranty",
    "claims",
    "notifications",
    "partner_api",
    "portal",
    "analytics",
    "rma_portal.apps.OperationsConfig",  # structured-log context (rma_portal/logs.py)
]

MIDDLEWARE = [
    "rma_portal.logs.RequestContextMiddleware",  # first: every later log line has the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After CSRF: a stopped upload (too many files or bytes) is answered 413 here.
    "rma_portal.uploads.UploadLimitMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in buyer gets their own (or their organisation's) language
    # unless the language cookie says otherwise.
    "portal.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rma_portal.urls"
WSGI_APPLICATION = "rma_portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.context_processors.support_contact",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Embedded default: SQLite under var/. DATABASE_URL=postgres://… switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A pooled connection the server dropped (restart, failover) is replaced before use,
        # not found dead by the request (issue 12).
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or client before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# The terms count CPRO's calendar days in Seoul (N1).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: downloads go through permission-checked views
STORAGE_URL = os.environ.get("STORAGE_URL", "")
STORAGES = {
    # Documents, evidence and imports: local files under MEDIA_ROOT by default, S3-compatible
    # object storage when STORAGE_URL=s3://… or AWS_STORAGE_BUCKET_NAME is set (see
    # rma_portal/storage.py). Downloads are streamed through the permission-checked views either
    # way: the bucket stays private and no URL to it ever reaches a browser.
    "default": object_storage(STORAGE_URL, os.environ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and development serve static files straight from the finders.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)

# Security: strict unless told otherwise; the quick start (DEBUG on) relaxes what needs HTTPS.
# Proxy headers (X-Forwarded-Proto, X-Forwarded-For) are believed only when a proxy is declared:
# DJANGO_TRUST_PROXY=N says N proxies we run sit in front (1 for one nginx/TLS terminator). With
# the default 0 anyone could send them, so they are ignored (rma_portal/client_ip.py).
TRUST_PROXY = int(os.environ.get("DJANGO_TRUST_PROXY", "0") or 0)
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Health probes come over plain HTTP from inside the host or cluster, not through the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (Django's own middleware) on every response: scripts and styles only
# from our origin, or inline with the request's nonce (`{{ csp_nonce }}`); nothing from other
# origins, no plugins, no framing, forms post only to us. Swagger UI and Redoc (sidecar assets)
# and the admin run under it; tests/security/test_csp.py drives Chromium to prove it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Inline style attributes (the admin's, the dashboard's SVG) cannot run script.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Cache (API throttling counts): per process by default; CACHE_URL=redis://… shares it.
if os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Console mail by default; SMTP when EMAIL_HOST is set (Django 6.1 MAILERS).
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                # A hung mail server must not hold a worker (and its transaction) forever.
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CPRO RMA <rma@cpro.example>")

# Celery. Embedded default: kombu's filesystem transport and file results, so a worker and beat
# run with no server. CELERY_BROKER_URL=redis://… switches to Redis (results there too).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    _default_results = f"file://{VAR_DIR / 'celery' / 'results'}"
    # The filesystem transport and result backend expect their folders to exist.
    for _name in ("broker", "processed", "control", "results"):
        (VAR_DIR / "celery" / _name).mkdir(parents=True, exist_ok=True)
else:
    # A task unacknowledged this long (its worker died) is delivered again (acks_late).
    # Faults (issue 12). A task unacknowledged this long (its worker died) is delivered again
    # (acks_late); 5 minutes, so a whole lost worker is recovered in minutes, longer than any
    # task runs (a render takes seconds). A request publishing after commit gives up on a dead
    # broker after a short connect timeout; the outbox drain publishes the row later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
        "socket_connect_timeout": float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", "0.3")),
    }
    _default_results = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", _default_results)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
# Faults (issue 12): nobody reads task results (state lives in the database), so none is stored
# and no request ever waits on the result backend; `check_worker`'s ping opts back in.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One queue per kind of work, so a burst of PDF renders never delays an e-mail or a webhook.
# Routing lives here and only here, by task-name pattern (a task moved within its app keeps its
# queue). A worker started without -Q consumes every queue (./dev up, the tests); compose and
# docs/operations.md run one worker per queue. Anything unrouted (the beat sweeps, the outbox
# drain, check_worker's ping) goes to "sweeps".
CELERY_QUEUE_NAMES = ("documents", "mail", "webhooks", "imports", "sweeps")
# Each queue on its own direct exchange with its own routing key (a bare Queue(name) would bind
# every queue to the default exchange and key, and each message would land in all of them).
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in CELERY_QUEUE_NAMES
]
CELERY_TASK_DEFAULT_QUEUE = "sweeps"
CELERY_TASK_ROUTES = {
    "claims.tasks.checkpoint_event_log": {"queue": "sweeps"},  # beat's periodic work
    "claims.*": {"queue": "documents"},  # rendering the RA, credit and debit notes
    "notifications.*.send_*": {"queue": "mail"},
    "partner_api.*.deliver_*": {"queue": "webhooks"},
    "warranty.tasks.resume_shipment_imports": {"queue": "sweeps"},  # beat's periodic work
    "warranty.*": {"queue": "imports"},  # shipment imports from the admin
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # The outbox: tasks the broker could not take at commit time. Stale runs are dropped.
    "drain-outbox": {
        "task": "notifications.tasks.drain_outbox",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Deadlines (N1, N4), Seoul time: hourly in office hours, so a missed run catches up within
    # the hour and nobody is mailed at night. Each run is idempotent.
    "remind-notice-deadlines": {
        "task": "notifications.tasks.remind_notice_deadlines",
        "schedule": crontab(minute=5, hour="8-20"),
    },
    "sweep-holds": {
        "task": "notifications.tasks.sweep_holds",
        "schedule": crontab(minute=10, hour="8-20"),
    },
    # Staff digest (issue 16): Monday 08:30 Seoul; once per ISO week whatever the retries.
    "staff-weekly-digest": {
        "task": "notifications.tasks.send_weekly_digest",
        "schedule": crontab(minute=30, hour=8, day_of_week="mon"),
    },
    # Event log (issue 12): signed checkpoints of every claim's head, so a cut tail is found.
    "checkpoint-event-log": {
        "task": "claims.tasks.checkpoint_event_log",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # Partner API: idempotency keys older than 24 h, webhook retries whose message was lost.
    "partner-api-sweep": {"task": "partner_api.tasks.sweep", "schedule": 300.0},
    # Background shipment imports the broker never took or lost (warranty/tasks.py).
    "resume-shipment-imports": {
        "task": "warranty.tasks.resume_shipment_imports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Warranty quality: the early-warning list to sales staff, Monday 08:30 Seoul (once a week
    # whatever the retries: analytics/services.py).
    "quality-early-warning": {
        "task": "analytics.tasks.send_quality_report",
        "schedule": crontab(minute=30, hour=8, day_of_week=1),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rma_portal.api.IsOrganisationMember"],
    "EXCEPTION_HANDLER": "rma_portal.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["partner_api.throttling.ApiKeyRateThrottle"],
    # JSON with a size (413) and a nesting (400) limit, in the error body (rma_portal/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "rma_portal.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CPRO RMA Portal API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": "Claims (RMAs) of your organisation under CPRO's Limited Warranty. "
    "Authenticate with `Authorization: Api-Key <key>`. See docs/api.md for idempotency, "
    "pagination, errors and signed webhooks.",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "DocumentStatusEnum": "claims.models.DocumentStatus",
        "DocumentKindEnum": "claims.models.DocumentKind",
        "VerdictStatusEnum": ["covered", "not_covered"],
        "LanguageEnum": "rma_portal.settings.LANGUAGES",
        "ClauseEnum": "warranty.apis.CLAUSE_IDS",
        "WebhookEventEnum": "partner_api.models.WebhookEvent",
        "DeliveryStatusEnum": "partner_api.models.DeliveryStatus",
    },
    # A nullable enum is the enum with "nullable: true", not a oneOf with a "NullEnum".
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "partner_api.schema.document_every_operation",
    ],
}

# Partner API (SPEC "Partner API"): requests per key, webhook retries (base·2ⁿ s, capped) and
# when an endpoint failing delivery after delivery is switched off until staff re-enable it.
RMA_API_RATE = os.environ.get("RMA_API_RATE", "600/min")
RMA_IDEMPOTENCY_TTL_HOURS = 24
# The event log's HMAC keys (issue 12), "version:key" comma-separated; new events are signed with
# the highest version, older versions still verify. Kept out of the database on purpose.
EMBEDDED_EVENT_LOG_KEY = "1:development-only-event-log-key-not-for-production"
RMA_EVENT_LOG_KEYS = {
    int(version): key
    for version, _, key in (
        part.strip().partition(":")
        for part in os.environ.get("RMA_EVENT_LOG_KEYS", EMBEDDED_EVENT_LOG_KEY).split(",")
        if part.strip()
    )
}
# The outbox to completion (issue 12): seconds a task may take from hand-over to done before
# the reconciler publishes it again (doubling each time), and hand-overs before it gives up.
RMA_OUTBOX_DONE_WITHIN = {
    "claims.tasks.render_document": 90,  # + beat's 30 s tick: a lost render redone within 2 min
    "default": 600,
}
RMA_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("RMA_OUTBOX_MAX_ATTEMPTS", "6"))
# The largest JSON body the API reads (413 above): a claim at the documented maxima, 200 items
# with 10,000-character Korean details escaped as \uXXXX, is about 12.5 MB.
RMA_API_MAX_JSON_BYTES = int(os.environ.get("RMA_API_MAX_JSON_BYTES", str(16 * 1024 * 1024)))
# Django's own limit on a body read whole (JSON, and a form's fields without its files) is the
# same, so the API's parser, not Django's HTML 400, answers an oversized body (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = RMA_API_MAX_JSON_BYTES
RMA_WEBHOOK_RETRY_BASE_DELAY = float(os.environ.get("RMA_WEBHOOK_RETRY_BASE_DELAY", "1"))
RMA_WEBHOOK_RETRY_MAX_DELAY = 3600
RMA_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("RMA_WEBHOOK_MAX_ATTEMPTS", "16"))
RMA_WEBHOOK_DISABLE_AFTER = int(os.environ.get("RMA_WEBHOOK_DISABLE_AFTER", "8"))
RMA_WEBHOOK_TIMEOUT = 10

# Claims: how long an invitation link to the portal works (evidence uploads: "Uploads" below).
# (D2 fees are a per-currency schedule in the database, claims.FeeSchedule, edited in the admin.)
RMA_INVITATION_DAYS = int(os.environ.get("RMA_INVITATION_DAYS", "7"))

# Structured logs (rma_portal/logs.py): JSON lines by default, key=value when debugging, each
# with the request id or Celery task and the RMA number once known.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "rma_portal.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "rma_portal.logs.JsonFormatter"},
        "text": {"()": "rma_portal.logs.KeyValueFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "text") else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools logs every font subset and WeasyPrint each rendering step at INFO: hundreds of
    # lines a document.
    "loggers": {"fontTools": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}
# Workers log through the same handlers and formats (Celery would install its own otherwise).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reports to Sentry (or a compatible service) only when SENTRY_DSN is set; the SDK is not
# even imported otherwise, so nothing is sent anywhere.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from rma_portal.sentry import init_sentry

    init_sentry(SENTRY_DSN, os.environ)

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username, or
# from one client address, further attempts are refused for AXES_COOLOFF_TIME (portal and admin
# alike, 429 with the lockout page). Attempts are kept in the database; staff see them in the
# admin ("Access attempts", "Access failures").
AXES_FAILURE_LIMIT = int(os.environ.get("RMA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("RMA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "rma_portal.client_ip.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Throttles counted in the cache (rma_portal/throttles.py): "count/period" with period s, min,
# hour or day. Password-reset mails per address and per client; wrong API keys per client;
# document verification pages per client.
RMA_PASSWORD_RESET_RATE_PER_ADDRESS = os.environ.get(
    "RMA_PASSWORD_RESET_RATE_PER_ADDRESS", "3/hour"
)
RMA_PASSWORD_RESET_RATE_PER_CLIENT = os.environ.get("RMA_PASSWORD_RESET_RATE_PER_CLIENT", "10/hour")
RMA_API_KEY_FAILURE_RATE = os.environ.get("RMA_API_KEY_FAILURE_RATE", "20/min")
RMA_VERIFY_RATE = os.environ.get("RMA_VERIFY_RATE", "30/min")

# Uploads (rma_portal/uploads.py): one file, one request and one claim are each bounded. The
# per-file limit is enforced while the body streams in, before it is spooled.
RMA_ATTACHMENT_MAX_BYTES = int(os.environ.get("RMA_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
RMA_UPLOAD_MAX_FILES_PER_REQUEST = int(os.environ.get("RMA_UPLOAD_MAX_FILES_PER_REQUEST", "10"))
RMA_UPLOAD_MAX_REQUEST_BYTES = int(
    os.environ.get("RMA_UPLOAD_MAX_REQUEST_BYTES", str(40 * 1024 * 1024))
)
# The admin's shipment CSV import is not evidence: its one file may be larger (64 MiB holds
# 650,000 to 950,000 shipment rows of 100 to 70 bytes), and its request with it. The views that
# take such a file, by URL name, and the setting that bounds it (the same streaming check).
RMA_IMPORT_MAX_UPLOAD_BYTES = int(
    os.environ.get("RMA_IMPORT_MAX_UPLOAD_BYTES", str(64 * 1024 * 1024))
)
RMA_LARGE_FILE_VIEWS = {"admin:warranty_shipment_import": "RMA_IMPORT_MAX_UPLOAD_BYTES"}
# Beat hands a background import over again when no worker has it (warranty/tasks.py): queued
# and handed over this long ago, or running this long (a 1,000,000-row import takes ~10 s).
RMA_IMPORT_REPUBLISH_AFTER = int(os.environ.get("RMA_IMPORT_REPUBLISH_AFTER", "900"))
RMA_IMPORT_STALLED_AFTER = int(os.environ.get("RMA_IMPORT_STALLED_AFTER", "1800"))
RMA_CLAIM_MAX_ATTACHMENTS = int(os.environ.get("RMA_CLAIM_MAX_ATTACHMENTS", "40"))
RMA_CLAIM_MAX_ATTACHMENT_BYTES = int(
    os.environ.get("RMA_CLAIM_MAX_ATTACHMENT_BYTES", str(200 * 1024 * 1024))
)
FILE_UPLOAD_HANDLERS = [
    "rma_portal.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Django refuses more fields or files than this with a bare 400; ours (above) answers first.
DATA_UPLOAD_MAX_NUMBER_FILES = 100

# Bulk imports above this many rows go to a Celery task from the admin page (W1 data at scale).
RMA_IMPORT_SYNC_MAX_ROWS = int(os.environ.get("RMA_IMPORT_SYNC_MAX_ROWS", "2000"))

# /readyz waits this long for Celery workers to say which queues they consume.
RMA_READINESS_WORKER_TIMEOUT = float(os.environ.get("RMA_READINESS_WORKER_TIMEOUT", "1.0"))
