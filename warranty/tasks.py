"""Celery tasks of the warranty domain; they call ``importing`` (never the other way round)."""

from celery import shared_task
from django.core.files import File
from django.db import transaction

from .importing import create_shipment_import, run_queued_shipment_import
from .models import ShipmentImport


@shared_task
def run_shipment_import(import_id: int) -> None:
    """Import an uploaded shipment CSV (admin, large files); a finished import is left alone."""
    run_queued_shipment_import(import_id=import_id)


def queue_shipment_import(
    *, upload: File, uploaded_by, create_buyers: bool, rows_total: int
) -> ShipmentImport:
    """Store an uploaded shipment CSV and have a worker import it once this commits."""
    job = create_shipment_import(
        upload=upload, uploaded_by=uploaded_by, create_buyers=create_buyers, rows_total=rows_total
    )
    transaction.on_commit(lambda: run_shipment_import.delay(job.pk))
    return job
