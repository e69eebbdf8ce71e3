"""Settings, read from the environment so that one code base runs the demo, CI and production.

Variables: DATABASE_URL (default: SQLite file under DIGIPAY_DATA_DIR), SECRET_KEY, DEBUG,
ALLOWED_HOSTS, SECURE_COOKIES, DIGIPAY_PERSON_KEY, DIGIPAY_DATA_DIR, DIGIPAY_MEDIA_ROOT,
DIGIPAY_BANKS_CONFIG, DIGIPAY_INQUIRY_BANK, DIGIPAY_BASE_URL, DIGIPAY_DOCUMENT_KEY, EMAIL_*,
LOG_LEVEL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DIGIPAY_DATA_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "digipay-development-only-secret-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET
if not DEBUG and SECRET_KEY == _DEV_SECRET and not env_bool("DIGIPAY_ALLOW_DEV_SECRET", False):
    # A production process must never sign sessions with a key that is published in the repo.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY harus diisi di lingkungan produksi (DEBUG=0).")

# Keyed hash for person identifiers (NIK): lets us enforce "one person, one role" without
# storing the NIK itself. Rotating it requires re-keying; keep it apart from SECRET_KEY.
PERSON_KEY = os.environ.get("DIGIPAY_PERSON_KEY") or ("person:" + SECRET_KEY)
# Keyed hash printed on documents (Surat Pesanan, BAST): a printed copy is checked against it
# for years, so it must survive a SECRET_KEY rotation; set it once per installation.
DOCUMENT_KEY = os.environ.get("DIGIPAY_DOCUMENT_KEY") or ("document:" + SECRET_KEY)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "template_partials",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "digipay.core",
    "digipay.worker",
    "digipay.audit",
    "digipay.accounts",
    "digipay.notifications",
    "digipay.idempotency",
    "digipay.ledger",
    "digipay.policy",
    "digipay.treasury",
    "digipay.integrations",
    "digipay.vendors",
    "digipay.catalog",
    "digipay.tax",
    "digipay.orders",
    "digipay.invoicing",
    "digipay.payments",
    "digipay.cardbills",
    "digipay.replenishment",
    "digipay.books",
    "digipay.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "digipay.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "digipay.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "digipay.core.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After CSP and clickjacking, so that its own redirects still carry their headers.
    "digipay.accounts.middleware.SessionPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "digipay.config.urls"
WSGI_APPLICATION = "digipay.config.wsgi.application"
ASGI_APPLICATION = "digipay.config.asgi.application"

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
                "digipay.accounts.context_processors.navigation",
                "digipay.notifications.context_processors.unread",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'digipay.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DB_JIT", False
):
    # Short OLTP queries: JIT compilation costs ~15 ms on plans that run in a few ms once
    # indexed (docs/benchmarks.md, catalog search). DB_JIT=1 turns it back on.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not os.environ.get("DATABASE_URL"):
        # The embedded default: make its folder so a fresh clone runs without a setup step.
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL + a busy timeout let several processes (web, management commands) share one file.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# Background tasks (django-tasks, docs/adr/0012): the database backend keeps the queue in
# PostgreSQL/SQLite; `digipay worker` runs it together with the periodic jobs.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

AUTHENTICATION_BACKENDS = [
    # Axes must come first: it refuses locked-out accounts before a password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "digipay.accounts.validators.CharacterClassValidator"},
]

# Login throttling and lock-out (django-axes): 5 failures lock the account for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "digipay.accounts.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "digipay.accounts.views.locked_out"
# Lock-out is per account, not per IP: a whole office shares one NAT address, and five typos
# there must not lock out every colleague. Silence the check that asks for the IP.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_VERBOSE = False  # axes would otherwise log e-mail addresses (personal data)
AXES_ENABLE_ADMIN = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "token"]

# Sessions: 30 minutes of inactivity, 12 hours at most, cookies not readable by scripts.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "digipay.accounts.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Two-factor (TOTP, django-otp): required for these roles (see accounts.rules).
OTP_TOTP_ISSUER = "Digipay"
OTP_TOTP_THROTTLE_FACTOR = 1
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "30"))
# Idempotency-Key records (docs/adr/0018): kept at least 24 h; a claim still running after
# the lease counts as crashed and may be taken over by a retry.
IDEMPOTENCY_KEY_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))
IDEMPOTENCY_LEASE_MINUTES = int(os.environ.get("IDEMPOTENCY_LEASE_MINUTES", "5"))

# Bank profiles for the SNAP gateway and the notification inbox (JSON; see docs/banksim.md).
DIGIPAY_BANKS_CONFIG = os.environ.get("DIGIPAY_BANKS_CONFIG", "")
# The bank whose gateway checks account names at banks Digipay has no profile for.
DIGIPAY_INQUIRY_BANK = os.environ.get("DIGIPAY_INQUIRY_BANK", "002")
# The MPN (tax billing codes and NTPN; docs/mpnsim.md). With DEBUG the demo client of the MPN
# simulator that `make run` starts (its secret is public, like the demo bank keys).
DIGIPAY_MPN_URL = os.environ.get("DIGIPAY_MPN_URL", "http://127.0.0.1:8200").rstrip("/")
DIGIPAY_MPN_CLIENT_ID = os.environ.get("DIGIPAY_MPN_CLIENT_ID", "digipay" if DEBUG else "")
DIGIPAY_MPN_SECRET = os.environ.get(
    "DIGIPAY_MPN_SECRET", "demo-only-mpn-7Qx2vK9pLmR4tZ8wYc3N" if DEBUG else ""
)
# SPAN (the treasury: SPM-GUP/TUP/PTUP → SP2D; docs/spansim.md). With DEBUG the demo client of
# the SPAN simulator that `make run` starts (its secret is public).
DIGIPAY_SPAN_URL = os.environ.get("DIGIPAY_SPAN_URL", "http://127.0.0.1:8300").rstrip("/")
DIGIPAY_SPAN_CLIENT_ID = os.environ.get("DIGIPAY_SPAN_CLIENT_ID", "digipay" if DEBUG else "")
DIGIPAY_SPAN_SECRET = os.environ.get(
    "DIGIPAY_SPAN_SECRET", "demo-only-span-Hq4mW8tZr2Lx6VbN9cKp" if DEBUG else ""
)
# Where links in e-mails point (invitations, reminders).
DIGIPAY_BASE_URL = os.environ.get("DIGIPAY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Uploaded files (vendor documents, product images). Never served from MEDIA_URL: views check
# permissions and stream them (vendors/views.py, catalog/views.py).
MEDIA_ROOT = Path(os.environ.get("DIGIPAY_MEDIA_ROOT", DATA_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
# The file backend (``make run``) writes each message under here instead of the terminal.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Digipay <noreply@digipay.go.id>")

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

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["digipay.config.formats"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "digipay.core.logging.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "axes": {"level": "ERROR"},
        "httpx": {"level": "WARNING"},  # request lines are noise; the exchanges are recorded
        "django.request": {"level": "ERROR"},
    },
}
