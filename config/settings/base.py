"""Settings shared by every environment.

Every value comes from the environment (django-environ) with a default that is
safe for a local run; `.env.example` documents each variable. A `.env` file in
the project root is read when present (the real environment wins).
"""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from csp.constants import NONE, SELF

from config.settings.database import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-only-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with our site (the dashboard on its index page).
    "admin_panel.apps.PanelAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "axes",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "common",
    "sessions_app",
    "interactions",
    "documents",
    "usage",
    "admin_panel",
]

MIDDLEWARE = [
    "common.middleware.RequestIDMiddleware",
    # Records 5xx answers for the admin's health panel (sees every answer).
    "admin_panel.middleware.ServerErrorRecordMiddleware",
    "common.middleware.FailedRequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, with the policy built once (every answer carries it).
    "common.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware: answers browsers' preflight OPTIONS requests itself.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's, with the storage built only when used (the admin's pages).
    "common.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False  # compatibility routes such as /session/start have no slash

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite file by default so a fresh clone runs with nothing installed. Any
# Postgres URL works: Supabase direct (5432), session pooler (5432) or
# transaction pooler (6543); `?sslmode=require` and other libpq options in the
# URL's query string end up in OPTIONS.
DATABASES = {
    "default": database_from_url(
        # An empty DATABASE_URL= (as a copied .env may have) means the default too.
        env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        env,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Seconds a statement may run (0: no limit); see config.settings.database for how it
# reaches the server, and `manage.py set_statement_timeout` for a transaction pooler.
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=5.0)
# /readyz bounds each of its statements to this many seconds (SET LOCAL, pooler-safe).
READYZ_STATEMENT_TIMEOUT = env.float("READYZ_STATEMENT_TIMEOUT", default=2.0)

# --- Auth, i18n, static -----------------------------------------------------
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin login lockout (django-axes; records under "Axes" in the admin): after
# AXES_FAILURE_LIMIT failed logins for one username from one client IP, that pair
# is refused (429) for AXES_COOLOFF_HOURS; a successful login clears the count.
# The pair, not the username alone, so a guesser elsewhere cannot lock staff out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(hours=env.float("AXES_COOLOFF_HOURS", default=1.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "common.client_ip.axes_client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Requests ---------------------------------------------------------------
# Largest request body accepted, in bytes (default 1 MiB); larger → 413.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)

DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# Number of reverse proxies in front of the app whose X-Forwarded-For entries
# are trusted (0: use REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Django REST Framework --------------------------------------------------
REST_FRAMEWORK = {
    # No caller by default: every view lists the authentication classes of the
    # callers it accepts (common.authentication) and who may call it
    # (common.permissions); a view that forgets is closed to everyone.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "common.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.exception_handler",
    # Rate limits per caller (key, token, user, IP); rates and cache below.
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.CallerRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # The library's list plus 413 (body too large) and 503 (database down); 409 is
    # declared by the operations that answer it (common.openapi.error_response).
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "413",
        "415",
        "429",
        "500",
        "503",
    ],
    "ERROR_SCHEMAS": {
        "401": "common.openapi.ErrorResponse401Serializer",
        "403": "common.openapi.ErrorResponse403Serializer",
        "404": "common.openapi.ErrorResponse404Serializer",
        "413": "common.openapi.ErrorResponse413Serializer",
        "429": "common.openapi.ErrorResponse429Serializer",
        "503": "common.openapi.ErrorResponse503Serializer",
    },
}
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"

# /api/schema/ and /api/docs/: public (True) or staff only (False: the admin's
# login). Public by default for a local run; production turns it off.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
# --- Caches and rate limits -------------------------------------------------
# Redis when REDIS_URL is set (redis://host:6379/0, rediss:// for TLS): the cache
# and the rate-limit counters every worker shares. Without it, the counters live
# in the database cache's table (django_cache, created by the migrations) and the
# default cache is per process. A dead Redis fails fast (1 s), never hangs a request.
REDIS_URL = env("REDIS_URL", default="")
_REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": REDIS_URL,
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}
CACHES = {
    "default": _REDIS_CACHE
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {**_REDIS_CACHE, "KEY_PREFIX": "throttle"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"},
}
THROTTLE_CACHE = "throttle"
# Requests per caller in DRF's syntax (N/s, N/min, N/hour, N/day); empty: no limit.
# An API key is a whole channel (a kiosk gateway fronting hundreds of devices:
# 500 requests/s on average); a customer token, a signed-in user or an IP is one
# person or device.
THROTTLE_RATE_API_KEY = env("THROTTLE_RATE_API_KEY", default="30000/min")
THROTTLE_RATE_USER = env("THROTTLE_RATE_USER", default="600/min")
THROTTLE_RATE_CUSTOMER = env("THROTTLE_RATE_CUSTOMER", default="300/min")
THROTTLE_RATE_ANON = env("THROTTLE_RATE_ANON", default="60/min")

SPECTACULAR_SETTINGS = {
    "TITLE": "Retail & document-chat backend",
    "DESCRIPTION": (
        "Customer sessions, AI interactions, documents and OpenAI usage. "
        "Callers: channel/service clients send `X-API-Key`; customers send "
        "`X-Session-Token`; signed-in users send `Authorization: Bearer <Supabase token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "SessionToken": {"type": "apiKey", "in": "header", "name": "X-Session-Token"},
        }
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in ("ValidationErrorEnum", "ClientErrorEnum", "ServerErrorEnum")
        },
        # One name for the document status wherever a document appears.
        "DocumentStatusEnum": "documents.models.Document.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
    ],
}

