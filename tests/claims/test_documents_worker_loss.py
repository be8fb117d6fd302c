"""A worker killed with SIGKILL while rendering: the document still exists exactly once
afterwards (acks_late + reject_on_worker_lost; render is idempotent)."""

import signal
import time

import pytest
from celery import current_app

from claims import document_service
from claims.models import ClaimEvent, Document, DocumentKind
from tests.conftest import WorkerProcess, wait_for
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory

VISIBILITY_TIMEOUT = 3  # seconds before Redis hands an unacknowledged task to another worker


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Set before the workers start, so they store files here too.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def taken_by_a_worker() -> bool:
    """The task left the queue for a worker's unacknowledged set: it is being executed."""
    with current_app.connection_for_write() as connection:
        redis = connection.default_channel.client
        return redis.llen("documents") == 0 and redis.hlen("unacked") == 1


@pytest.mark.celery_worker
def test_a_worker_killed_while_rendering_leaves_the_document_exactly_once(
    transactional_db, media_root
):
    current_app.control.purge()
    organisation = OrganisationFactory(code="bulk")
    claim = ClaimFactory(
        organisation=organisation, status="return_authorized", rma_number="RMA-2026-000900"
    )
    # Enough items that rendering takes seconds, so the kill lands mid-render.
    for position in range(150):
        ClaimItemFactory(claim=claim, return_authorized=True, position=position)
    env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    first = WorkerProcess(extra_env=env).start()
    second = None
    try:
        document = document_service.request_document(
            claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
        )
        wait_for(taken_by_a_worker, timeout=60, interval=0.05)
        time.sleep(0.5)
        first.stop(signal.SIGKILL)

        document.refresh_from_db()
        assert document.status == "pending"  # killed mid-render: nothing was committed
        assert not (media_root / "documents").exists() or not any(
            (media_root / "documents").iterdir()
        )

        time.sleep(VISIBILITY_TIMEOUT + 1)
        second = WorkerProcess(extra_env=env).start()
        wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready", timeout=120)
        time.sleep(VISIBILITY_TIMEOUT + 2)  # room for a duplicate delivery, which changes nothing
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()

    assert Document.objects.filter(claim=claim).count() == 1
    assert len(list((media_root / "documents").iterdir())) == 1
    assert ClaimEvent.objects.filter(claim=claim, kind="document_issued").count() == 1
    document.refresh_from_db()
    assert document.file.storage.exists(document.file.name)
