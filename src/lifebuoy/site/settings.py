"""Django settings, derived from ``lifebuoy.config`` (TOML + environment).

Nothing secret is written here: the Django secret key and the master key are
read from files in the data folder, created by ``lifebuoy init``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url

from lifebuoy.config import load

LIFEBUOY = load()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = LIFEBUOY.data_dir
SECRET_KEY_FILE = DATA_DIR / "secrets" / "django-secret.key"


def _secret_key() -> str:
    # Before ``lifebuoy init`` has made the file (tests, --help), a random key
    # for this process only: nothing signed with it outlives the process.
    if SECRET_KEY_FILE.is_file():
        return SECRET_KEY_FILE.read_text(encoding="ascii").strip()
    return secrets.token_urlsafe(64)


SECRET_KEY = _secret_key()
DEBUG = LIFEBUOY.site.debug
ALLOWED_HOSTS = list(LIFEBUOY.site.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "lifebuoy.site.vault",
    "lifebuoy.site.audit",
    "lifebuoy.site.signing",
    "lifebuoy.site.relay",
    "lifebuoy.site.accounts",
    "lifebuoy.site.admincenter",
    "lifebuoy.site.console",
    "lifebuoy.site.support",
    "lifebuoy.site.api",
]

MIDDLEWARE = [
    "lifebuoy.site.security.middleware.SecurityHeadersMiddleware",
    "lifebuoy.site.security.middleware.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lifebuoy.site.security.middleware.WebSessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lifebuoy.site.urls"
ASGI_APPLICATION = "lifebuoy.site.asgi.application"

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
                "lifebuoy.site.security.context.csp_nonce",
            ],
        },
    },
]


def _databases() -> dict[str, Any]:
    if LIFEBUOY.database_url:
        database = dj_database_url.parse(LIFEBUOY.database_url, conn_max_age=60)
        return {"default": database}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "lifebuoy.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers never
                # both read the audit chain's head before either appends.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if LIFEBUOY.redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [LIFEBUOY.redis_url]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": LIFEBUOY.redis_url,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Accounts and passwords.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["lifebuoy.site.accounts.backends.LoginIdBackend"]
PASSWORD_HASHERS = ["lifebuoy.site.accounts.hashing.ScryptHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Cookies: __Host- names require Secure, Path=/ and no Domain.
SESSION_COOKIE_NAME = "__Host-lifebuoy-session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = LIFEBUOY.security.session_max_age_s
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_NAME = "__Host-lifebuoy-csrf"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_TRUSTED_ORIGINS = [LIFEBUOY.public_url]
CSRF_FAILURE_VIEW = "lifebuoy.site.security.views.csrf_failure"

# Transport and headers (CSP is set by SecurityHeadersMiddleware).
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = LIFEBUOY.security.max_request_body_bytes
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR"}},
}
