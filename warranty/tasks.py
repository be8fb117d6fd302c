"""Celery tasks of the warranty domain; they call ``importing`` (never the other way round).

The warranty domain's edge to Celery: the one module of it that knows of the outbox (the import
contract "The warranty engine knows nothing of …" makes this one exception, pyproject.toml)."""

from celery import shared_task
from django.core.files import File
from django.db import transaction

from notifications import outbox

from .importing import create_shipment_import, run_queued_shipment_import
from .models import ShipmentImport


@shared_task
def run_shipment_import(import_id: int) -> None:
    """Import an uploaded shipment CSV (admin, large files); a finished import is left alone."""
    run_queued_shipment_import(import_id=import_id)


def queue_shipment_import(
    *, upload: File, uploaded_by, create_buyers: bool, rows_total: int
) -> ShipmentImport:
    """Store an uploaded shipment CSV and have a worker import it once this commits.

    The task goes through the outbox, in the same transaction as the import's record: with
    Redis down at upload, or restarted empty before a worker took it, it is published once the
    broker is back (beat's drain and reconcile), never left "queued" for ever. Running it twice
    is safe (``run_queued_shipment_import`` leaves a finished import alone)."""
    with transaction.atomic():
        job = create_shipment_import(
            upload=upload,
            uploaded_by=uploaded_by,
            create_buyers=create_buyers,
            rows_total=rows_total,
        )
        outbox.enqueue(
            run_shipment_import.name, args=[job.pk], dedupe_key=f"shipment-import:{job.pk}"
        )
    return job