# --- Content-Security-Policy (django-csp) ------------------------------------
# Everything from this origin only: the admin and Swagger UI (drf-spectacular-sidecar)
# ship their scripts and styles as files, so no inline code and no CDN is allowed.
# Swagger UI draws some icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Customer sessions ------------------------------------------------------
SESSION_TTL = env.int("SESSION_TTL", default=7 * 24 * 3600)  # seconds, sliding
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="IN")

# --- Supabase auth ------------------------------------------------------------
SUPABASE_URL = env("SUPABASE_URL", default="").rstrip("/")
SUPABASE_JWT_SECRET = env("SUPABASE_JWT_SECRET", default="")
SUPABASE_JWT_ALGORITHMS = env.list("SUPABASE_JWT_ALGORITHMS", default=["ES256", "RS256"])
SUPABASE_JWT_AUDIENCE = env("SUPABASE_JWT_AUDIENCE", default="authenticated")
SUPABASE_JWT_LEEWAY_SECONDS = env.int("SUPABASE_JWT_LEEWAY_SECONDS", default=30)
SUPABASE_JWKS_CACHE_SECONDS = env.int("SUPABASE_JWKS_CACHE_SECONDS", default=300)
SUPABASE_ALLOW_ANONYMOUS = env.bool("SUPABASE_ALLOW_ANONYMOUS", default=False)
# Expected `iss`; empty means "{SUPABASE_URL}/auth/v1" (what Supabase Auth issues).
SUPABASE_JWT_ISSUER = env("SUPABASE_JWT_ISSUER", default="")
# JWKS fetch: timeout; the least time between fetches the cache did not ask for
# (an unknown `kid`'s refetch, counted from any fetch, and a retry after a failed
# fetch: a token with a random kid must not make every request hit Supabase); how
# long the last good key set may serve while fetches fail.
SUPABASE_JWKS_TIMEOUT_SECONDS = env.float("SUPABASE_JWKS_TIMEOUT_SECONDS", default=5.0)
SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS = env.float(
    "SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS", default=5.0
)
SUPABASE_JWKS_MAX_STALE_SECONDS = env.float("SUPABASE_JWKS_MAX_STALE_SECONDS", default=3600.0)
# Header a client may send on its first request to name where the user signed up
# (e.g. "web", "ios-external"); otherwise the platform of the first user session.
USER_REGISTRATION_SOURCE_HEADER = env(
    "USER_REGISTRATION_SOURCE_HEADER", default="X-Client-Platform"
)
# user_profiles.last_seen_at is written at most once per this many seconds per user.
USER_LAST_SEEN_RESOLUTION_SECONDS = env.int("USER_LAST_SEEN_RESOLUTION_SECONDS", default=60)

