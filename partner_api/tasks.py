"""Celery tasks of the partner API: a few lines each, safe to run twice."""

from celery import shared_task

from . import idempotency, webhooks


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a webhook delivery; a failure schedules the next with backoff (2ⁿ s)."""
    retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None:
        deliver_webhook.apply_async(args=[delivery_id], countdown=retry_in)


@shared_task
def sweep() -> dict[str, int]:
    """Beat: drop idempotency keys older than 24 h; queue again webhook retries whose message
    was lost (a worker or the broker restarted)."""
    return {
        "idempotency_keys_purged": idempotency.purge_expired(),
        "webhooks_overdue": webhooks.requeue_overdue(),
    }
