"""Production settings plus the baseline pages the benchmark compares against (bench_urls)."""
from shuyin.settings.prod import *  # noqa: F401,F403

ROOT_URLCONF = "bench_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
