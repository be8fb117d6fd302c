"""Celery tasks of the claims app: each loads by id and calls a service, safe to run twice."""

from celery import shared_task

from . import document_service, events
from .models import Document


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def render_document(self, document_id: int) -> str | None:
    """Render one document's PDF (R1, D1, D2); a document deleted since has nothing to do."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return None
    return document_service.render(document).status


@shared_task
def checkpoint_event_log() -> int:
    """Beat, every 10 minutes: a signed checkpoint of every claim's event-log head."""
    return events.checkpoint_all()
