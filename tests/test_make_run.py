"""`make run` shows the product as its users see it: production settings with DEBUG off under gunicorn, the
product's Chinese error pages, collected static files, a favicon, and a working sign-in with the demo data.
The real command (bin/stack.py run) is started against a database of its own and stopped again."""
import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import psycopg2
import pytest
from django.conf import settings

from conftest import free_port, wait_for

pytestmark = pytest.mark.celery  # it starts a Celery worker and beat too


def _fetch(opener, url, data=None):
    try:
        resp = opener.open(url, data=urllib.parse.urlencode(data).encode() if data else None, timeout=20)
        return resp.status, resp.geturl(), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError):  # not listening yet
        return 0, url, ""


@pytest.fixture
def run_database():
    db = settings.DATABASES["default"]
    name = f"shuyin_run_{uuid.uuid4().hex[:8]}"
    admin = dict(dbname="postgres", user=db["USER"], host=db["HOST"], port=db["PORT"], password=db["PASSWORD"])
    conn = psycopg2.connect(**admin)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def test_make_run_serves_the_product_with_debug_off(run_database, tmp_path):
    port = free_port()
    redis_url = re.sub(r"/\d*$", "/15", os.environ["REDIS_URL"])
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")}
    env.update(DATABASE_URL=run_database, REDIS_URL=redis_url, PORT=str(port),
               CELERY_QUEUE=f"run-{uuid.uuid4().hex[:6]}", LOG_FORMAT="json")  # production's logs
    proc = subprocess.Popen([sys.executable, "bin/stack.py", "run"], cwd=settings.BASE_DIR, env=env,
                            stdout=open(tmp_path / "run.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        assert wait_for(lambda: proc.poll() is not None or _fetch(opener, base + "/")[0] == 200, timeout=240), \
            (tmp_path / "run.log").read_text()[-3000:]
        assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
        log = (tmp_path / "run.log").read_text()
        assert "gunicorn" in log and "DEBUG off" in log

        status, _url, page = _fetch(opener, base + "/ops/no-such-page/")
        assert status == 404 and "页面不存在" in page and 'lang="zh-hans"' in page
        assert "URLconf" not in page and "Page not found" not in page  # not Django's technical page

        status, _url, icon = _fetch(opener, base + "/favicon.ico")
        assert status == 200
        css = re.search(r'href="(/static/css/shuyin\.[0-9a-f]+\.css)"', page)
        assert css, "static files come from the manifest storage (hashed names)"
        assert _fetch(opener, base + css.group(1))[0] == 200

        status, _url, login = _fetch(opener, base + "/ops/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        status, url, home = _fetch(opener, base + "/ops/login/", {"csrfmiddlewaretoken": token, "username": "cm1",
                                                                  "password": "shuyin-demo-2026"})
        assert status == 200 and not url.endswith("/login/") and "退出" in home

        status, _url, forbidden = _fetch(opener, base + "/platform/")
        assert status in (403, 200) and "Traceback" not in forbidden

        operations_are_observable(base, port, opener, tmp_path / "run.log")
        demo_mails_arrive(base)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def demo_mails_arrive(base):
    """Issue 21 §1: the demo's own SMTP server receives the mails the worker sends (the seed's offers), and the
    platform's 演示邮箱 shows them."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _status, _url, login = _fetch(opener, base + "/platform/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    _fetch(opener, base + "/platform/login/", {"csrfmiddlewaretoken": token, "username": "admin",
                                                "password": "shuyin-demo-2026"})
    box = base + "/platform/notifications/demo-mailbox/"
    assert wait_for(lambda: "【数银在线】" in _fetch(opener, box)[2], timeout=120), _fetch(opener, box)[2][-2000:]
    key = re.search(r'href="/platform/notifications/demo-mailbox/([^/"]+)/"', _fetch(opener, box)[2]).group(1)
    status, _url, mail = _fetch(opener, f"{box}{key}/")
    assert status == 200 and "@demo.shuyin." in mail and "查看：" in mail, mail[-1500:]


def _json_lines(path) -> list[dict]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
    return lines


def _get(port, path, *, source="127.0.0.1", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def operations_are_observable(base, port, opener, log_path):
    """Issue 22 §5 on the running stack: the probes, /metrics from an allowed and a refused address, and one request
    id followed from the web process's JSON log into the Celery worker's."""
    status, headers, body = _get(port, "/healthz", headers={"Host": "10.0.0.5"})  # probed by address
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _h, body = _get(port, "/readyz")
    ready = json.loads(body)
    assert status == 200, body
    assert all(ready["checks"][name]["ok"] for name in ("database", "redis", "broker", "timers")), ready
    assert "heartbeat_age_s" in ready["checks"]["beat"]

    status, _h, text = _get(port, "/metrics")
    assert status == 200, text[:500]
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus, summed over the workers
    assert "shuyin_dispatch_offers_open " in text and "shuyin_holds_active_amount_yuan " in text
    assert 'shuyin_metrics_errors{group="dispatch"} 0.0' in text
    # the same server seen from 127.0.0.2, an address METRICS_ALLOWED_IPS (loopback 127.0.0.1, ::1) does not hold
    status, _h, page = _get(port, "/metrics", source="127.0.0.2")
    assert status == 404 and "页面不存在" in page and "shuyin_" not in page

    rid = f"run-{uuid.uuid4().hex[:10]}"
    status, headers, _page = _get(port, "/ops/no-such-page/", headers={"X-Request-ID": rid})
    assert status == 404 and headers.get("X-Request-ID") == rid
    assert wait_for(lambda: [x for x in _json_lines(log_path)
                             if x.get("request_id") == rid and x.get("logger") == "django.request"], timeout=20), \
        log_path.read_text()[-3000:]

    # a request that queues a task (cm1, signed in above, exports the report): the worker logs under its id
    _status, _url, stats = _fetch(opener, base + "/ops/reports/")
    form = re.search(r'<form method="post" action="([^"]*exports/new/)".*?</form>', stats, re.DOTALL)
    assert form, stats[:2000]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    rid = f"run-{uuid.uuid4().hex[:10]}"
    request = urllib.request.Request(base + form.group(1), data=urllib.parse.urlencode({**fields, "fmt": "xlsx"}).encode(),
                                     headers={"X-Request-ID": rid})
    with opener.open(request, timeout=20) as resp:
        assert resp.status == 200
    task_lines = wait_for(lambda: [x for x in _json_lines(log_path) if x.get("request_id") == rid
                                   and "reports.export" in x.get("message", "") and "succeeded" in x["message"]],
                          timeout=60)
    assert task_lines, log_path.read_text()[-3000:]
