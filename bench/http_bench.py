"""HTTP part of `make bench`: real gunicorn (production settings, DEBUG off, persistent database connections)
on loopback, a load generator of keep-alive-free HTTP/1.1 clients in separate processes, after a warm-up.

Data: 1,000,000 applications (full scale) inserted with INSERT … SELECT generate_series. Baselines measured in the
same run (bench_urls.py): a constant, a one-query template page, a bare 50-row paginated list of the
applications table, Django admin's changelist of it. Queries per request are counted with Django's test client
on the same pages."""
import http.client
import multiprocessing as mp
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-pass-2026"
SECRET = "bench-" + "k" * 60  # the server's SECRET_KEY (sessions made here must verify there)


def generate(n: int) -> dict:
    """``n`` applications (30 % waiting for 贷审, 10 % for 客服) of 50 customer managers, members included; the users the
    pages are measured as; an institution with a profile and offers for its dashboard."""
    from django.db import connection

    from apps.accounts.models import Organization
    from apps.accounts.services import institution_role, organization_create, platform_role, user_create
    from apps.dispatch import services as dispatch
    from apps.products.models import Product
    from apps.regions.models import Region

    t0 = time.monotonic()
    org = Organization.objects.get(code="bench-shuyin")
    cms = [user_create(username=f"bench_cm{i}", password=None, real_name=f"客户经理{i}", organization=org,
                       roles=[platform_role("cm")]) for i in range(50)]
    lr = user_create(username="bench_lr", password=PASSWORD, real_name="基准贷审", organization=org,
                     roles=[platform_role("lr")])
    cs = user_create(username="bench_cs", password=PASSWORD, real_name="基准客服", organization=org,
                     roles=[platform_role("cs")])
    from apps.accounts.models import User

    User.objects.create_superuser(username="bench_root", password=PASSWORD, real_name="超级管理员", organization=org)
    inst = organization_create(code="bench-inst", name="基准合作机构", kind=Organization.Kind.INSTITUTION,
                               region=Region.objects.filter(level=3).first())
    inst_user = user_create(username="bench_inst", password=PASSWORD, real_name="机构管理员", organization=inst,
                            roles=[institution_role(inst, "inst_admin")])
    dispatch.profile_ensure(inst)
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    # the server runs production settings: store the passwords with a hasher it accepts
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(username__in=["bench_lr", "bench_cs", "bench_cm0", "bench_root", "bench_inst"]).update(
        password=hasher.encode(PASSWORD, hasher.salt()))
    product = Product.objects.first() or Product.objects.create(code="bench-http", name="基准产品", category="credit",
                                                                 hold_amount="1000.00")
    region = Region.objects.filter(level=3).first()
    cm_ids = [c.pk for c in cms]
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM members_member")
        base = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO members_member (created_at, updated_at, real_name, id_number, mobile, address, client_type,"
            " birth_date, id_photo_front, id_photo_back, birthplace_known, status, reject_reason, verified_via, identity_conflict,"
            " organization_id, registered_by_id)"
            " SELECT now(), now(), '基准客户' || g, 'H' || lpad(g::text, 17, '0'), '139' || lpad((g %% 100000000)::text, 8, '0'),"
            " '-', 'individual', '1990-01-01', '-', '-', true, 'verified', '', '', false, %s, %s"
            " FROM generate_series(1, %s) g", [org.pk, cm_ids[0], n])
        cur.execute(
            "INSERT INTO applications_application (created_at, updated_at, order_no, amount, term_months, purpose,"
            " client_type, status, supplement_count, supplement_return_to, supplement_note, manual_intervention,"
            " supplement_asks_info, supplement_doc_mark, submitted_at, cm_id, member_id, organization_id, product_id,"
            " region_id)"
            " SELECT now() - (g %% 365) * interval '1 day', now(), 'HB' || lpad(g::text, 12, '0'),"
            " 10000 + (g %% 90) * 1000, 12, '基准', 'individual',"
            " (ARRAY['lr_review','lr_review','lr_review','cs_review','completed','lr_rejected','withdrawn',"
            "        'completed','completed','draft'])[1 + g %% 10],"
            " 0, '', '', false, false, 0, now() - (g %% 365) * interval '1 day',"
            " (%s::bigint[])[1 + g %% 50], m.id, %s, %s, %s"
            " FROM generate_series(1, %s) g JOIN members_member m ON m.id = %s + g",
            [cm_ids, org.pk, product.pk, region.pk, n, base])
        cur.execute("VACUUM ANALYZE members_member")
        cur.execute("VACUUM ANALYZE applications_application")
    return {"seconds": time.monotonic() - t0, "lr": lr, "cs": cs, "cm": cms[0], "inst_user": inst_user}


