"""Settings for the BRM application.

One module, driven by environment variables (see `.env.example`). With nothing set it runs
anywhere: an SQLite file under `var/` and a Celery broker on the local filesystem. Production,
`make test` and CI set `DATABASE_URL` (PostgreSQL) and `REDIS_URL`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_noop

# Lets annotations such as `admin.ModelAdmin[Unit]` or `serializers.ModelSerializer[Unit]` be
# subscripted at run time too (the type checker's generics; no behaviour change).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BRM_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by `NAME_FILE` (Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """A boolean from the environment; anything but the usual spellings is an error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    """An integer from the environment; a non-number is an error, not a silent default."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-dev-only-change-me"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
# Production must never sign sessions with a key that is published in the repository. Offline
# commands (makemigrations, shell) still work; the web server, the Celery worker and
# `manage.py check` refuse to start (see brm/checks.py, brm/wsgi.py, brm/celery.py).
SECRET_KEY_IS_PUBLISHED = SECRET_KEY == _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # GIN search indexes (brm.core.search); harmless on SQLite
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    # Sign-in (README "Single sign-on"): accounts, MFA and OpenID Connect from django-allauth,
    # lockout after repeated failures from django-axes.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
    "brm",
    "brm.core",
    "brm.core.attachments",
    "stakeholders",
    "reviews",
    "complaints",
    "portfolio",
    "satisfaction",
    "brm.health",
    "brm.webhooks",
    "brm.imports",
    "brm.privacy",
    "brm.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language, or the set_language cookie) for everyone; after
    # sessions, before common. UserTimeZoneMiddleware then applies a signed-in person's choice.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A user whose role requires MFA is sent to set it up before anything else.
    "brm.accounts.middleware.RequireMfaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "brm.core.middleware.VaryOnHtmxMiddleware",
    "brm.core.middleware.UserTimeZoneMiddleware",
    # A form save that lost the race to another save: a 412 page, not a 500 (lost updates).
    "brm.core.middleware.StaleVersionMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "brm.urls"
# Axes first (refuses a locked-out account or address before any password is checked), then
# allauth's backend (username or email) loading each user with their preference in one query;
# the plain model backend stays so sessions signed in before allauth remain valid.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "brm.accounts.backends.SignInBackend",
    "brm.core.authentication.PreferenceModelBackend",
]
WSGI_APPLICATION = "brm.wsgi.application"

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
                "django.template.context_processors.csp",
                "brm.core.context_processors.roles",
            ],
        },
    },
]

# Widgets drawn in Python, byte for byte what Django's templates draw (issue 14: a select's
# per-option template includes were most of the unit page's time).
FORM_RENDERER = "brm.core.renderers.FastWidgetRenderer"

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'brm.sqlite3'}",
        # Re-using connections keeps a plain view near 1,000 req/s instead of 140 on 2 cores.
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}


def prepared_statement_options(engine: str) -> dict[str, object]:
    """The database `OPTIONS` that let psycopg prepare statements (issue 14), for `engine`.

    PostgreSQL parses and plans every query it is sent; planning the pages' queries was about
    half of the database CPU of a request (the complaint queue's page, the unit timeline: 2-4 ms
    each). psycopg prepares a query on its connection once it has run the same SQL more than
    `DATABASE_PREPARE_THRESHOLD` times (psycopg's default, 5), and PostgreSQL then plans it once
    for every later run (`plan_cache_mode = auto`: a generic plan only where its estimated cost
    is no worse than the values' own plans). That needs server-side parameters
    (`server_side_binding`), which Django supports and leaves off by default, as it leaves
    prepared statements off (`prepare_threshold` None), for connection poolers.

    Returns {"server_side_binding": True, "prepare_threshold": n} on PostgreSQL, {} on another
    engine or with `DATABASE_PREPARED_STATEMENTS=0`: set that behind PgBouncer in transaction
    pooling before 1.22, or with `max_prepared_statements` unset. Raises ImproperlyConfigured
    for a value that is not a boolean, or a threshold that is not a whole number of 0 or more.
    """
    if engine != "django.db.backends.postgresql":
        return {}
    if not env_bool("DATABASE_PREPARED_STATEMENTS", True):
        return {}
    threshold = env_int("DATABASE_PREPARE_THRESHOLD", 5)
    if threshold < 0:
        raise ImproperlyConfigured("DATABASE_PREPARE_THRESHOLD must be 0 or more.")
    return {"server_side_binding": True, "prepare_threshold": threshold}


DATABASES["default"].setdefault("OPTIONS", {}).update(
    prepared_statement_options(DATABASES["default"]["ENGINE"])
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# --- Sign-in: django-allauth, MFA, single sign-on, lockout (brm/accounts) ---------------------
# Sign in with a username or an email address. Nobody signs up: administrators create accounts,
# or single sign-on does when BRM_SSO_CREATE_USERS allows it.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "brm.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "brm.accounts.adapters.SocialAccountAdapter"
# Addresses an administrator typed in are not "verified" in allauth's sense; nothing is sent to
# confirm them, and single sign-on trusts only the provider's email_verified claim.
ACCOUNT_EMAIL_VERIFICATION = "none"
# New addresses must be unique (allauth requires it to sign in by email); accounts made before
# may share one, and then single sign-on matches neither (brm/accounts/adapters.py).
ACCOUNT_UNIQUE_EMAIL = True
# A reset request answers the same whether or not the address is known, and mails only known
# ones; its link works once (the token hashes the password) for PASSWORD_RESET_TIMEOUT seconds.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[BRM] "
# allauth's own limits (per address and per account) in front of django-axes' lockout.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "30/m/ip,10/5m/key",
    "reset_password": "20/m/ip,3/5m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
# Local passwords off: sign-in only through single sign-on (the admin's own login included).
SOCIALACCOUNT_ONLY = env_bool("BRM_LOCAL_PASSWORDS_DISABLED", False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "BRM")
# Roles (brm.core.roles.Role values) that must set up MFA before they can use any page.
BRM_MFA_REQUIRED_ROLES = env_list("BRM_MFA_REQUIRED_ROLES", "admin")
# OpenID Connect single sign-on, on when SSO_ISSUER is set (README "Single sign-on"). The
# provider redirects back to SITE_URL/accounts/oidc/sso/login/callback/.
SSO_ISSUER = os.environ.get("SSO_ISSUER", "").rstrip("/")
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": "sso",
                    "name": os.environ.get("SSO_NAME", "company sign-in"),
                    "client_id": os.environ.get("SSO_CLIENT_ID", ""),
                    "secret": env_str("SSO_CLIENT_SECRET", ""),
                    "settings": {
                        "server_url": SSO_ISSUER,
                        "oauth_pkce_enabled": True,
                        "scope": env_list("SSO_SCOPES", "openid,profile,email"),
                    },
                }
            ]
            if SSO_ISSUER
            else []
        ),
    }
}
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True  # a verified address signs in to its account
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
# Whether single sign-on creates an account for a verified address no account has.
BRM_SSO_CREATE_USERS = env_bool("BRM_SSO_CREATE_USERS", False)
# django-axes: AXES_FAILURE_LIMIT failed sign-ins for one account, or from one address, lock it
# for AXES_COOLOFF_MINUTES; the login form, the admin's and bearer tokens all count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# axes logs its version at every start and each sign-in at INFO; locks and releases are in the
# audit log (brm.accounts), so the console keeps only what needs a person (issue 15).
AXES_VERBOSE = False
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "brm.accounts.throttle.username_of"
AXES_LOCKOUT_CALLABLE = "brm.accounts.throttle.lockout_response"
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    if env_bool("BEHIND_TLS_PROXY", False)
    else ["REMOTE_ADDR"]
)

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# What a person may choose on their profile (core.UserPreference.language).
LANGUAGES = [("en-gb", "English"), ("es", "Español")]
# The Spanish catalogue (locale/es/LC_MESSAGES/django.po, its .mo committed beside it; the
# business words in locale/GLOSSARY.md). Dates and numbers follow the active language's formats.
LOCALE_PATHS = [BASE_DIR / "locale"]
# The one currency (ISO 4217 code) every amount is in and shown with: pages, emails, PDFs (the
# money filter, brm.core.templatetags) and the demand portfolio alike; CSV keeps raw numbers.
BRM_CURRENCY = os.environ.get("BRM_CURRENCY", "EUR").strip().upper()
if not (len(BRM_CURRENCY) == 3 and BRM_CURRENCY.isascii() and BRM_CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"BRM_CURRENCY={BRM_CURRENCY!r} is not an ISO 4217 code (EUR).")
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Complaint targets count working time (complaints.ComplaintSettings: days and hours, editable in
# the admin) minus public holidays: this country's (ISO 3166 code and subdivision, from the
# `holidays` package; empty for none) plus the admin's own PublicHoliday days.
WORKING_CALENDAR_COUNTRY = os.environ.get("WORKING_CALENDAR_COUNTRY", "GB")
WORKING_CALENDAR_SUBDIVISION = os.environ.get("WORKING_CALENDAR_SUBDIVISION", "ENG")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
# WhiteNoise warns on every start when the folder is missing; collectstatic fills it later.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# The hashed manifest needs `collectstatic`; development and tests serve from the finders.
_STATIC_BACKEND = {
    "manifest": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    "plain": "django.contrib.staticfiles.storage.StaticFilesStorage",
}
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": _STATIC_BACKEND[
            os.environ.get("STATIC_STORAGE", "plain" if DEBUG else "manifest")
        ]
    },
}
WHITENOISE_USE_FINDERS = DEBUG or os.environ.get("STATIC_STORAGE") == "plain"

# --- Attachments (brm/core/attachments, README "Attachments") --------------------------------
# Files on complaints, meetings, reviews and demands: never served from a public URL, only
# through the scoped download views. Stored under var/attachments, or in an S3-compatible bucket
# (django-storages) with BRM_ATTACHMENT_STORAGE=s3 and the BRM_ATTACHMENT_S3_* settings.
BRM_ATTACHMENT_MAX_BYTES = env_int("BRM_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# Names from brm.core.attachments.content.KNOWN_TYPES; the type is sniffed from the content.
BRM_ATTACHMENT_TYPES = env_list("BRM_ATTACHMENT_TYPES", "pdf,png,jpeg,docx,xlsx,pptx,txt,csv")
_attachment_storage = os.environ.get("BRM_ATTACHMENT_STORAGE", "filesystem")
if _attachment_storage == "s3":
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("BRM_ATTACHMENT_S3_BUCKET"),
            "endpoint_url": os.environ.get("BRM_ATTACHMENT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("BRM_ATTACHMENT_S3_REGION") or None,
            "access_key": env_str("BRM_ATTACHMENT_S3_ACCESS_KEY") or None,
            "secret_key": env_str("BRM_ATTACHMENT_S3_SECRET_KEY") or None,
            "location": os.environ.get("BRM_ATTACHMENT_S3_PREFIX", "attachments"),
            "default_acl": "private",
            "file_overwrite": False,
            # MinIO and most on-premises S3 servers want path-style addressing ("path").
            "addressing_style": os.environ.get("BRM_ATTACHMENT_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
        },
    }
elif _attachment_storage == "filesystem":
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("BRM_ATTACHMENT_DIR") or str(VAR_DIR / "attachments"),
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
else:
    raise ImproperlyConfigured(
        f"BRM_ATTACHMENT_STORAGE={_attachment_storage!r}: use filesystem or s3."
    )

# --- Security -------------------------------------------------------------------------------
# Django's database sessions, the per-request read replayed (brm.core.sessions, issue 14).
SESSION_ENGINE = "brm.core.sessions"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading HSTS is a one-way commitment for the whole domain; the operator opts in with
# SECURE_HSTS_PRELOAD=1, so the check that nags about it is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every script and stylesheet is vendored under static/, so the policy can stay 'self' only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # Chart.js and htmx set style attributes from script; no external styles are loaded.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Email ---------------------------------------------------------------------------------
# Django 6.1 configures mail through MAILERS: a backend and the keyword options its constructor
# takes (an unknown option is an error, so each backend gets only its own). EMAIL_BACKEND names
# any backend by dotted path, or by the short names below; without it, SMTP when EMAIL_HOST is
# set, else the console. EMAIL_OPTIONS (a JSON object) adds options, e.g. for a third-party one.
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
_email_backend = os.environ.get("EMAIL_BACKEND", "") or (
    "smtp" if os.environ.get("EMAIL_HOST") else "console"
)
_EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)


def email_options(backend: str) -> dict[str, object]:
    """The constructor options of Django's built-in mail `backend` (a dotted path), from the
    environment; {} for the console, locmem and dummy backends or a backend Django does not
    ship (give those EMAIL_OPTIONS). Raises ImproperlyConfigured on a malformed value."""
    if backend == _EMAIL_BACKENDS["smtp"]:
        options: dict[str, object] = {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": env_str("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "use_ssl": env_bool("EMAIL_USE_SSL", False),
            "timeout": env_int("EMAIL_TIMEOUT", 20),
        }
        for name in ("ssl_keyfile", "ssl_certfile"):
            if os.environ.get(f"EMAIL_{name.upper()}"):
                options[name] = os.environ[f"EMAIL_{name.upper()}"]
        return options
    if backend == _EMAIL_BACKENDS["file"]:
        return {"file_path": os.environ.get("EMAIL_FILE_PATH") or str(VAR_DIR / "sent-mail")}
    return {}


def _email_extra_options() -> dict[str, object]:
    raw = os.environ.get("EMAIL_OPTIONS", "").strip()
    if not raw:
        return {}
    try:
        extra = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_OPTIONS is not JSON: {exc}") from exc
    if not isinstance(extra, dict):
        raise ImproperlyConfigured("EMAIL_OPTIONS must be a JSON object of backend options.")
    return extra


MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {**email_options(_EMAIL_BACKEND), **_email_extra_options()},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "BRM <brm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in emails (handover packs, reminders) need to know where the site lives.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

# --- Celery ---------------------------------------------------------------------------------
# Two kinds of broker client, with opposite needs (see README "Background work under faults"):
# - the worker and beat must ride out a broker outage of any length: they reconnect forever with
#   back-off (BROKER_CONNECTION_MAX_RETRIES = None; 0 would make them exit at the first error);
# - a web request publishes through `brm.celery.Task.delay`: one attempt, never retried inline,
#   on a connection with the short socket timeouts of CELERY_PUBLISH_TIMEOUT, so a broker that is
#   down, frozen or slow costs a request at most about that long. The outbox sweep sends the work
#   later (every task claims its own work, so a late or repeated run is harmless).
REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds a task may stay unacknowledged on Redis before it is given to another worker (a worker
# killed outright, SIGKILL or power loss). Longer than the longest task (CELERY_TASK_TIME_LIMIT),
# or a slow task would run twice; tasks are acknowledged after they finish (acks_late).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 900)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # A frozen or half-open broker must not hang the worker or beat forever: a command gets
        # no answer within socket_timeout -> connection error -> reconnect with back-off.
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 25,
        # How often a live worker looks for messages a dead worker left unacknowledged.
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": 1,
    }
else:
    # No server needed: kombu's filesystem transport, good for one machine (`make run`).
    _celery_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
# Worker and beat: retry the broker connection forever (None), at start-up too, also after a
# channel error, waiting 2, 4, ... up to 30 s between attempts (kombu's defaults).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# The web's publish (brm.celery.Task.delay): at most this many seconds per attempt (connect
# half of it, then the command), one attempt, then the broker is left alone for
# CELERY_PUBLISH_PAUSE seconds in that process so the next requests do not wait again.
CELERY_PUBLISH_TIMEOUT = float(os.environ.get("CELERY_PUBLISH_TIMEOUT", "1.0"))
CELERY_PUBLISH_PAUSE = float(os.environ.get("CELERY_PUBLISH_PAUSE", "15"))
# Beat and tasks that publish with apply_async (groups of chunks): retry with back-off until the
# broker is back, so the nightly recompute or the weekly digest is queued late, not lost.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": None,
    "interval_start": 0.5,
    "interval_step": 1,
    "interval_max": 30,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# A task is acknowledged after it finished, and a task whose pool process died (killed, out of
# memory) is put back on the queue and run again: every task is idempotent (it claims its work,
# or stores one snapshot per unit and day), so running twice is harmless; losing it is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A warm shutdown (SIGTERM) lets running tasks finish; the soft shutdown gives a few seconds more
# and then puts unfinished late-acknowledged tasks back on the queue instead of losing them.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The worker heartbeat (brm.tasks.heartbeat, every WORKER_HEARTBEAT_INTERVAL s): older than this,
# /readyz says 503.
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 180)
# The health recompute is split into chunks of this many units, queued as one Celery group so
# every worker computes chunks in parallel (brm.health.tasks); up to this many, it runs as one.
HEALTH_RECOMPUTE_CHUNK = env_int("HEALTH_RECOMPUTE_CHUNK", 500)
# Bulk import: days a finished import job keeps its uploaded file (brm.imports.jobs).
BRM_IMPORT_FILE_RETENTION_DAYS = env_int("BRM_IMPORT_FILE_RETENTION_DAYS", 7)

# brm.core.statements: also build every replayed query through the ORM and fail if its SQL or
# parameters differ (on under the tests, which so prove each statement's key; off in service).
BRM_VERIFY_STATEMENTS = env_bool("BRM_VERIFY_STATEMENTS", False)
# Off: every such query is built through the ORM on each call (the replays' switch).
BRM_STATEMENTS = env_bool("BRM_STATEMENTS", True)
# --- Caches ---------------------------------------------------------------------------------
# "default" stays per process. "shared" is seen by every process (web replicas, workers, beat):
# Redis when there is one, else files under var/. Only small operational facts live there (the
# worker heartbeat); its short timeouts keep a frozen Redis from hanging /readyz.
CACHES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "brm",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    ),
}

# --- Notification emails: the kernel's one delivery path (brm/core/delivery.py) ---------------
# Each kind of email names the function that composes it from its business record at send time.
DELIVERY_COMPOSERS = {
    "complaints.notification": "complaints.tasks.compose_notification",
    "complaints.staff": "complaints.tasks.compose_notification",
    "reviews.notice": "reviews.notices.compose_review_notice",
    "reviews.unplanned": "reviews.notices.compose_unplanned_notice",
    "satisfaction.invitation": "satisfaction.mailing.compose_invitation",
    "satisfaction.reminder": "satisfaction.mailing.compose_reminder",
    "satisfaction.thanks": "satisfaction.mailing.compose_thank_you",
    "stakeholders.handover_pack": "stakeholders.tasks.compose_handover_pack",
    "portfolio.benefit_attestation": ("portfolio.services.attestation.compose_benefit_attestation"),
    "health.digest": "brm.health.digest.compose_digest",
    "reviews.update": "reviews.notices.compose_review_update",
    "core.daily_summary": "brm.core.delivery.compose_daily_summary",
    "webhooks.disabled": "brm.webhooks.emails.compose_disabled",
}
# --- Who gets notification emails (brm/core/delivery.py `recipients_for`, one filter for all) ---
# Each kind: what a person sees on the preferences page (gettext_noop: translated there), and
# whether the law or ISO 10002 requires it (`required`: no unsubscribe, preferences not applied).
# ISO 10002 (8.3-8.6) requires the complaint's receipt and keeping the complainant informed: what
# goes to the complainant is required. Escalations and news for IT staff are internal, so each
# person chooses how to get them.
NOTIFICATION_KINDS: dict[str, dict[str, object]] = {
    "complaints.notification": {
        "label": gettext_noop("Complaints you raised: receipt, progress and resolution"),
        "required": True,
    },
    "complaints.staff": {
        "label": gettext_noop("Complaints for IT staff: escalations and news from complainants"),
        "required": False,
    },
    "reviews.notice": {
        "label": gettext_noop("Service reviews: reminders and invitations"),
        "required": False,
    },
    "reviews.update": {
        "label": gettext_noop("Service reviews: moved or cancelled"),
        "required": False,
    },
    "reviews.unplanned": {
        "label": gettext_noop("Service reviews due with none planned"),
        "required": False,
    },
    "satisfaction.invitation": {
        "label": gettext_noop("Satisfaction surveys: invitations"),
        "required": False,
    },
    "satisfaction.reminder": {
        "label": gettext_noop("Satisfaction surveys: reminders"),
        "required": False,
    },
    "satisfaction.thanks": {
        "label": gettext_noop("Satisfaction surveys: thank-you notes"),
        "required": False,
    },
    "stakeholders.handover_pack": {"label": gettext_noop("Handover packs"), "required": False},
    "portfolio.benefit_attestation": {
        "label": gettext_noop("Requests to confirm realised benefits"),
        "required": False,
    },
    "health.digest": {
        "label": gettext_noop("Weekly relationship health digest"),
        "required": False,
    },
    "webhooks.disabled": {
        "label": gettext_noop("Webhook subscriptions disabled after repeated failures"),
        "required": False,
    },
}
# Functions that say which addresses belong to people who can no longer act (besides inactive
# users, which the kernel checks itself): (addresses) -> {address: any owner active}.
DELIVERY_ADDRESS_CHECKS = ["stakeholders.reachability.address_activity"]
# Where a calendar invitation comes from when the unit has no BRM with an address (RFC 5546
# requires an ORGANIZER on every REQUEST and CANCEL).
CALENDAR_ORGANIZER_EMAIL = os.environ.get("CALENDAR_ORGANIZER_EMAIL", "brm@localhost")
# A thank-you or reminder is never sent for an answer or event older than this many days.
NOTIFICATION_MAX_AGE_DAYS = env_int("NOTIFICATION_MAX_AGE_DAYS", 3)
# A claim older than this (seconds) without a sent mark belongs to a dead worker and is retried;
# it must stay well above the send task's time limit (120 s).
DELIVERY_CLAIM_TIMEOUT = env_int("DELIVERY_CLAIM_TIMEOUT", 300)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8)  # then the email is marked failed
DELIVERY_RETRY_DELAY = env_int("DELIVERY_RETRY_DELAY", 60)  # seconds, doubled per failed attempt

# --- Webhooks (brm/webhooks, README "Webhooks") ----------------------------------------------
# Host names that may receive webhooks although they resolve to loopback, private or link-local
# addresses (on-premises receivers), comma-separated; every other host must be public.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)  # seconds per request (connect at most 3)
# Retries (timeouts, connection errors, 5xx, 408, 429): WEBHOOK_RETRY_BASE seconds doubled per
# attempt, at most WEBHOOK_RETRY_MAX_DELAY, with +-20 % jitter (or the receiver's Retry-After),
# for WEBHOOK_RETRY_WINDOW seconds after the first attempt; then the delivery has failed.
WEBHOOK_RETRY_BASE = env_int("WEBHOOK_RETRY_BASE", 30)
WEBHOOK_RETRY_MAX_DELAY = env_int("WEBHOOK_RETRY_MAX_DELAY", 4 * 3600)
WEBHOOK_RETRY_WINDOW = env_int("WEBHOOK_RETRY_WINDOW", 24 * 3600)
# This many failed deliveries in a row disable a subscription and email its owner.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 5)
# After a secret rotation the old secret keeps signing (a second signature) this many seconds.
WEBHOOK_SECRET_OVERLAP = env_int("WEBHOOK_SECRET_OVERLAP", 24 * 3600)
# A delivery claimed longer than this (seconds) without an answer recorded is sent again.
WEBHOOK_CLAIM_TIMEOUT = env_int("WEBHOOK_CLAIM_TIMEOUT", 300)

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Proof that beat, the broker and a worker all work: /readyz reads the time it last ran.
    "worker-heartbeat": {
        "task": "brm.heartbeat",
        "schedule": float(env_int("WORKER_HEARTBEAT_INTERVAL", 30)),
    },
    # Every notification email: send what is pending (never queued, failed, or left by a dead
    # worker); each is claimed once, so running every minute is safe.
    "sweep-outbound-emails": {
        "task": "brm.core.sweep_outbound_emails",
        "schedule": float(env_int("DELIVERY_SWEEP_INTERVAL", 60)),
    },
    # People who chose a daily summary get one each morning (each summary once per day).
    "daily-notification-summaries": {
        "task": "brm.core.send_daily_summaries",
        "schedule": crontab(hour=7, minute=0),
    },
    # People's data past its retention period (brm.privacy.RetentionSettings) is removed nightly;
    # a second run finds nothing more.
    "privacy-retention": {
        "task": "brm.privacy.apply_retention",
        "schedule": crontab(hour=2, minute=30),
    },
    # Health is recomputed nightly (and on demand from the dashboard); digest on Monday morning.
    "recompute-health": {
        "task": "brm.health.tasks.recompute_health_task",
        "schedule": crontab(hour=2, minute=15),
    },
    "weekly-digest": {
        "task": "brm.health.tasks.send_weekly_digest",
        "schedule": crontab(hour=7, minute=0, day_of_week=1),
    },
    # Surveys: pulses, due campaigns, unsent invitations, closing; every step is claimed once.
    "dispatch-due-surveys": {
        "task": "satisfaction.tasks.dispatch_due_campaigns",
        "schedule": 300.0,
    },
    "send-survey-reminders": {
        "task": "satisfaction.tasks.send_survey_reminders",
        "schedule": 3600.0,
    },
    # Complaint deadlines: each escalation level is claimed once, so running often is safe.
    "check-complaint-deadlines": {
        "task": "complaints.tasks.check_complaint_deadlines",
        "schedule": 300.0,
    },
    # Closing the loop: when a complaint's linked work finishes, its complainant is told once.
    "close-complaint-follow-up-loops": {
        "task": "complaints.tasks.close_follow_up_loops",
        "schedule": 600.0,
    },
    # Reminders before reviews, overdue and "review due, none planned" notices; each is sent
    # once, and a claim a crashed run left unsent is released and retried, so hourly is safe.
    "send-review-reminders": {
        "task": "reviews.tasks.send_review_reminders",
        "schedule": 3600.0,
    },
    # Webhooks: due retries, and deliveries whose task never arrived; each is claimed once.
    "sweep-webhooks": {
        "task": "brm.webhooks.sweep",
        "schedule": float(env_int("WEBHOOK_SWEEP_INTERVAL", 60)),
    },
    # commitment.overdue events for promises that passed their due date (once per promise).
    "publish-overdue-commitments": {
        "task": "stakeholders.tasks.publish_overdue_commitments",
        "schedule": 3600.0,
    },
    # Ask sponsors to confirm realised benefits after delivery; each period is claimed once.
    "request-benefit-attestations": {
        "task": "portfolio.tasks.attestation.request_benefit_attestations",
        "schedule": 3600.0 * 6,
    },
    # Uploaded import files past their retention period are emptied; a second run finds none.
    "delete-old-import-files": {
        "task": "imports.delete_old_files",
        "schedule": crontab(hour=3, minute=10),
    },
    # Stored attachment files no row names, older than an hour (left by a rolled-back upload or
    # a failed delete); a second run finds nothing more.
    "delete-orphan-attachment-files": {
        "task": "attachments.delete_orphan_files",
        "schedule": 3600.0,
    },
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer first: its `WWW-Authenticate` header turns "no credentials" into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "brm.core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["brm.core.permissions.ScopedAccess"],
    # JSON nesting and size bounded (brm/core/api_input.py): a hostile body is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "brm.core.api_input.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "brm.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["brm.core.api_input.FilterBackend"],
    # drf-spectacular plus the error responses of every operation (brm/core/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "brm.core.api_schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "brm.core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BRM API",
    "DESCRIPTION": (
        "IT business relationship management. Authenticate with `Authorization: Bearer <token>` "
        "(tokens are created on your profile page, in the admin or with "
        "`manage.py create_api_token`). Lists are paginated with `page` and `page_size` (at most "
        "200). Repeated wrong tokens lock the caller's address out for a while (429)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "satisfaction.models.CampaignStatus",
        "CampaignScheduleEnum": "satisfaction.models.Schedule",
        "QuestionKindEnum": "satisfaction.models.QuestionKind",
        "ReviewStatusEnum": "reviews.models.ReviewStatus",
        "ChangeRequestStatusEnum": "reviews.models.ChangeStatus",
        "ChangeRequestKindEnum": "reviews.models.ChangeKind",
        "ServiceLifecycleEnum": "portfolio.models.Lifecycle",
        "DemandStatusEnum": "portfolio.models.DemandStatus",
        # Complaint and demand transitions both have a `to` field: name both choice sets.
        "ComplaintStatusEnum": "complaints.models.Status",
        "DemandUrgencyEnum": "portfolio.models.Urgency",
        "BenefitKindEnum": "portfolio.models.BenefitKind",
        "InteractionKindEnum": "stakeholders.models.InteractionKind",
        "RoleTypeEnum": "stakeholders.models.RoleType",
        "ComplaintEventKindEnum": "complaints.models.EventKind",
        "FollowUpKindEnum": "complaints.models.FollowUpKind",
        "FeedbackKindEnum": "complaints.models.FeedbackKind",
        "CampaignKindEnum": "satisfaction.models.CampaignKind",
    },
}
# Lost updates: detail responses carry an ETag (the record's version); PUT, PATCH and DELETE
# with a stale If-Match get 412. When true, a write without If-Match gets 428 instead of
# being checked against the version read at the start of the request.
BRM_API_REQUIRE_IF_MATCH = env_bool("BRM_API_REQUIRE_IF_MATCH", False)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_4xx": {"()": "brm.core.logging.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every line a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # A 403/404 is one line, not a traceback (the filter runs before any handler).
        "django.request": {"filters": ["one_line_4xx"]},
        # WeasyPrint (PDF exports) logs every rendering step at INFO; its warnings still show.
        "weasyprint.progress": {"level": "WARNING"},
        # django-axes logs every sign-in and clean-up at INFO; locks and releases are in the
        # audit log, and its warnings (a lockout) still show.
        "axes": {"level": "WARNING"},
    },
}
# What a task prints (the console email backend prints every email) is logged at INFO, not as
# the WARNING Celery uses by default for a worker's stdout.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
