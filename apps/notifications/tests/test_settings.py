"""The demo mailbox shows every mail the site sent: production never routes it and refuses to start with it,
unless SHUYIN_DEMO declares a demonstration (like the local payment gateway)."""
import os
import subprocess
import sys

from django.conf import settings as django_settings

PROBE = """
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/platform/notifications/demo-mailbox/")
    print("routed")
except Resolver404:
    print("absent")
"""


def run_prod(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DEMO_MAILBOX", "SHUYIN_DEMO", "NOTIFY_DEMO_EMAIL_DOMAIN", "PAYMENT_LOCAL_GATEWAY")}
    environ.update(DJANGO_SETTINGS_MODULE="shuyin.settings.prod", SECRET_KEY="p" * 64, **env)
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + PROBE],
                          cwd=django_settings.BASE_DIR, env=environ, capture_output=True, text=True, timeout=120, check=False)


def test_production_omits_and_refuses_the_demo_mailbox():
    out = run_prod()
    assert out.returncode == 0 and out.stdout.split() == ["absent"], out.stderr
    out = run_prod(DEMO_MAILBOX="true")
    assert out.returncode != 0 and "DEMO_MAILBOX" in out.stderr and "ImproperlyConfigured" in out.stderr
    out = run_prod(DEMO_MAILBOX="true", SHUYIN_DEMO="true")
    assert out.returncode == 0 and out.stdout.split() == ["routed"], out.stderr
