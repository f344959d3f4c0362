"""PolicyDesk settings, read from the environment.

Safe defaults run the embedded mode: SQLite in WAL mode and Huey's SQLite storage, both under
DATA_DIR. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG")
TESTING = env_bool("POLICYDESK_TESTING")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under DATA_DIR."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "simple_history",
    "axes",
    "django_htmx",
    "huey.contrib.djhuey",
    "policydesk.core",
    "policydesk.accounts",
    "policydesk.clients",
    "policydesk.insurance",
    "policydesk.tariffs",
    "policydesk.billing",
    "policydesk.blanks",
    "policydesk.documents",
    "policydesk.reports",
    "policydesk.diary",
    "policydesk.claims",
    "policydesk.service",
    "policydesk.messaging",
    "policydesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "policydesk.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "policydesk.core.middleware.ActorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "policydesk.config.urls"
WSGI_APPLICATION = "policydesk.config.wsgi.application"

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
                "policydesk.core.context_processors.navigation",
            ],
            "builtins": ["policydesk.core.templatetags.pd", "policydesk.clients.templatetags.clients_tags"],
        },
    }
]

# Database: SQLite under DATA_DIR unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "policydesk.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server and the worker read while one writes; IMMEDIATE
                # transactions take the write lock up front instead of failing half-way.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "policydesk.accounts.backends.RolePermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after SESSION_HOURS of inactivity (the cookie is renewed on each request).
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_HOURS", "8")) * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Login guessing: lock the username (from that address) after AXES_FAILURE_LIMIT failures.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_LOCKOUT_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Languages and calendars.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("fa", "فارسی"),
    ("az", "Azərbaycan"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The region used to read phone numbers typed without a country code, then the others tried.
PHONE_REGION = os.environ.get("PHONE_REGION", "RU")
PHONE_REGIONS = env_list("PHONE_REGIONS", "RU,IR,AZ,CN,KZ,UZ,BY,TR,AE,GB,US,DE")
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "RUB")
# The country whose rules check tax ids (ИНН, کد ملی, VÖEN, 统一社会信用代码).
AGENCY_COUNTRY = os.environ.get("AGENCY_COUNTRY", PHONE_REGION)
# The agency's name, printed at the top of application forms and payment receipts.
AGENCY_NAME = os.environ.get("AGENCY_NAME", "").strip() or "PolicyDesk"

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Background jobs: Huey on SQLite under DATA_DIR, or Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {"huey_class": "huey.PriorityRedisHuey", "name": "policydesk", "url": REDIS_URL, "immediate": TESTING}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "policydesk",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
        "immediate": TESTING,
    }
HUEY["consumer"] = {"workers": int(os.environ.get("WORKERS", "2")), "worker_type": "thread"}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["policydesk.core.api.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "policydesk.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "policydesk.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "10000/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PolicyDesk API",
    "DESCRIPTION": "REST API of PolicyDesk. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`: give each choice set its own name instead of a hash.
    "ENUM_NAME_OVERRIDES": {
        "ClientKindEnum": "policydesk.clients.choices.ClientKind",
        "PhoneKindEnum": "policydesk.clients.choices.PhoneKind",
        "EmailKindEnum": "policydesk.clients.choices.EmailKind",
        "AddressKindEnum": "policydesk.clients.choices.AddressKind",
        "MessengerKindEnum": "policydesk.clients.choices.MessengerKind",
        "RelationshipKindEnum": "policydesk.clients.choices.RelationshipKind",
        "GroupKindEnum": "policydesk.clients.choices.GroupKind",
        "ObjectKindEnum": "policydesk.insurance.choices.ObjectKind",
        "ConstructionTypeEnum": "policydesk.insurance.choices.ConstructionType",
        "PolicyStateEnum": "policydesk.insurance.choices.PolicyState",
        "PolicyStatusEnum": "policydesk.insurance.choices.PolicyStatus",
        "SalesChannelEnum": "policydesk.insurance.choices.SalesChannel",
        "DeliveryMethodEnum": "policydesk.insurance.choices.DeliveryMethod",
        "CancelReasonEnum": "policydesk.insurance.choices.CancelReason",
        "PaymentMethodEnum": "policydesk.billing.choices.PaymentMethod",
        "InstrumentKindEnum": "policydesk.billing.choices.InstrumentKind",
        "InstrumentStatusEnum": "policydesk.billing.choices.InstrumentStatus",
        "InstallmentStateEnum": "policydesk.billing.choices.InstallmentState",
        "FormStatusEnum": "policydesk.blanks.choices.FormStatus",
        "MovementKindEnum": "policydesk.blanks.choices.MovementKind",
        "BaseKindEnum": "policydesk.tariffs.choices.BaseKind",
        "FactorKindEnum": "policydesk.tariffs.choices.FactorKind",
        "DocumentKindEnum": "policydesk.documents.choices.DocumentKind",
        "RenewalReportKindEnum": "policydesk.reports.choices.RenewalReportKind",
        "ClaimKindEnum": "policydesk.claims.choices.ClaimKind",
        "ClaimStatusEnum": "policydesk.claims.choices.ClaimStatus",
        "RefusalReasonEnum": "policydesk.claims.choices.RefusalReason",
        "RequestKindEnum": "policydesk.service.choices.RequestKind",
        "RequestStatusEnum": "policydesk.service.choices.RequestStatus",
        "RequestChannelEnum": "policydesk.service.choices.Channel",
        # SMS or email: the service reply's channel, and a message or an automatic message sent by hand or rule.
        "SmsOrEmailEnum": "policydesk.service.choices.ReplyChannel",
        "ArticleKindEnum": "policydesk.service.choices.ArticleKind",
        "MessageChannelEnum": "policydesk.messaging.choices.Channel",
        "MessageStatusEnum": "policydesk.messaging.choices.MessageStatus",
        "MessageEventEnum": "policydesk.messaging.choices.Event",
        "MessagePurposeEnum": "policydesk.messaging.choices.Purpose",
        "SkipReasonEnum": "policydesk.messaging.choices.SkipReason",
        # The interface's languages: a client's preferred language, a user's, an article's.
        "LanguageEnum": LANGUAGES,
    },
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
SIMPLE_HISTORY_REVERT_DISABLED = True

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if not os.environ.get("EMAIL_HOST") else
    "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "outbox" / "email"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "policydesk@localhost")
# The address people open PolicyDesk at (https://crm.example.com), for links in emails and in the
# calendar feed; by default the first CSRF_TRUSTED_ORIGINS entry, else the request's own host.
SITE_URL = os.environ.get("SITE_URL", CSRF_TRUSTED_ORIGINS[0] if CSRF_TRUSTED_ORIGINS else "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
