from .base import *  # noqa: F401,F403
from .base import BASE_DIR, DATABASES

# The report replica is the test database itself (a mirror: no second database is created). Report
# reads stay on "default" unless a test switches REPORTING_DATABASE to "replica": a mirror is a second
# connection, which cannot see the rows of a test's still-open transaction.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
REPORTING_DATABASE = None

DEBUG = False
# Fast hashing for tests only; production keeps PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private"
EXPORT_ROOT = BASE_DIR / "var" / "test-exports"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Static files straight from static/ (no collectstatic outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