# --- Browser frontends on other origins (django-cors-headers) ---------------
# e.g. "https://shop.example.com,http://localhost:5173"; empty: no cross-origin
# browser access. Credentials travel in headers, never in cookies, so
# CORS_ALLOW_CREDENTIALS stays off.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(session/|api/).*$"  # not the admin
CORS_ALLOW_HEADERS = (
    *default_headers,
    "x-api-key",
    "x-session-token",
    "x-phone",
    "x-request-id",
    USER_REGISTRATION_SOURCE_HEADER.lower(),
)
CORS_EXPOSE_HEADERS = ["X-Request-ID"]
CORS_PREFLIGHT_MAX_AGE = 86400  # seconds

# --- OpenAI -------------------------------------------------------------------
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="") or None
# The vector store documents are attached to and searched in (vs_…).
OPENAI_VECTOR_STORE_ID = env("OPENAI_VECTOR_STORE_ID", default="")
# Per-request timeout (seconds) and retries of the openai SDK (it retries
# connection errors, 408, 409, 429 and 5xx with exponential back-off).
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=60.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)

# --- Documents ----------------------------------------------------------------
# Largest document accepted for upload, in bytes (default 20 MiB); larger → 413.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# Usage event batches written to the database at once by one process (PostgreSQL);
# more wait their turn before their statement. Concurrent batches of the same
# users queue on the same rollup rows, and the more of them wait, the slower each
# runs (measured: 24,700 events/s with 2 writing at once, 10,000/s with 8).
USAGE_INGEST_CONCURRENCY = env.int("USAGE_INGEST_CONCURRENCY", default=1)
# A processing document's status is asked of OpenAI at most once per this many
# seconds (list and detail reads refresh it).
DOCUMENT_STATUS_REFRESH_SECONDS = env.int("DOCUMENT_STATUS_REFRESH_SECONDS", default=5)

# --- Usage budget alerts by email (Django's mail_admins) -------------------
# ADMINS: comma-separated addresses; empty: alerts are recorded and listed, not mailed.
ADMINS = [(address, address) for address in env.list("ADMINS", default=[])]
SERVER_EMAIL = env("SERVER_EMAIL", default="root@localhost")
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
# The admin's health probe (GET /models, cached a minute, off the request path).
OPENAI_HEALTH_TIMEOUT_SECONDS = env.float("OPENAI_HEALTH_TIMEOUT_SECONDS", default=5.0)

# --- Error monitoring (optional) --------------------------------------------
# 5xx answers are always recorded for the admin; Sentry only when SENTRY_DSN is set.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# --- Maintenance command defaults -------------------------------------------
USER_SESSION_TIMEOUT_MINUTES = env.int("USER_SESSION_TIMEOUT_MINUTES", default=60)
USER_SESSION_IDLE_MINUTES = env.int("USER_SESSION_IDLE_MINUTES", default=15)
USER_SESSION_RETENTION_DAYS = env.int("USER_SESSION_RETENTION_DAYS", default=90)

# --- Logging ----------------------------------------------------------------
LOG_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
GENERATE_REQUEST_ID_IF_NOT_IN_HEADER = True
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "log_request_id.filters.RequestIDFilter"}},
    "formatters": {
        "line": {
            "()": "common.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},  # runserver access lines: gunicorn logs those
        # The openai SDK's HTTP client logs every request's URL (with its query
        # string) at INFO; failures reach our own log lines without them.
        "httpx2": {"level": "WARNING"},
        # Failed requests are logged once, by common.middleware.FailedRequestLogMiddleware.
        "django.request": {"level": "CRITICAL"},
    },
}
