"""Liveness (/healthz) is cheap; readiness (/readyz) checks the database, the broker, the
storage and that a Celery worker answered, and names what failed."""

import pytest
from celery import current_app

from tests.conftest import WorkerProcess
from tests.notifications.test_outbox import broker_unreachable

pytestmark = pytest.mark.django_db


def test_liveness_touches_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_without_a_worker_is_unavailable_and_says_so(client):
    current_app.control.purge()

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["broker"]["ok"] and checks["storage"]["ok"]
    assert checks["workers"]["ok"] is False
    assert checks["workers"]["detail"]["answered"] == []


def test_readiness_with_the_broker_unreachable_names_the_broker(client):
    with broker_unreachable():
        response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False and checks["database"]["ok"] is True


def test_readiness_with_the_storage_unreachable_names_the_storage(client, settings):
    # Object storage on a port where nothing listens.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "nowhere",
                "endpoint_url": "http://127.0.0.1:9",
                "access_key": "x",
                "secret_key": "y",
                "region_name": "us-east-1",
            },
        },
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


@pytest.mark.celery_worker
def test_readiness_with_a_worker_per_queue_kind_is_ready_and_lists_the_consumers(
    transactional_db, client
):
    current_app.control.purge()
    mail = WorkerProcess(extra_args=["-Q", "mail", "-n", "mail@%h"]).start()
    rest = WorkerProcess(
        extra_args=["-Q", "documents,webhooks,imports,sweeps", "-n", "rest@%h"]
    ).start()
    try:
        from tests.conftest import wait_for

        body = wait_for(lambda: _ready(client), timeout=60, interval=1)
    finally:
        mail.stop()
        rest.stop()

    workers = body["checks"]["workers"]["detail"]
    assert workers["queues_without_worker"] == []
    assert len(workers["answered"]) == 2


def _ready(client):
    response = client.get("/readyz")
    body = response.json()
    detail = body["checks"]["workers"]["detail"]
    if response.status_code == 200 and len(detail["answered"]) == 2:
        return body
    return None
