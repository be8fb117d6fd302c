from celery import shared_task

from .importing import run_queued_shipment_import


@shared_task
def run_shipment_import(import_id: int) -> None:
    """Import an uploaded shipment CSV (admin, large files); a finished import is left alone."""
    run_queued_shipment_import(import_id=import_id)
