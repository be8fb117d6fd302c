"""docker-compose.yml stays valid YAML (there is no Docker engine here) and runs what the
operations docs say: a one-shot migration, web checked by /readyz, a worker per queue, one beat."""

import shlex

import yaml
from django.conf import settings

from tests.conftest import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_queue_has_its_own_worker_service_with_a_health_check():
    services = compose()["services"]
    consumed = {}
    for name, service in services.items():
        command = service.get("command", "")
        if " worker " in f" {command} ":
            args = shlex.split(command)
            queues = args[args.index("-Q") + 1].split(",")
            for queue in queues:
                consumed.setdefault(queue, []).append(name)
            node = args[args.index("-n") + 1].split("@")[0]
            assert f"-d {node}@$$HOSTNAME" in " ".join(service["healthcheck"]["test"])

    assert set(consumed) == set(settings.CELERY_QUEUE_NAMES)
    assert all(len(names) == 1 for names in consumed.values())


def test_web_is_checked_by_readiness_and_waits_for_the_migration():
    services = compose()["services"]
    web = services["web"]

    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert "migrate" not in web["command"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "manage.py migrate" in services["migrate"]["command"]


def test_app_services_share_one_image_and_the_storage_and_sentry_settings():
    services = compose()["services"]
    app = [s for s in services.values() if s.get("image") == "cpro-rma-portal"]

    assert len(app) == 8  # migrate, web, five workers, beat
    for service in app:
        assert {"STORAGE_URL", "SENTRY_DSN", "DATABASE_URL", "CELERY_BROKER_URL"} <= set(
            service["environment"]
        )
    beats = [s for s in app if "beat" in shlex.split(s["command"])]
    assert len(beats) == 1


def test_redis_persists_its_queues():
    assert "--appendonly yes" in compose()["services"]["redis"]["command"]
