"""One settings module; production differs only through the environment."""

import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DANGJIAN_DEBUG", False)
SECRET_KEY = os.environ.get("DANGJIAN_SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DANGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DANGJIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "dangjian.core",
    "dangjian.access",
    "dangjian.orgs",
    "dangjian.people",
    "dangjian.records",
    "dangjian.oversight",
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
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dangjian.core.middleware.RequestContextMiddleware",
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
    }
# Lets concurrent test runs use separate PostgreSQL test databases.
if os.environ.get("DANGJIAN_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DANGJIAN_TEST_DB_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache and one task queue for every process: Redis where configured, else the
# database (cache) and a SQLite file beside it (tasks), so the embedded default needs no
# other server. Tests run tasks in memory at once (DANGJIAN_TASKS_IMMEDIATE / pytest).
REDIS_URL = os.environ.get("DANGJIAN_REDIS_URL", "")
TASKS_IMMEDIATE = env_bool("DANGJIAN_TASKS_IMMEDIATE", "pytest" in sys.modules)
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
FINDINGS_DEBOUNCE_SECONDS = float(os.environ.get("DANGJIAN_FINDINGS_DEBOUNCE", "5"))
FINDINGS_MAX_WAIT_SECONDS = float(os.environ.get("DANGJIAN_FINDINGS_MAX_WAIT", "60"))
FINDINGS_NIGHTLY_HOUR = int(os.environ.get("DANGJIAN_FINDINGS_NIGHTLY_HOUR", "2"))
FINDINGS_REFRESH_ON_WRITE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
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
