"""The transactional outbox: Celery tasks published after commit, or later, never lost.

``enqueue`` writes the task into the caller's transaction, so it exists exactly when the change
that needs it was committed. Right after commit it is published at once; if the broker is down
at that moment the row simply stays unsent and ``drain`` (beat, every 30 s) publishes it once
the broker is back (SPEC "What every part must hold": not lost when Redis is down). A request
never waits on the broker: no result backend is touched, the connect timeout is short, and after
a failure this process leaves publishing to the drain for ``BROKER_DOWN_PAUSE``.

Publishing is at-least-once: a crash between the broker accepting a task and the row being
marked sent publishes it again on the next drain. The tasks behind it are idempotent (e-mails
are recorded in ``SentEmail``), so a second delivery does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# One quick reconnect (a pooled connection may be stale after a Redis restart), then give up:
# the request that committed must not hang on a dead broker; the drain tries again.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# After a failed publish, requests in this process leave their rows to the drain for this long
# instead of each paying the connect timeout again: a broker outage costs one request at most
# one connect timeout (settings: CELERY_BROKER_CONNECT_TIMEOUT), the others nothing.
BROKER_DOWN_PAUSE = 10.0
_broker_down_until = 0.0


def enqueue(task_name: str, *, args: Sequence = (), dedupe_key: str) -> OutboxMessage:
    """Store a task to publish after the current transaction commits (idempotent by key).

    Call inside the transaction of the change it follows: on rollback the row goes too. The same
    ``dedupe_key`` twice (a replayed event, a rerun sweep) returns the existing row.
    """
    message, created = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key, defaults={"task_name": task_name, "args": list(args)}
    )
    if created:
        transaction.on_commit(partial(publish_pending, message.pk))
    return message


def publish_pending(message_id: int) -> bool:
    """Publish one unsent message now, unless another process is publishing it; True if sent.

    Runs right after the commit of the request that enqueued it: no error escapes, since the
    caller's change is already committed and the drain will retry. While the broker was just
    found down (``BROKER_DOWN_PAUSE``) it does not even try: the drain will.
    """
    if time.monotonic() < _broker_down_until:
        return False
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            return message is not None and _publish(message)
    except Exception:
        logger.exception("Outbox message %s not published now; the drain will retry.", message_id)
        return False


def drain(*, batch_size: int = BATCH_SIZE) -> int:
    """Publish every unsent message that is due, in batches; returns how many were published.

    Rows are claimed with ``SKIP LOCKED``, so two drains (or a drain and a commit hook) never
    publish the same row at once. The first broker failure ends the run: the rest wait for the
    next one rather than each timing out in turn.
    """
    published = 0
    while True:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, available_at__lte=timezone.now())
                .order_by("available_at", "pk")[:batch_size]
            )
            for message in batch:
                if not _publish(message):
                    return published
                published += 1
        if len(batch) < batch_size:
            return published


def _publish(message: OutboxMessage) -> bool:
    """Hand one locked message to the broker and mark it sent, or record why not."""
    global _broker_down_until
    now = timezone.now()
    try:
        # ignore_result: no result backend is touched (Redis' result consumer would otherwise
        # subscribe, with its own reconnect retries, inside the request that committed).
        current_app.send_task(
            message.task_name,
            args=message.args,
            ignore_result=True,
            retry=True,
            retry_policy=RETRY_POLICY,
        )
    except Exception as exc:
        _broker_down_until = time.monotonic() + BROKER_DOWN_PAUSE
        # Nearly always the broker being unreachable, which no per-row backoff would help: the
        # drain stops at the first failure and tries again on its next run.
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning(
            "Broker unavailable; outbox message %s (%s) kept for the drain: %s",
            message.pk,
            message.task_name,
            exc,
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=now, attempts=F("attempts") + 1)
    return True
