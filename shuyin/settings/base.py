"""Settings shared by every environment. Everything that differs between machines comes
from environment variables; a bad value stops the process with a clear message."""
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from shuyin.redis_ha import celery_sentinel_broker, parse_sentinels, sentinel_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-shuyin-0123456789-abcdefghijklmnopqrstuvwxyz")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test` (they start an embedded PostgreSQL) "
        "or export DATABASE_URL=postgres://user@host:5432/dbname"
    )
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...)")
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator(), used by exports) does not
# survive between transactions: set DB_DISABLE_SERVER_SIDE_CURSORS=true there (docs/scaling.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)

# Optional streaming replica for report reads (docs/scaling.md). Reads go there only inside
# shuyin.db_routers.reporting_reads() (report pages, the export task); everything else and every
# write stay on "default", and no migration runs on the replica.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
REPORTING_DATABASE = None
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must point to PostgreSQL (postgres://...)")
    DATABASES["replica"].update(
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True, ATOMIC_REQUESTS=False,
        DISABLE_SERVER_SIDE_CURSORS=DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"], TEST={"MIRROR": "default"},
    )
    REPORTING_DATABASE = "replica"
DATABASE_ROUTERS = ["shuyin.db_routers.ReportReplicaRouter"]

# Redis: one server (REDIS_URL), or a master found through Redis Sentinel (REDIS_SENTINELS
# "host:port,host:port" + REDIS_SENTINEL_MASTER, with REDIS_DB / REDIS_PASSWORD / REDIS_SENTINEL_PASSWORD).
REDIS_SENTINELS = parse_sentinels(env.str("REDIS_SENTINELS", default=""))
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="")
REDIS_SENTINEL_PASSWORD = env.str("REDIS_SENTINEL_PASSWORD", default="")
REDIS_DB = env_int("REDIS_DB", 0)
REDIS_PASSWORD = env.str("REDIS_PASSWORD", default="")
if REDIS_SENTINELS:
    if not REDIS_SENTINEL_MASTER:
        raise ImproperlyConfigured("REDIS_SENTINELS is set: set REDIS_SENTINEL_MASTER to the monitored master's name")
    # For code that only wants to name the Redis in use: the host part is the master's name.
    REDIS_URL = sentinel_redis_url(master=REDIS_SENTINEL_MASTER, db=REDIS_DB, password=REDIS_PASSWORD)
else:
    REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. `make run` / `make test` start an embedded Redis; "
        "otherwise export REDIS_URL=redis://host:6379/0 (or REDIS_SENTINELS and REDIS_SENTINEL_MASTER)"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",
    "guardian",
    "axes",
    "django_htmx",
    "django_filters",
    "ninja",  # the institution API (apps.api): OpenAPI 3 and Swagger UI served from its own static files
    "apps.common",
    "apps.regions",
    "apps.accounts",
    "apps.messaging",
    "apps.notifications",
    "apps.products",
    "apps.positions",
    "apps.members",
    "apps.dispatch",
    "apps.applications",
    "apps.cases",
    "apps.settlement",
    "apps.complaints",
    "apps.reports",
    "apps.platform_admin",
    "django_prometheus",
    "apps.observability",
    "apps.webhooks",
    "apps.api",
]

MIDDLEWARE = [
    # First: count every request, then give it its id and answer the probes (/healthz, /readyz, /metrics) before
    # sessions, sign-in, ALLOWED_HOSTS or the HTTPS redirect (apps/observability/middleware.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.observability.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.common.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.common.middleware.OperationLogMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "shuyin.urls"
WSGI_APPLICATION = "shuyin.wsgi.application"

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
                "apps.accounts.context_processors.area_shell",
                "apps.accounts.context_processors.area_live",
                "apps.positions.context_processors.inst_finance",
                "apps.dispatch.context_processors.inst_lost_cases",
                "apps.applications.context_processors.ops_queue_counts",
            ],
            "builtins": ["apps.common.templatetags.shuyin"],
        },
    }
]

