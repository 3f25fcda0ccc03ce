from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)

# Static files straight from static/ (no collectstatic outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Development and `make run`: the local payment gateway stands in for the real providers.
PAYMENT_LOCAL_GATEWAY = env.bool("PAYMENT_LOCAL_GATEWAY", default=True)
