"""Production settings pass Django's deployment checks and refuse bad configuration."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_manage(*args, **env):
    full = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full.update(DJANGO_SETTINGS_MODULE="shuyin.settings.prod", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True)


def test_check_deploy_clean():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        SECRET_KEY="k7#Qz!p2Lw9@Rt5^Yb3&Nc8*Vm1(Hs4)Jd6_Fg0+Xe-Ua=Oi-shuyin-prod", ALLOWED_HOSTS="shuyin.example.cn")
    assert result.returncode == 0, result.stdout + result.stderr


def test_prod_refuses_default_secret():
    result = run_manage("check", SECRET_KEY="")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_bad_integer_setting_fails_loudly():
    result = run_manage("check", SECRET_KEY="x9" * 30, SESSION_IDLE_MINUTES="ten")
    assert result.returncode != 0 and "SESSION_IDLE_MINUTES" in result.stderr


def test_collectstatic_with_the_production_storage(settings, tmp_path):
    """Production serves hashed, compressed files (WhiteNoise manifest storage): every file a vendored CSS
    refers to must exist, or collectstatic — and so the deployment — fails."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "static" / "staticfiles.json").exists()