# The context of the layout's {% live %} fragments, drawn again for each page served from the page cache
# (apps.common.pagecache); every context processor whose values change per request belongs here too.
PAGE_CACHE_LIVE_CONTEXT = [
    "apps.accounts.context_processors.area_live",
    "apps.applications.context_processors.ops_queue_counts",
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.RoleBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "apps.accounts.validators.CharacterClassValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Login lockout (django-axes, apps/accounts/throttle.py), three limits counted over the cool-off time, each a
# system parameter effective at once: failures of one account from one address (5), of one account from all
# addresses together (10: the account is locked and its owner and administrators get a message), and of one
# address against all accounts together (30). A lock lasts AXES_COOLOFF_MINUTES after the last failure.
AXES_HANDLER = "apps.accounts.throttle.LoginThrottleHandler"
AXES_FAILURE_LIMIT = "apps.accounts.params.login_failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the other two limits are the handler's own
AXES_RESET_ON_SUCCESS = True  # a sign-in clears its own account+address count only, never the other two
AXES_LOCKOUT_CALLABLE = "apps.accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "apps.common.middleware.client_ip"
AXES_VERBOSE = False

# The client's address (login limits, login and operation logs). By default REMOTE_ADDR only: an X-Real-IP or
# X-Forwarded-For a client sends is ignored, since anyone can send one. Behind a reverse proxy name the header
# that proxy sets: "X-Real-IP" (the proxy overwrites it with the address it saw), or "X-Forwarded-For" with
# TRUSTED_PROXY_COUNT = how many proxies of ours append to it (the client is that many entries from the right).
TRUSTED_PROXY_HEADER = env.str("TRUSTED_PROXY_HEADER", default="").strip()
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=1)
if TRUSTED_PROXY_HEADER and not TRUSTED_PROXY_HEADER.replace("-", "").isalnum():
    raise ImproperlyConfigured(f"TRUSTED_PROXY_HEADER must be a header name such as X-Real-IP, got {TRUSTED_PROXY_HEADER!r}")

# Sessions: idle timeout and an absolute cap since login. The idle clock is refreshed by
# SessionTimeoutMiddleware at most once per SESSION_REFRESH_SECONDS (not a session write on every request).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Uploaded files (vouchers, ID photos, documents) live outside the web root and are
# served only through views that check access.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
EXPORT_ROOT = Path(env.str("EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports")))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "shuyin.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_PREFIX", default="shuyin"),
        "TIMEOUT": 300,
    }
}
if REDIS_SENTINELS:
    # Django's RedisCache has no Sentinel mode of its own; its pool_class option takes a redis-py
    # SentinelConnectionPool that asks the sentinels for the master (and again after a failover).
    CACHES["default"]["OPTIONS"] = {
        "pool_class": "shuyin.redis_ha.SentinelMasterPool",
        "sentinels": REDIS_SENTINELS,
        "sentinel_password": REDIS_SENTINEL_PASSWORD or None,
    }

# Celery: Redis broker; results are not needed by the product (state lives in PostgreSQL).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if REDIS_SENTINELS:
    CELERY_BROKER_URL, _sentinel_options = celery_sentinel_broker(
        sentinels=REDIS_SENTINELS, master=REDIS_SENTINEL_MASTER, db=REDIS_DB, password=REDIS_PASSWORD,
        sentinel_password=REDIS_SENTINEL_PASSWORD)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(_sentinel_options)
CELERY_RESULT_BACKEND = None
# Three queues: timers (every beat task: short sweeps that must not wait behind anything),
# exports (long report files) and the default queue for the rest. A deployment (or a test run) may
# use its own queue names on a shared Redis: CELERY_QUEUE names the default queue, and when it is set
# the other two are "<CELERY_QUEUE>.timers" and "<CELERY_QUEUE>.exports". A worker started without
# -Q consumes all three (single-machine deployments); dedicated pools use `-Q timers` / `-Q exports`.
CELERY_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TIMERS_QUEUE = "timers" if CELERY_QUEUE == "celery" else f"{CELERY_QUEUE}.timers"
CELERY_EXPORTS_QUEUE = "exports" if CELERY_QUEUE == "celery" else f"{CELERY_QUEUE}.exports"
# Webhook deliveries have a queue of their own too (a slow receiver never holds up anything else).
CELERY_WEBHOOKS_QUEUE = "webhooks" if CELERY_QUEUE == "celery" else f"{CELERY_QUEUE}.webhooks"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name)
                      for name in (CELERY_QUEUE, CELERY_TIMERS_QUEUE, CELERY_EXPORTS_QUEUE, CELERY_WEBHOOKS_QUEUE)]
