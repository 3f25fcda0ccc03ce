import os
import uuid

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, CACHES, DATABASES, NOTIFY_ROBOT_HOSTS, env

# The report replica is the test database itself (a mirror: no second database is created). Report
# reads stay on "default" unless a test switches REPORTING_DATABASE to "replica": a mirror is a second
# connection, which cannot see the rows of a test's still-open transaction.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
REPORTING_DATABASE = None

DEBUG = False
# Tests pay through the local gateway (production routes it only for a declared demo: prod.py).
PAYMENT_LOCAL_GATEWAY = True
# Tests turn the notification fan-out on where they test it (settings fixture or the worker's environment), so
# the rest of the suite leaves nothing queued on a broker no worker reads.
NOTIFY_FANOUT = env.bool("NOTIFY_FANOUT", default=False)
NOTIFY_ROBOT_HOSTS = [*NOTIFY_ROBOT_HOSTS, "127.0.0.1"]
DEMO_MAILBOX = True
DEMO_MAILBOX_DIR = BASE_DIR / "var" / "test-mailbox"
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

# Each test process its own cache namespace: test databases are per process and recreated on every run, so
# cached rights or sessions of one must never be read by another (apps/accounts/authz_cache.py). Processes a
# test starts (Celery workers, servers) inherit the namespace through the environment.
CACHES["default"]["KEY_PREFIX"] = "test-{}-{}".format(
    os.environ.setdefault("SHUYIN_TEST_CACHE_RUN", uuid.uuid4().hex[:8]), os.environ.get("PYTEST_XDIST_WORKER", "main"))

# Webhook receivers in tests are local http.server threads.
WEBHOOK_INSECURE_HOSTS = ["127.0.0.1", "localhost"]
