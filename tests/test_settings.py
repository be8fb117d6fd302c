"""Settings come from the environment with embedded defaults (STYLE 8)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'db': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL,"
    "'results': s.CELERY_RESULT_BACKEND, 'tz': s.TIME_ZONE,"
    "'languages': [code for code, _ in s.LANGUAGES]}))"
)


def run_manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.pop("CELERY_BROKER_URL", None)
    clean.pop("CELERY_RESULT_BACKEND", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_embedded_defaults_need_no_database_server_or_broker(tmp_path):
    out = run_manage("shell", "-c", SHOW, env={"DJANGO_DEBUG": "1", "RMA_VAR_DIR": str(tmp_path)})

    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["broker"] == "filesystem://"
    assert values["results"].startswith("file://")
    assert values["tz"] == "Asia/Seoul"
    assert values["languages"] == ["en", "ko"]


def test_environment_switches_to_postgresql_and_redis():
    out = run_manage(
        "shell",
        "-c",
        SHOW,
        env={
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/rma_portal",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3",
        },
    )

    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["db"] == "django.db.backends.postgresql"
    assert values["broker"] == values["results"] == "redis://127.0.0.1:6379/3"


def test_production_variables_pass_check_deploy_without_warnings():
    out = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SECRET_KEY": "x7" * 30 + "-not-a-real-secret-but-long-and-varied-QzR8",
            "DJANGO_ALLOWED_HOSTS": "rma.cpro.example",
            "EMAIL_HOST": "smtp.cpro.example",
            "RMA_EVENT_LOG_KEYS": "1:" + "k9" * 20,
        },
    )

    assert out.returncode == 0, out.stderr
    assert "no issues" in out.stdout


def test_check_deploy_warns_when_the_event_log_key_is_the_embedded_one(monkeypatch):
    monkeypatch.delenv("RMA_EVENT_LOG_KEYS", raising=False)
    env = {
        "DJANGO_SECRET_KEY": "x7" * 30 + "-not-a-real-secret-but-long-and-varied-QzR8",
        "DJANGO_ALLOWED_HOSTS": "rma.cpro.example",
        "EMAIL_HOST": "smtp.cpro.example",
    }
    out = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert out.returncode != 0
    assert "claims.W001" in out.stderr + out.stdout


def test_without_a_secret_key_the_web_server_refuses_and_check_deploy_fails():
    env = {"DJANGO_ALLOWED_HOSTS": "rma.cpro.example", "EMAIL_HOST": "smtp.cpro.example"}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(env)
    server = subprocess.run(
        [sys.executable, "-c", "import rma_portal.wsgi"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    deploy = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert server.returncode != 0
    assert "DJANGO_SECRET_KEY" in server.stderr
    assert deploy.returncode != 0
    assert "security.W009" in deploy.stderr + deploy.stdout


def test_one_off_commands_run_without_production_variables():
    out = run_manage("makemigrations", "--check", "--dry-run", env={})

    assert out.returncode == 0, out.stderr
