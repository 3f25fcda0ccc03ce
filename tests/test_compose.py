"""docker-compose.yml stays a valid production stack (the engine does not run here)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_the_production_services():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = spec["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= services.keys()
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "shuyin", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "shuyin", "beat"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "shuyin.settings.prod"


def test_compose_scale_profile_has_the_scale_out_shape():
    """docker compose --profile scale (docs/scaling.md): nginx over two web hosts, a streaming replica,
    Redis Sentinel, one worker pool per queue and a standby beat; the default services stay as they are."""
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = spec["services"]
    scale = {name for name, svc in services.items() if "scale" in svc.get("profiles", [])}
    assert scale == {"nginx", "web-2", "postgres-replica", "redis-replica", "sentinel-1", "sentinel-2",
                     "sentinel-3", "worker-timers", "worker-exports", "worker-default", "beat-standby"}
    # services of the default profile never depend on a service that only the scale profile starts
    for name, svc in services.items():
        if name not in scale:
            assert not svc.get("profiles")
            assert not set(svc.get("depends_on", {})) & scale, name

    def queues(name):
        cmd = services[name]["command"]
        return cmd[cmd.index("-Q") + 1]

    assert (queues("worker-timers"), queues("worker-exports"), queues("worker-default")) == \
        ("timers", "exports", "celery")
    assert queues("worker") == "${WORKER_QUEUES:-celery,timers,exports}"  # one machine: all three queues
    for beat in ("beat", "beat-standby"):  # both use the locked scheduler (the settings' default)
        cmd = services[beat]["command"]
        assert cmd[:4] == ["celery", "-A", "shuyin", "beat"] and "-S" not in cmd and "--scheduler" not in cmd
    assert services["beat"]["command"][-1] != services["beat-standby"]["command"][-1]  # own schedule files
    for name in ("web-2", "worker-timers", "worker-exports", "worker-default", "beat-standby"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "shuyin.settings.prod"
        assert {"DATABASE_REPLICA_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"} <= env.keys()

    nginx_conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upstream = nginx_conf[nginx_conf.index("upstream shuyin_web"):]
    upstream = upstream[:upstream.index("}")]
    for web in ("web", "web-2"):
        assert f"server {web}:8000" in upstream
        assert services[web]["command"][:2] == ["gunicorn", "shuyin.wsgi:application"]
    assert "proxy_set_header X-Forwarded-Proto $scheme" in nginx_conf
    assert "proxy_set_header X-Real-IP $remote_addr" in nginx_conf

    # every file the compose file mounts is in the repository
    for svc in services.values():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source

    env_file = dict(line.split("=", 1) for line in (ROOT / "deploy" / "scale.env").read_text().splitlines()
                    if line and not line.startswith("#"))
    assert env_file["COMPOSE_PROFILES"] == "scale" and env_file["WORKER_QUEUES"] == "celery"
    assert env_file["DATABASE_REPLICA_URL"].split("@")[1] == "postgres-replica:5432/shuyin"
    sentinels = {s.split(":")[0] for s in env_file["REDIS_SENTINELS"].split(",")}
    assert sentinels == {"sentinel-1", "sentinel-2", "sentinel-3"}
    sentinel_conf = (ROOT / "deploy" / "redis" / "sentinel.conf").read_text()
    assert f"sentinel monitor {env_file['REDIS_SENTINEL_MASTER']} redis 6379 2" in sentinel_conf


def _compose_cli():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.parametrize("env_file", [None, "deploy/scale.env"])
def test_compose_config_parses(env_file):
    """`docker compose config` accepts the file, with and without the scale profile (needs the CLI)."""
    cli = _compose_cli()
    assert cli is not None, "no docker compose CLI: .ci/run installs Debian's docker-compose"
    args = [*cli, *(["--env-file", env_file] if env_file else []), "config", "-q"]
    env = {**os.environ, "SECRET_KEY": "x" * 50, "POSTGRES_PASSWORD": "pw", "POSTGRES_REPLICATION_PASSWORD": "rpw"}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
