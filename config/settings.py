"""Settings, read only from the environment (django-environ), with safe development defaults.

With DEBUG off the site refuses to start without a real SECRET_KEY and ALLOWED_HOSTS, and the
security middleware settings are those `manage.py check --deploy` asks for.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)

if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "DEBUG is off: set SECRET_KEY to a random value of at least 50 characters."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS to the host names this site serves.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "members",
    "vehicles",
    "vouchers",
    "shop",
    "redemption",
    "bookings",
    "loyalty",
    "campaigns",
    "finance",
    "reports",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its check of admin list selections runs after the CSRF and log-in checks.
    "config.admin_selection.RejectMalformedAdminSelectionMiddleware",
    "config.admin_lookups.RejectMalformedAdminLookupsMiddleware",
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
            ],
        },
    },
]

# SQLite file is the embedded default; DATABASE_URL=postgres://... selects PostgreSQL (psycopg 3).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: CONN_MAX_AGE=0 costs several times the throughput (see DESIGN.md).
    _db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
    # Server-side binding with prepared statements: a statement run more than PREPARE_THRESHOLD
    # times on a connection is parsed and planned once (psycopg keeps the last 100 per connection).
    # The hot paths' reads are planned in ~0.5 ms each, more than they take to run (docs/architecture.md).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        _db.setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": env.int("PREPARE_THRESHOLD", default=5)}
        )
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the django-q2 worker share the file.
    _db.setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
_db.setdefault("TEST", {})
if env.str("TEST_DATABASE_NAME", default=""):
    _db["TEST"]["NAME"] = env.str("TEST_DATABASE_NAME")
# A read replica for the reports (docs/reports.md): DATABASE_REPLICA_URL adds the "replica" alias and
# config/db_router.py sends the reports' reads there. Nothing is ever written or migrated through it.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests run against the primary's test database (no second copy to keep in step).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# The alias the reports read from (config/db_router.py).
REPORTS_DATABASE = "replica" if "replica" in DATABASES else "default"
# Apps whose models (summary tables) are read from REPORTS_DATABASE; everything else reads the primary.
REPORTS_REPLICA_APPS = env.list("REPORTS_REPLICA_APPS", default=["reports"])
DATABASE_ROUTERS = ["config.db_router.ReportReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "counter:login"
# ModelBackend that reads the advisor's dealer with the user (one query per request, not two).
# Sessions signed in under another backend path are signed out once when this changes.
AUTHENTICATION_BACKENDS = ["members.auth_backends.StaffModelBackend"]

# --- Language, time, money ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True
CURRENCY = "TWD"  # money is stored as integer New Taiwan dollars

# --- Static and media files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail ------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@vouchers.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production) ---------------------------------------------------------------------
# Django's database sessions; the session's read is compiled once per process (config/sessions.py).
SESSION_ENGINE = "config.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (config/csp.py) on every response: no inline script or style except by the
# per-response nonce ("'nonce'" below; templates write nonce="{{ request.csp_nonce }}"), nothing from
# other sites, no plug-ins, no framing. Voucher QR codes are inline SVG markup, card images are media
# files of this site; `data:` images are Swagger UI's and the admin's icons.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce'"],
    "style-src": ["'self'", "'nonce'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Additions for URL path prefixes (the longest matching prefix applies). Only Redoc needs any:
# - its bundle inserts two <style> elements while it loads, before it can be given the nonce (the
#   Redoc.init `nonce` option covers every later one): allowed by hash, for the pinned
#   drf-spectacular-sidecar (an upgrade that changes them fails the browser tests' CSP check);
# - its search index runs in a Web Worker it builds from a blob: URL (a worker cannot touch the page).
# Its "API docs by Redocly" logo from the Redocly CDN stays blocked (it then hides itself).
CONTENT_SECURITY_POLICY_ADDITIONS: dict[str, dict[str, list[str]]] = {
    "/api/docs/redoc/": {
        "style-src": [
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # an empty <style>
            "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
        ],
        "worker-src": ["'self'", "blob:"],
    },
}
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)

# --- django-q2 ---------------------------------------------------------------------------------
# ORM broker by default (delivery survives a crash); Q_BROKER=redis selects Redis for several
# machines. timeout < retry so a slow task is never started twice, and attempts are bounded.
Q_BROKER = env.str("Q_BROKER", default="orm")
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="vouchers"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=300),
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=5),
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": gettext_lazy("Background jobs"),  # the back-office menu heading
    "sync": env.bool("Q_SYNC", default=False),
}
if Q_BROKER == "redis":
    Q_CLUSTER["redis"] = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = env.float("Q_POLL", default=0.5)

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service-voucher partner API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages load Swagger UI and Redoc from our own static files (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Partner API (redemption/api): its description, and one name per shared choice set.
    "DESCRIPTION": "Issue, activate, look up, redeem and reverse service vouchers. See docs/api.md.",
    # Always in English, whatever the request's language: titles become names in generated clients.
    "DEFAULT_GENERATOR_CLASS": "redemption.api.schema.EnglishSchemaGenerator",
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "redemption.partner_models.WebhookEvent",
        "VoucherStatusEnum": "vouchers.models.Voucher.Status",
        "RedemptionStatusEnum": "redemption.models.Redemption.Status",
        "DeliveryStatusEnum": "redemption.partner_models.WebhookDelivery.Status",
        "VisitKindEnum": "vehicles.models.Visit.Kind",
        "AlertKindEnum": "vehicles.models.VehicleAlert.Kind",
        "AlertSeverityEnum": "vehicles.models.VehicleAlert.Severity",
        "AlertStatusEnum": "vehicles.models.VehicleAlert.Status",
        "AlertClosedByEnum": "vehicles.models.VehicleAlert.ClosedBy",
    },
}

# --- Domain settings ---------------------------------------------------------------------------
# Taiwan's rules for vouchers sold to consumers (禮券) forbid an expiry date on a paid voucher.
VOUCHERS_TAIWAN_PAID_NO_EXPIRY = env.bool("VOUCHERS_TAIWAN_PAID_NO_EXPIRY", default=True)
VOUCHERS_NEW_BADGE_DAYS = env.int("VOUCHERS_NEW_BADGE_DAYS", default=7)
REDEMPTION_REVERSAL_WINDOW = timedelta(hours=env.int("REDEMPTION_REVERSAL_WINDOW_HOURS", default=24))
REDEMPTION_HOLD_TIMEOUT = timedelta(minutes=env.int("REDEMPTION_HOLD_TIMEOUT_MINUTES", default=240))
REDEMPTION_STALE_HOLD_AFTER = timedelta(minutes=env.int("REDEMPTION_STALE_HOLD_MINUTES", default=60))
COUNTER_IDLE_TIMEOUT_SECONDS = env.int("COUNTER_IDLE_TIMEOUT_SECONDS", default=30 * 60)
# Counter terminal: signed one-time form tokens expire (a page left open must be reloaded), and
# voucher-code look-ups are rate-limited per advisor and per client address, log-ins per address.
COUNTER_FORM_TOKEN_MAX_AGE_SECONDS = env.int("COUNTER_FORM_TOKEN_MAX_AGE_SECONDS", default=2 * 3600)
COUNTER_CODE_LOOKUPS_PER_ADVISOR = env.int("COUNTER_CODE_LOOKUPS_PER_ADVISOR", default=30)
COUNTER_CODE_LOOKUPS_PER_ADDRESS = env.int("COUNTER_CODE_LOOKUPS_PER_ADDRESS", default=60)
COUNTER_CODE_LOOKUP_WINDOW_SECONDS = env.int("COUNTER_CODE_LOOKUP_WINDOW_SECONDS", default=60)
COUNTER_LOGINS_PER_ADDRESS = env.int("COUNTER_LOGINS_PER_ADDRESS", default=50)
COUNTER_LOGIN_WINDOW_SECONDS = env.int("COUNTER_LOGIN_WINDOW_SECONDS", default=15 * 60)
ADMIN_LOGINS_PER_ADDRESS = env.int("ADMIN_LOGINS_PER_ADDRESS", default=50)
ADMIN_LOGIN_WINDOW_SECONDS = env.int("ADMIN_LOGIN_WINDOW_SECONDS", default=15 * 60)
# Wrong passwords for one account from one address (members.login_throttle): after this many that
# pair waits LOGIN_DELAY_BASE_SECONDS, doubled by each further failure up to the maximum. Counted in
# a fixed window; a successful sign-in clears the count. Nobody is ever locked out everywhere.
LOGIN_FAILURES_BEFORE_DELAY = env.int("LOGIN_FAILURES_BEFORE_DELAY", default=5)
LOGIN_DELAY_BASE_SECONDS = env.int("LOGIN_DELAY_BASE_SECONDS", default=60)
LOGIN_DELAY_MAX_SECONDS = env.int("LOGIN_DELAY_MAX_SECONDS", default=15 * 60)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=24 * 60 * 60)
# How many reverse proxies (load balancers) in front of gunicorn append to X-Forwarded-For; the
# client address for rate limits is read that many hops from the right. 0: use REMOTE_ADDR.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
# Owner portal sign-in: a 6-digit one-time code by SMS, short-lived, few attempts, rate-limited.
PORTAL_LOGIN_CODE_TTL_SECONDS = env.int("PORTAL_LOGIN_CODE_TTL_SECONDS", default=5 * 60)
PORTAL_LOGIN_CODE_MAX_ATTEMPTS = env.int("PORTAL_LOGIN_CODE_MAX_ATTEMPTS", default=5)
# Countries whose mobile numbers may receive sign-in codes (ISO codes; empty: any). SMS to anywhere
# invites SMS-pumping (toll) fraud through the public sign-in form.
PORTAL_SIGN_IN_REGIONS = [r.upper() for r in env.list("PORTAL_SIGN_IN_REGIONS", default=["TW"])]
PORTAL_CODE_RESEND_SECONDS = env.int("PORTAL_CODE_RESEND_SECONDS", default=60)
PORTAL_CODE_REQUESTS_PER_PHONE_PER_HOUR = env.int("PORTAL_CODE_REQUESTS_PER_PHONE_PER_HOUR", default=5)
PORTAL_CODE_REQUESTS_PER_IP_PER_HOUR = env.int("PORTAL_CODE_REQUESTS_PER_IP_PER_HOUR", default=20)
PORTAL_VERIFY_ATTEMPTS_PER_IP_PER_HOUR = env.int("PORTAL_VERIFY_ATTEMPTS_PER_IP_PER_HOUR", default=50)
PORTAL_BIND_ATTEMPTS_PER_MEMBER_PER_HOUR = env.int("PORTAL_BIND_ATTEMPTS_PER_MEMBER_PER_HOUR", default=10)
# An owner's session ends after this much inactivity, and in any case after the maximum age.
PORTAL_SESSION_IDLE_SECONDS = env.int("PORTAL_SESSION_IDLE_SECONDS", default=2 * 3600)
PORTAL_SESSION_MAX_AGE_SECONDS = env.int("PORTAL_SESSION_MAX_AGE_SECONDS", default=14 * 86400)
# Bulk issuance: rows per transaction, seconds one django-q2 task works before it hands over to a
# fresh one (below Q_TIMEOUT so a long batch is never killed mid-way), and the largest whitelist.
VOUCHERS_BULK_CHUNK_ROWS = env.int("VOUCHERS_BULK_CHUNK_ROWS", default=1000)
VOUCHERS_BULK_TASK_SECONDS = env.int("VOUCHERS_BULK_TASK_SECONDS", default=120)
# Workers a confirmed batch is queued to: each issues the chunks the others do not hold.
VOUCHERS_BULK_WORKERS = env.int("VOUCHERS_BULK_WORKERS", default=2)
VOUCHERS_BULK_MAX_ROWS = env.int("VOUCHERS_BULK_MAX_ROWS", default=200_000)
# Partner API (docs/api.md): per-key requests per minute unless the key has its own limit; how long
# stored idempotent responses are kept (at least 24 h); after how long a request that never finished
# stops blocking retries with its Idempotency-Key.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
# Where the partner API's per-key limit counts (members.ratelimit.ratelimit_take): Redis when set
# (e.g. redis://127.0.0.1:6379/1; exact across web nodes, no database work per request), else a few
# rows per key and minute in the database. Keys are prefixed so several sites may share a Redis.
RATELIMIT_REDIS_URL = env.str("RATELIMIT_REDIS_URL", default="")
RATELIMIT_REDIS_PREFIX = env.str("RATELIMIT_REDIS_PREFIX", default="vouchers:ratelimit:")
API_IDEMPOTENCY_RETENTION_HOURS = max(24, env.int("API_IDEMPOTENCY_RETENTION_HOURS", default=48))
API_IDEMPOTENCY_LOCK_SECONDS = env.int("API_IDEMPOTENCY_LOCK_SECONDS", default=120)
# How long a web process may reuse a partner key (with its scopes and dealers) read from the cache
# instead of the database. Every change of a key deletes its entry; with a cache the processes do
# not share (the default local memory), another process sees a revocation within this time.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=10)
# Outbound webhooks: request timeout, attempts before giving up (back-off in redemption/webhooks).
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# Only https to public addresses unless this is on (development, tests on loopback): no SSRF.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=DEBUG)

# Reports (docs/reports.md): a first service counts if it falls within this many days of delivery; a
# win-back target is recovered by a service within this many days of the win-back issuance; the
# nightly refresh recomputes this many months back (late DMS imports, conversions still open).
REPORTS_FIRST_SERVICE_DAYS = env.int("REPORTS_FIRST_SERVICE_DAYS", default=180)
REPORTS_WINBACK_RECOVERY_DAYS = env.int("REPORTS_WINBACK_RECOVERY_DAYS", default=90)
REPORTS_REFRESH_MONTHS = env.int("REPORTS_REFRESH_MONTHS", default=7)

# Notifications and nightly jobs (campaigns app; docs/jobs.md). Channel backends: "console" prints to
# the worker's log (development default), "http" calls the provider; e-mail uses EMAIL_BACKEND.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
NOTIFY_SMS_BACKEND = env.str("NOTIFY_SMS_BACKEND", default="console" if DEBUG else "http")
NOTIFY_SMS_URL = env.str("NOTIFY_SMS_URL", default="")
NOTIFY_SMS_TOKEN = env.str("NOTIFY_SMS_TOKEN", default="")
NOTIFY_SMS_SENDER = env.str("NOTIFY_SMS_SENDER", default="")
NOTIFY_LINE_BACKEND = env.str("NOTIFY_LINE_BACKEND", default="console" if DEBUG else "http")
NOTIFY_LINE_URL = env.str("NOTIFY_LINE_URL", default="https://api.line.me/v2/bot/message/push")
NOTIFY_LINE_TOKEN = env.str("NOTIFY_LINE_TOKEN", default="")
NOTIFY_HTTP_TIMEOUT_SECONDS = env.float("NOTIFY_HTTP_TIMEOUT_SECONDS", default=10.0)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=60)
NOTIFY_SEND_LEASE_SECONDS = env.int("NOTIFY_SEND_LEASE_SECONDS", default=120)
NOTIFY_DISPATCH_BATCH = env.int("NOTIFY_DISPATCH_BATCH", default=2000)
NOTIFY_QUIET_HOURS = env.str("NOTIFY_QUIET_HOURS", default="21:00-09:00")  # Asia/Taipei; "" turns them off
NOTIFY_PROMOTIONAL_WEEKLY_CAP = env.int("NOTIFY_PROMOTIONAL_WEEKLY_CAP", default=2)
REMINDER_UNUSED_AFTER_DAYS = env.int("REMINDER_UNUSED_AFTER_DAYS", default=180)
REMINDER_UNUSED_EVERY_DAYS = env.int("REMINDER_UNUSED_EVERY_DAYS", default=90)
REMINDER_SERVICE_OFFSETS = env.list("REMINDER_SERVICE_OFFSETS", cast=int, default=[-30, -7, 14])
REMINDER_SERVICE_WINDOW_DAYS = env.int("REMINDER_SERVICE_WINDOW_DAYS", default=7)
REMINDER_DEFAULT_KM_PER_DAY = env.float("REMINDER_DEFAULT_KM_PER_DAY", default=40.0)
CAMPAIGNS_WINBACK_AFTER_DAYS = env.int("CAMPAIGNS_WINBACK_AFTER_DAYS", default=182)
CAMPAIGNS_CATCH_UP_DAYS = env.int("CAMPAIGNS_CATCH_UP_DAYS", default=7)
# Personal data (Taiwan PDPA; docs/operations.md): the nightly prune_personal_data job clears the
# text of outbox messages older than this many days (the row, its purpose and result are kept).
NOTIFY_TEXT_RETENTION_DAYS = max(1, env.int("NOTIFY_TEXT_RETENTION_DAYS", default=90))
JOBS_BATCH_SIZE = env.int("JOBS_BATCH_SIZE", default=2000)
# A job slice stops after this long and enqueues its continuation, so a task never outlives
# Q_CLUSTER["timeout"] (and is never started twice because it outlived "retry").
JOBS_SLICE_SECONDS = env.int("JOBS_SLICE_SECONDS", default=240)

# --- Shop: ECPay payment and e-invoice -----------------------------------------------------------
# ECPAY_MODE: "fake" (a local stand-in for ECPay's pages inside this project; refused with DEBUG off),
# "stage" (ECPay's test environment) or "production". The defaults are ECPay's public test merchant.
ECPAY_MODE = env.str("ECPAY_MODE", default="fake" if DEBUG else "production")
ECPAY_MERCHANT_ID = env.str("ECPAY_MERCHANT_ID", default="3002607" if DEBUG else "")
ECPAY_HASH_KEY = env.str("ECPAY_HASH_KEY", default="pwFHCqoQZGmho4w6" if DEBUG else "")
ECPAY_HASH_IV = env.str("ECPAY_HASH_IV", default="EkRm7iFT261dpevs" if DEBUG else "")
ECPAY_HTTP_TIMEOUT_SECONDS = env.float("ECPAY_HTTP_TIMEOUT_SECONDS", default=15.0)
# B2C e-invoice through ECPay's e-invoice API (a separate merchant and keys from payments); the
# defaults are ECPay's public e-invoice test merchant. "fake" is a local stand-in (shop/invoicing/fake.py).
ECPAY_INVOICE_MODE = env.str("ECPAY_INVOICE_MODE", default="fake" if DEBUG else "production")
ECPAY_INVOICE_MERCHANT_ID = env.str("ECPAY_INVOICE_MERCHANT_ID", default="2000132" if DEBUG else "")
ECPAY_INVOICE_HASH_KEY = env.str("ECPAY_INVOICE_HASH_KEY", default="ejCk326UnaZWKisg" if DEBUG else "")
ECPAY_INVOICE_HASH_IV = env.str("ECPAY_INVOICE_HASH_IV", default="q9jcZX8Ib9LM8wYk" if DEBUG else "")
# An invoice that fails is retried by the job (every 10 minutes) until this many attempts, then waits
# for Finance (the order's timeline and the admin show each failure).
SHOP_INVOICE_MAX_ATTEMPTS = env.int("SHOP_INVOICE_MAX_ATTEMPTS", default=5)
# Where ECPay (or the fake) posts its notifications; empty means "this request's own site".
SHOP_PUBLIC_BASE_URL = env.str("SHOP_PUBLIC_BASE_URL", default="")
SHOP_RESERVATION_MINUTES = env.int("SHOP_RESERVATION_MINUTES", default=30)  # stock held by a pending order
SHOP_QUERY_PENDING_AFTER_MINUTES = env.int("SHOP_QUERY_PENDING_AFTER_MINUTES", default=15)
SHOP_MAX_QUANTITY = env.int("SHOP_MAX_QUANTITY", default=10)
# The fake gateway's late duplicate of a notification, like ECPay's retries (seconds after payment).
ECPAY_FAKE_LATE_NOTIFICATION_SECONDS = env.int("ECPAY_FAKE_LATE_NOTIFICATION_SECONDS", default=20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Portal: LINE Login (OpenID Connect; docs/portal.md, "Sign in with LINE") -------------------------
# LINE_LOGIN_MODE: "line" (LINE's servers, with the channel's id and secret), "fake" (a local stand-in
# for LINE inside this project, so `make run` works offline; refused with DEBUG off) or "off" (no LINE
# button). By default: "line" when a channel id is set, else "fake" in development and "off" in production.
LINE_LOGIN_CHANNEL_ID = env.str("LINE_LOGIN_CHANNEL_ID", default="")
LINE_LOGIN_CHANNEL_SECRET = env.str("LINE_LOGIN_CHANNEL_SECRET", default="")
LINE_LOGIN_MODE = env.str(
    "LINE_LOGIN_MODE", default="line" if LINE_LOGIN_CHANNEL_ID else ("fake" if DEBUG else "off")
)
if LINE_LOGIN_MODE == "fake":
    # The stand-in's own channel: it signs ID tokens with this secret as LINE signs with the real one.
    LINE_LOGIN_CHANNEL_ID = LINE_LOGIN_CHANNEL_ID or "1234567890"
    LINE_LOGIN_CHANNEL_SECRET = LINE_LOGIN_CHANNEL_SECRET or "fake-line-channel-secret-for-development"
LINE_LOGIN_AUTHORIZE_URL = env.str(
    "LINE_LOGIN_AUTHORIZE_URL", default="https://access.line.me/oauth2/v2.1/authorize"
)
LINE_LOGIN_TOKEN_URL = env.str("LINE_LOGIN_TOKEN_URL", default="https://api.line.me/oauth2/v2.1/token")
LINE_LOGIN_ISSUER = env.str("LINE_LOGIN_ISSUER", default="https://access.line.me")
# The callback URL registered in the LINE Developers console; empty: this request's own site.
LINE_LOGIN_REDIRECT_URI = env.str("LINE_LOGIN_REDIRECT_URI", default="")
LINE_LOGIN_HTTP_TIMEOUT_SECONDS = env.float("LINE_LOGIN_HTTP_TIMEOUT_SECONDS", default=10.0)
# A sign-in started at LINE must come back within this time; clock skew allowed on the ID token.
LINE_LOGIN_FLOW_SECONDS = env.int("LINE_LOGIN_FLOW_SECONDS", default=10 * 60)
LINE_LOGIN_LEEWAY_SECONDS = env.int("LINE_LOGIN_LEEWAY_SECONDS", default=60)
# LINE sign-ins started, and returns from LINE, per client address per hour.
LINE_LOGIN_ATTEMPTS_PER_IP_PER_HOUR = env.int("LINE_LOGIN_ATTEMPTS_PER_IP_PER_HOUR", default=30)
if LINE_LOGIN_MODE == "line":
    # The LINE buttons post to our own /portal/sign-in/line/, which redirects to LINE's authorize page;
    # browsers apply form-action to that redirect too (Chromium does), so LINE's origin is allowed there.
    _line = urlsplit(LINE_LOGIN_AUTHORIZE_URL)
    for _prefix in ("/portal/sign-in/", "/portal/preferences/"):
        CONTENT_SECURITY_POLICY_ADDITIONS.setdefault(_prefix, {}).setdefault("form-action", []).append(
            f"{_line.scheme}://{_line.netloc}"
        )
