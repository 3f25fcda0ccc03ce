from django.core.exceptions import ImproperlyConfigured

from apps.observability.logs import logging_config

from .base import *  # noqa: F401,F403
from .base import (
    DEMO_MAILBOX,
    LOG_LEVEL,
    NOTIFY_DEMO_EMAIL_DOMAIN,
    PAYMENT_LOCAL_GATEWAY,
    SECRET_KEY,
    SHUYIN_DEMO,
    TEMPLATES,
    env,
    env_int,
)

DEBUG = False
# One JSON object a line (with the request id) for the log collector; LOG_FORMAT=plain for reading by eye.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters in production")
if PAYMENT_LOCAL_GATEWAY and not SHUYIN_DEMO:
    # The local gateway credits money without a payment: in production only a declared demo may route it.
    raise ImproperlyConfigured("PAYMENT_LOCAL_GATEWAY credits recharges without any payment; production refuses it "
                               "unless SHUYIN_DEMO=true declares this deployment a demonstration")
if (DEMO_MAILBOX or NOTIFY_DEMO_EMAIL_DOMAIN) and not SHUYIN_DEMO:
    # The demo mailbox shows every mail the site sent to whoever may open it: a demonstration only.
    raise ImproperlyConfigured("DEMO_MAILBOX / NOTIFY_DEMO_EMAIL_DOMAIN show or invent mail addresses; production "
                               "refuses them unless SHUYIN_DEMO=true declares this deployment a demonstration")
from .base import WEBHOOK_INSECURE_HOSTS  # noqa: E402

if WEBHOOK_INSECURE_HOSTS and not SHUYIN_DEMO:
    raise ImproperlyConfigured("WEBHOOK_INSECURE_HOSTS lets webhooks go out over plain HTTP (and to local addresses); "
                               "production requires HTTPS unless SHUYIN_DEMO=true declares a demonstration")


def _require_payment_settings():
    """A switched-on provider must be fully configured: its key files readable at start, not at the first payment."""
    import os

    names = {"PAYMENT_ALIPAY_ENABLED": ("PAYMENT_ALIPAY_APP_ID", "PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE",
                                        "PAYMENT_ALIPAY_PUBLIC_KEY_FILE"),
             "PAYMENT_WECHAT_ENABLED": ("PAYMENT_WECHAT_MCHID", "PAYMENT_WECHAT_APPID", "PAYMENT_WECHAT_CERT_SERIAL_NO",
                                        "PAYMENT_WECHAT_PRIVATE_KEY_FILE", "PAYMENT_WECHAT_APIV3_KEY_FILE",
                                        "PAYMENT_WECHAT_CERT_DIR")}
    for switch, required in names.items():
        if not globals()[switch]:
            continue
        for name in required:
            value = globals()[name]
            if not value:
                raise ImproperlyConfigured(f"{switch} is on but {name} is not set")
            if name.endswith("_FILE") and not os.access(value, os.R_OK):
                raise ImproperlyConfigured(f"{name}: {value} is not a readable file")
            if name.endswith("_DIR") and not os.path.isdir(value):
                raise ImproperlyConfigured(f"{name}: {value} is not a directory")


_require_payment_settings()

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Templates are compiled once per process and kept (the cached loader, stated here rather than left to Django's
# default): a page then only renders, it never reads or parses a template file again. A deployment changes
# templates by restarting the workers.
TEMPLATES = [{**TEMPLATES[0], "APP_DIRS": False, "OPTIONS": {
    **TEMPLATES[0]["OPTIONS"],
    "loaders": [("django.template.loaders.cached.Loader", [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ])],
}}]
