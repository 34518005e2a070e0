"""One settings module; production differs only through the environment."""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应为整数，现为 {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development unless the environment says otherwise: deploy/production.env sets
# DANGJIAN_DEBUG=0, and the production server (scripts/serve-production) refuses DEBUG.
DEBUG = env_bool("DANGJIAN_DEBUG", True)
PRODUCTION = not DEBUG
SECRET_KEY = os.environ.get("DANGJIAN_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DANGJIAN_SECRET_KEY 未设置：生产配置（DANGJIAN_DEBUG=0）必须提供密钥，"
            "例如 head -c 48 /dev/urandom | base64"
        )
    # Development only: a fresh key per process, never a published one.
    SECRET_KEY = "dev-" + secrets.token_urlsafe(48)
ALLOWED_HOSTS = env_list("DANGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DANGJIAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "drf_spectacular",
    "dangjian.core",
    "dangjian.access",
    "dangjian.orgs",
    "dangjian.people",
    "dangjian.records",
    "dangjian.oversight",
    "dangjian.notices",
    "dangjian.policy",
    "dangjian.interchange",
    "dangjian.web",
    "dangjian.spreadsheets",
    "dangjian.api",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dangjian.core.input_guard.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dangjian.core.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "dangjian.core.middleware.RequestContextMiddleware",
    "dangjian.core.middleware.NoStoreMiddleware",
    # Last, so it sees the lock-out flag the authentication backend set.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/address before any password is checked.
    "dangjian.core.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "dangjian.urls"

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
                "dangjian.web.page_cache.csrf_placeholder",
            ],
        },
    },
]

WSGI_APPLICATION = "dangjian.wsgi.application"

DEFAULT_SQLITE = REPO_DIR / "var" / "dangjian.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Writers queue for the lock up to this many seconds instead of failing
        # at once with "database is locked" (Python's default is 5).
        "timeout": 30,
    }
# Lets concurrent test runs use separate PostgreSQL test databases.
if os.environ.get("DANGJIAN_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DANGJIAN_TEST_DB_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Password policy (等保 2.0 level 3: length, complexity, no common or personal passwords).
# One cache and one task queue for every process: Redis where configured, else the
# database (cache) and a SQLite file beside it (tasks), so the embedded default needs no
# other server. Tests run tasks in memory at once (DANGJIAN_TASKS_IMMEDIATE / pytest).
REDIS_URL = os.environ.get("DANGJIAN_REDIS_URL", "")
TASKS_IMMEDIATE = env_bool("DANGJIAN_TASKS_IMMEDIATE", "pytest" in sys.modules)
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    HUEY: dict[str, object] = {
        "huey_class": "huey.RedisHuey",
        "name": "dangjian",
        "url": REDIS_URL,
        "immediate": TASKS_IMMEDIATE,
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dj_cache",
            # whole pages per user and address: room for a committee's readers
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
    TASKS_DB = Path(os.environ.get("DANGJIAN_TASKS_DB", REPO_DIR / "var" / "tasks.sqlite3"))
    if not TASKS_IMMEDIATE:
        TASKS_DB.parent.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "dangjian",
        "filename": str(TASKS_DB),
        "immediate": TASKS_IMMEDIATE,
    }
HUEY["consumer"] = {"workers": 1, "worker_type": "thread"}
# Stored findings: a refresh waits for this long without writes to its department; the
# nightly full refresh (rolling the check day forward) runs at this hour.
FINDINGS_DEBOUNCE_SECONDS = float(os.environ.get("DANGJIAN_FINDINGS_DEBOUNCE", "2"))
FINDINGS_MAX_WAIT_SECONDS = float(os.environ.get("DANGJIAN_FINDINGS_MAX_WAIT", "60"))
FINDINGS_NIGHTLY_HOUR = int(os.environ.get("DANGJIAN_FINDINGS_NIGHTLY_HOUR", "2"))
FINDINGS_REFRESH_ON_WRITE = True
# A committee's or department's page, kept whole, is built again after a refresh at most
# this often (its readers are served the last one, with its 截至, in between).
PAGE_REBUILD_SECONDS = float(os.environ.get("DANGJIAN_PAGE_REBUILD_SECONDS", "60"))
# Threads (each with its own database connection) evaluating a pack's rules at once.
ENGINE_THREADS = int(os.environ.get("DANGJIAN_ENGINE_THREADS", "2"))

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {
        "NAME": "dangjian.core.passwords.CharacterClassValidator",
        "OPTIONS": {"min_classes": 2},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The product speaks Simplified Chinese to everyone, whatever the browser asks for.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = os.environ.get("DANGJIAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DANGJIAN_STATIC_ROOT", REPO_DIR / "var" / "static"))
# WhiteNoise scans STATIC_ROOT at start-up; with finders on, an empty one is enough.
# In production `collectstatic` fills it (docs/deploy.md).
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = Path(os.environ.get("DANGJIAN_NODE_MODULES", REPO_DIR / "node_modules"))
# Front-end libraries come from npm packages installed at set-up, never a CDN.
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / name / "dist")
    for name in ("echarts", "htmx.org", "bootstrap")
    if (NODE_MODULES / name / "dist").is_dir()
]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("DANGJIAN_MEDIA_ROOT", REPO_DIR / "var" / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Source documents live beside the repository in ../shared/seeds.
SEEDS_DIR = Path(os.environ.get("DANGJIAN_SEEDS_DIR", REPO_DIR.parent / "shared" / "seeds"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dangjian.core.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "dangjian.api.schema.DangjianAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Bad input is a 4xx with a Chinese message, never a 500 (core/input_guard.py).
    "DEFAULT_PARSER_CLASSES": [
        "dangjian.core.input_guard.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "dangjian.core.input_guard.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dangjian API",
    "DESCRIPTION": "机关党建记录与合规检查 HTTP API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "WARNING")},
}

# ---------------------------------------------------------------- sign-in and sessions

# Lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused until the cool-off ends or an administrator resets it
# (`dangjian axes_reset_username NAME`). Counted on every entry point: the sign-in page,
# the admin and the API token endpoint.
AXES_FAILURE_LIMIT = env_int("DANGJIAN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DANGJIAN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dangjian.core.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "dangjian.core.middleware.client_ip"
AXES_VERBOSE = False

# Sessions: signed out after an idle spell, and in any case after an absolute limit.
SESSION_IDLE_SECONDS = env_int("DANGJIAN_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = env_int("DANGJIAN_SESSION_MAX_HOURS", 8) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# API tokens: valid for this long after issue; revoked when the password changes.
API_TOKEN_DAYS = env_int("DANGJIAN_API_TOKEN_DAYS", 30)

# ---------------------------------------------------------------- transport (production)

# The reverse proxy that terminates TLS: its addresses, so the client address recorded in
# the audit trail and used by the lock-out is the one it forwards (X-Forwarded-For).
TRUSTED_PROXIES = env_list("DANGJIAN_TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DANGJIAN_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("DANGJIAN_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DANGJIAN_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DANGJIAN_HSTS_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("DANGJIAN_HSTS_PRELOAD", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: scripts and styles from this server only (inline scripts carry
# the per-request nonce); style attributes (progress bar widths) stay allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
