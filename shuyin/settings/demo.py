"""`make run`: the product as its users see it. Production settings (DEBUG off, the Chinese 403/404/500 pages,
static files collected and served by WhiteNoise's manifest storage, gunicorn) on one machine: plain HTTP on
loopback, embedded PostgreSQL/Redis started by bin/stack.py, demo data, and the local payment gateway, which
production allows only for a declared demo (SHUYIN_DEMO). Developers use `make dev` (settings.dev) instead."""
import os

# Read by base/prod at import: set before them.
os.environ.setdefault("SHUYIN_DEMO", "true")
os.environ.setdefault("PAYMENT_LOCAL_GATEWAY", "true")
# bin/stack.py run starts the local SMTP server and sets EMAIL_HOST/EMAIL_PORT: mails land in the 演示邮箱.
os.environ.setdefault("DEMO_MAILBOX", "true")
os.environ.setdefault("NOTIFY_DEMO_EMAIL_DOMAIN", "demo.shuyin.local")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("LOG_FORMAT", "plain")  # a terminal, not a log collector (LOG_FORMAT=json to see production's)

from .prod import *  # noqa: E402,F401,F403

# Plain HTTP on loopback: cookies marked Secure would never come back.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
