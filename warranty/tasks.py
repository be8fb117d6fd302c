"""Celery tasks of the warranty domain; they call ``importing`` (never the other way round).

A background import is never lost to a broker fault, without the notifications outbox (this
app knows nothing of notifications): its ``ShipmentImport`` row is the durable record. The
task is handed to the broker after commit; if that fails (Redis down at upload), or the broker
loses it (restarted empty), or its worker and message are gone, beat's
``resume_shipment_imports`` hands it over again (``importing.imports_to_resume``). Running an
import twice is safe: a finished one is left alone.
"""

import logging

from celery import shared_task
from django.core.files import File
from django.db import transaction

from .importing import (
    create_shipment_import,
    imports_to_resume,
    mark_import_published,
    run_queued_shipment_import,
)
from .models import ShipmentImport

logger = logging.getLogger(__name__)
# One quick reconnect, then give up: the clerk's request must not hang on a dead broker.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}


@shared_task
def run_shipment_import(import_id: int) -> None:
    """Import an uploaded shipment CSV (admin, large files); a finished import is left alone."""
    run_queued_shipment_import(import_id=import_id)


def queue_shipment_import(
    *, upload: File, uploaded_by, create_buyers: bool, rows_total: int
) -> ShipmentImport:
    """Store an uploaded shipment CSV and have a worker import it once this commits (or, with
    the broker down then, once beat's ``resume_shipment_imports`` finds it)."""
    job = create_shipment_import(
        upload=upload, uploaded_by=uploaded_by, create_buyers=create_buyers, rows_total=rows_total
    )
    transaction.on_commit(lambda: publish_shipment_import(job.pk))
    return job


def publish_shipment_import(import_id: int) -> bool:
    """Hand an import's task to the broker; False (logged, nothing raised) if it is down."""
    try:
        run_shipment_import.apply_async(
            args=[import_id], ignore_result=True, retry=True, retry_policy=RETRY_POLICY
        )
    except Exception as exc:  # nearly always the broker being unreachable
        logger.warning("Broker unavailable; shipment import %s left for beat: %s", import_id, exc)
        return False
    mark_import_published(import_id)
    return True


@shared_task
def resume_shipment_imports() -> int:
    """Beat: hand over again the background imports no worker has (see the module)."""
    return sum(publish_shipment_import(import_id) for import_id in imports_to_resume())
