"""docker-compose.yml stays a valid production stack (the engine does not run here)."""
from pathlib import Path

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
