"""Error reporting: with SENTRY_DSN set, an unhandled error in a request reaches a Sentry server — here a local
one speaking Sentry's envelope protocol over HTTP — tagged with the request id and without personal data; without
SENTRY_DSN nothing is initialised."""
import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from conftest import celery_env


class SentryServer:
    """Accepts POST /api/<project>/envelope/ (gzip, deflate or plain) and keeps every item."""

    def __init__(self):
        self.items = []
        self.auth = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                outer.auth.append(self.headers.get("X-Sentry-Auth", ""))
                lines = body.split(b"\n")
                i = 1  # line 0 is the envelope header
                while i + 1 < len(lines):
                    header = json.loads(lines[i])
                    payload = lines[i + 1]
                    outer.items.append((header.get("type"), json.loads(payload) if payload.startswith(b"{") else {}))
                    i += 2
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


RAISE = """
import django, sys
django.setup()
import sentry_sdk
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

def broken(request):
    raise RuntimeError("故障演示: 派发计时异常")

urls = type(sys)("sentry_test_urls")
urls.urlpatterns = [path("broken/", broken)]
sys.modules["sentry_test_urls"] = urls
print("initialised", sentry_sdk.get_client().is_active())
with override_settings(ROOT_URLCONF="sentry_test_urls"):
    resp = Client(raise_request_exception=False).get("/broken/", HTTP_X_REQUEST_ID="err-77",
                                                      HTTP_COOKIE="sessionid=secret-cookie")
print("status", resp.status_code)
sentry_sdk.flush(5)
"""


@pytest.mark.django_db
def test_errors_reach_sentry_with_the_request_id():
    server = SentryServer()
    try:
        env = {**celery_env("sentry"), "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.port}/42",
               "SENTRY_ENVIRONMENT": "test", "PYTHONPATH": str(settings.BASE_DIR)}
        out = subprocess.run([sys.executable, "-c", RAISE], cwd=settings.BASE_DIR, env=env, capture_output=True,
                             text=True, timeout=90)
        assert "initialised True" in out.stdout and "status 500" in out.stdout, out.stdout + out.stderr[-3000:]
        events = [payload for kind, payload in server.items if kind == "event"]
        assert events, (server.items, out.stderr[-2000:])
        event = next(e for e in events if e.get("exception"))
        (exc,) = event["exception"]["values"]
        assert exc["type"] == "RuntimeError" and "派发计时异常" in exc["value"]
        assert event["tags"]["request_id"] == "err-77" and event["environment"] == "test"
        assert "secret-cookie" not in json.dumps(event)  # no cookies, no personal data
        assert all("sentry_key=publickey" in a for a in server.auth)
    finally:
        server.close()


def test_sentry_is_off_without_a_dsn():
    import sentry_sdk

    assert not os.environ.get("SENTRY_DSN") and not settings.SENTRY_DSN
    assert not sentry_sdk.get_client().is_active()