def api_offers(inst_user, n: int = 200) -> str:
    """``http.api.offers``: ``n`` offers to the bench institution (one dispatch each, straight rows) and an API key
    of its administrator; returns the ``Authorization`` value. The list is one query whatever ``n`` (keyset pages)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.api.services import key_create, key_grantable_codes
    from apps.applications.models import Application
    from apps.dispatch.models import Candidate, Dispatch, Profile, Round

    now, profile = timezone.now(), Profile.objects.get(institution=inst_user.organization)
    apps_ = list(Application.objects.filter(order_no__startswith="HB").order_by("pk")[:n])
    ds = Dispatch.objects.bulk_create([Dispatch(application=a, attempt=1, level="city", started_at=now,
                                                cutoff_at=now + timedelta(days=1)) for a in apps_])
    rounds = Round.objects.bulk_create([Round(dispatch=d, number=1, started_at=now, deadline=now + timedelta(hours=8))
                                        for d in ds])
    Candidate.objects.bulk_create([Candidate(dispatch=d, round=r, application=a, institution=inst_user.organization,
                                             profile=profile, offered_at=now, deadline=now + timedelta(days=1))
                                   for a, d, r in zip(apps_, ds, rounds)])
    _key, raw = key_create(actor=inst_user, name="基准", permission_codes=key_grantable_codes(), rate_per_minute=6000)
    return f"Bearer {raw}"


def api_queries(path: str, auth: str) -> int:
    """Queries of one API request after a first one (as ``queries`` counts the pages)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_AUTHORIZATION=auth)
    with override_settings(ROOT_URLCONF="bench_urls"):
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(path)
    assert resp.status_code == 200 and len(resp.json()["items"]) == 20, (path, resp.status_code)
    return len(ctx)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**env, "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
           "ALLOWED_HOSTS": "127.0.0.1", "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
           "SECRET_KEY": SECRET, "DB_CONN_MAX_AGE": "600"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "bench_wsgi:application", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(os.cpu_count() or 2), "--log-level", "warning"], cwd=ROOT / "bench", env=env,
                            start_new_session=True)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def stop_server(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(20)


def _request(port: int, path: str, cookie: str = "", method: str = "GET", body: str = "", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    auth = {"Authorization": cookie} if cookie.startswith("Bearer ") else {"Cookie": cookie}  # an API key or a session
    h = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", **auth, **(headers or {})}
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def login(port: int, area: str, username: str) -> str:
    """A real sign-in through the area's login page (``django-admin`` for the admin site); returns the Cookie
    header for later requests."""
    resp, data = _request(port, f"/{area}/login/")
    csrf = re.search(r"csrftoken=([^;]+)", resp.getheader("Set-Cookie") or "").group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data).group(1).decode()
    body = f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}"
    resp, _ = _request(port, f"/{area}/login/", cookie=f"csrftoken={csrf}", method="POST", body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Referer": f"https://127.0.0.1:{port}/{area}/login/"})
    assert resp.status == 302, (area, username, resp.status)
    session = re.search(r"sessionid=([^;]+)", " ".join(v for k, v in resp.getheaders() if k == "Set-Cookie")).group(1)
    return f"csrftoken={csrf}; sessionid={session}"


def admin_session(user) -> str:
    """A signed-in session for Django admin, made by Django's own login (the session lives in the database the
    server reads)."""
    from django.test import Client, override_settings

    with override_settings(SECRET_KEY=SECRET):
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"


def _client(port, paths, cookie, seconds, out, barrier):
    times = []
    barrier.wait()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        path = paths[len(times) % len(paths)]
        t = time.perf_counter()
        resp, _ = _request(port, path, cookie)
        if resp.status != 200:
            out.put(("error", resp.status))
            return
        times.append(time.perf_counter() - t)
    out.put(("ok", times))


def load(port: int, path: str | list[str], cookie: str = "", *, seconds: float, clients: int = 4) -> dict:
    """``clients`` processes requesting ``path`` back to back for ``seconds`` after a short warm-up. Given a list
    of paths, each client walks its own share of it once (first views: nothing of them is cached yet)."""
    if isinstance(path, str):
        warm, shares = [path] * 5, [[path]] * clients
    else:  # the first five warm up; the rest is split between the clients
        warm, walk = path[:5], path[5:]
        shares = [walk[i::clients] for i in range(clients)]
    for p in warm:
        resp, _ = _request(port, p, cookie)
        assert resp.status == 200, (p, resp.status)
    ctx = mp.get_context("fork")
    out, barrier = ctx.Queue(), ctx.Barrier(clients)
    procs = [ctx.Process(target=_client, args=(port, share, cookie, seconds, out, barrier)) for share in shares]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r for r in results if r[0] == "error"]
    assert not errors, (path, errors)
    times = sorted(t for _, ts in results for t in ts)
    return {"rps": len(times) / seconds, "p50_ms": statistics.median(times) * 1000,
            "p99_ms": times[int(len(times) * 0.99)] * 1000}


def queries(path: str, user, area: str, *, warm: str | None = None) -> int:
    """Database queries one request of ``path`` makes (Django test client, same code, production settings), after
    a first request of ``warm`` (default: ``path`` itself, so that a repeated request is counted)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    with override_settings(ROOT_URLCONF="bench_urls"):  # the server's URLs (the product's and the bench pages)
        if user is not None:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
                resp = client.post(f"/{area}/login/", {"username": user.username, "password": PASSWORD})
            assert resp.status_code == 302, (area, resp.status_code)
        client.get(warm or path)
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return len(ctx)