# The shipped local payment gateway: a cashier page that confirms a payment without any money moving.
# It exists only where settings ask for it (development, demo, tests): off unless PAYMENT_LOCAL_GATEWAY is
# set, its URLs are routed only then, and production settings refuse to start with it unless SHUYIN_DEMO
# says this deployment is a demonstration.
PAYMENT_LOCAL_GATEWAY = env.bool("PAYMENT_LOCAL_GATEWAY", default=False)
SHUYIN_DEMO = env.bool("SHUYIN_DEMO", default=False)
# Shared secret of the local gateway (real gateways bring their own keys).
PAYMENT_LOCAL_SECRET = env.str("PAYMENT_LOCAL_SECRET", default="")
# Real providers (apps/positions/gateway/): each off unless switched on; keys are read from the files the
# variables name (PEM). The *_GATEWAY / *_BASE_URL settings exist for the provider simulator in tests:
# production leaves them at the providers' own endpoints.
PAYMENT_ALIPAY_ENABLED = env.bool("PAYMENT_ALIPAY_ENABLED", default=False)
PAYMENT_ALIPAY_APP_ID = env.str("PAYMENT_ALIPAY_APP_ID", default="")
PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE = env.str("PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE", default="")
PAYMENT_ALIPAY_PUBLIC_KEY_FILE = env.str("PAYMENT_ALIPAY_PUBLIC_KEY_FILE", default="")
PAYMENT_ALIPAY_GATEWAY = env.str("PAYMENT_ALIPAY_GATEWAY", default="https://openapi.alipay.com/gateway.do")
PAYMENT_WECHAT_ENABLED = env.bool("PAYMENT_WECHAT_ENABLED", default=False)
PAYMENT_WECHAT_MCHID = env.str("PAYMENT_WECHAT_MCHID", default="")
PAYMENT_WECHAT_APPID = env.str("PAYMENT_WECHAT_APPID", default="")
PAYMENT_WECHAT_CERT_SERIAL_NO = env.str("PAYMENT_WECHAT_CERT_SERIAL_NO", default="")
PAYMENT_WECHAT_PRIVATE_KEY_FILE = env.str("PAYMENT_WECHAT_PRIVATE_KEY_FILE", default="")
PAYMENT_WECHAT_APIV3_KEY_FILE = env.str("PAYMENT_WECHAT_APIV3_KEY_FILE", default="")
PAYMENT_WECHAT_CERT_DIR = env.str("PAYMENT_WECHAT_CERT_DIR", default="")
PAYMENT_WECHAT_BASE_URL = env.str("PAYMENT_WECHAT_BASE_URL", default="https://api.mch.weixin.qq.com")
# Public base URL the providers post their notices to (behind a proxy, the site's https origin); empty =
# the URL the institution's browser used.
PAYMENT_NOTIFY_BASE_URL = env.str("PAYMENT_NOTIFY_BASE_URL", default="")
# Notifications beyond 站内信 (apps/notifications): sent by Celery after the change commits. Each channel is off
# until configured: a channel that is off only logs what it would have sent (通知发送记录).
NOTIFY_FANOUT = env.bool("NOTIFY_FANOUT", default=True)
NOTIFY_SITE_URL = env.str("NOTIFY_SITE_URL", default="http://127.0.0.1:8000")  # links in mails and group chats
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30, minimum=1)  # backoff: base, 2×, 4× …
NOTIFY_MAX_RETRIES = env_int("NOTIFY_MAX_RETRIES", 6)
# Email over SMTP (Django's mail framework).
NOTIFY_EMAIL_ENABLED = env.bool("NOTIFY_EMAIL_ENABLED", default=False)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="数银在线 <noreply@shuyin.local>")
# SMS through Alibaba Cloud (dysmsapi 2017-05-25 SendSms). SMS_ALIYUN_TEMPLATES maps event kinds to approved
# template codes ("offer.expiring=SMS_123,choice.expiring=SMS_456"); a kind without a template is only logged.
SMS_ALIYUN_ENABLED = env.bool("SMS_ALIYUN_ENABLED", default=False)
SMS_ALIYUN_ACCESS_KEY_ID = env.str("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_SIGN_NAME = env.str("SMS_ALIYUN_SIGN_NAME", default="")
SMS_ALIYUN_ENDPOINT = env.str("SMS_ALIYUN_ENDPOINT", default="dysmsapi.aliyuncs.com")
SMS_ALIYUN_PROTOCOL = env.str("SMS_ALIYUN_PROTOCOL", default="https")
SMS_ALIYUN_TEMPLATES = env.dict("SMS_ALIYUN_TEMPLATES", default={})
# Group robots may only post to these hosts (企业微信 and 钉钉's webhook hosts; tests add their receiver).
NOTIFY_ROBOT_HOSTS = env.list("NOTIFY_ROBOT_HOSTS", default=["qyapi.weixin.qq.com", "oapi.dingtalk.com"])
# The demo mailbox (演示邮箱): `make run` starts a local SMTP server (aiosmtpd) that files every mail under
# DEMO_MAILBOX_DIR, and the platform shows them. Production refuses it unless SHUYIN_DEMO declares a demo.
DEMO_MAILBOX = env.bool("DEMO_MAILBOX", default=False)
DEMO_MAILBOX_DIR = Path(env.str("DEMO_MAILBOX_DIR", default=str(BASE_DIR / "var" / "demo-mailbox")))
NOTIFY_DEMO_EMAIL_DOMAIN = env.str("NOTIFY_DEMO_EMAIL_DOMAIN", default="")  # demo people without an address
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
from shuyin.schedules import BEAT_SCHEDULE as CELERY_BEAT_SCHEDULE  # noqa: E402

# Every task beat schedules runs on the timers queue (a new schedule entry needs no routing of its
# own); report exports on the exports queue; anything else (e.g. the gateway's notify) on the default.
CELERY_TASK_ROUTES = {
    **{entry["task"]: {"queue": CELERY_TIMERS_QUEUE} for entry in CELERY_BEAT_SCHEDULE.values()},
    "reports.export": {"queue": CELERY_EXPORTS_QUEUE},
    "webhooks.deliver": {"queue": CELERY_WEBHOOKS_QUEUE},
}
# Webhooks (apps/webhooks): HTTPS only, except hosts named here (tests, a local demo receiver); retried with
# exponential backoff from WEBHOOK_RETRY_BASE_SECONDS for WEBHOOK_RETRY_WINDOW_SECONDS after the event; an endpoint
# failing WEBHOOK_DISABLE_AFTER attempts in a row (or a delivery that ran out of time) is switched off.
WEBHOOK_INSECURE_HOSTS = env.list("WEBHOOK_INSECURE_HOSTS", default=[])
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
WEBHOOK_RETRY_WINDOW_SECONDS = env_int("WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600, minimum=1)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 50, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_SWEEP_GRACE_SECONDS = env_int("WEBHOOK_SWEEP_GRACE_SECONDS", 60, minimum=0)
# Beat runs as one active scheduler plus standbys: the active one holds a Redis lock (shuyin/beat.py)
# and renews it on every tick; a standby takes over once the lock's TTL has run out.
CELERY_BEAT_SCHEDULER = "shuyin.beat:LockedScheduler"
BEAT_LOCK_KEY = env.str("BEAT_LOCK_KEY", default=f"shuyin:beat-lock:{CELERY_QUEUE}")
BEAT_LOCK_TTL = env_int("BEAT_LOCK_TTL", 30, minimum=2)

# Content Security Policy (django-csp 4): everything is served from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Logs: "plain" text (development, tests, `make run`) or "json" (production's default: one JSON object a line for a
# log collector). Every line names the request id (X-Request-ID, carried into Celery tasks: apps/observability).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
from apps.observability.logs import logging_config  # noqa: E402  (no Django imports: safe in settings)

LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)

# Operations (issue 22 §5, apps/observability): probes for load balancers and Prometheus metrics.
# /metrics answers only the connection addresses (REMOTE_ADDR) in METRICS_ALLOWED_IPS (addresses or CIDR networks);
# everyone else gets the ordinary 404.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
for _net in METRICS_ALLOWED_IPS:
    try:
        __import__("ipaddress").ip_network(_net.strip(), strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_net!r} is not an address or network ({exc})") from exc
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 15)  # product gauges are computed at most this often
METRICS_QUERY_TIMEOUT = env.float("METRICS_QUERY_TIMEOUT", default=2.0)
READYZ_TIMEOUT = env.float("READYZ_TIMEOUT", default=2.0)
READYZ_BEAT_MAX_AGE = env_int("READYZ_BEAT_MAX_AGE", 300, minimum=1)  # seconds since common.heartbeat last ran
READYZ_TIMER_MAX_LAG = env_int("READYZ_TIMER_MAX_LAG", 300, minimum=1)  # oldest due dispatch timer, seconds late
# Checks whose failure makes /readyz answer 503 (the others only mark it "degraded").
READYZ_CRITICAL = env.list("READYZ_CRITICAL", default=["database", "redis", "broker"])
_unknown = set(READYZ_CRITICAL) - {"database", "redis", "broker", "beat", "timers"}
if _unknown:
    raise ImproperlyConfigured(f"READYZ_CRITICAL: unknown checks {sorted(_unknown)}")

# Error reporting: Sentry (or a Sentry-compatible server) when SENTRY_DSN is set, off otherwise. Requests and
# Celery tasks are reported with their request id; no personal data is sent (send_default_pii off: no cookies,
# user names or addresses; request bodies are never sent).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from apps.observability.sentry import sentry_init  # noqa: E402

    sentry_init(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"),
                release=env.str("SENTRY_RELEASE", default="") or None,
                traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))
