"""`make run` shows the product as its users see it: production settings with DEBUG off under gunicorn, the
product's Chinese error pages, collected static files, a favicon, and a working sign-in with the demo data.
The real command (bin/stack.py run) is started against a database of its own and stopped again."""
import http.cookiejar
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
               CELERY_QUEUE=f"run-{uuid.uuid4().hex[:6]}")
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
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
