"""The transactional outbox: Celery tasks published after commit, or later, never lost.

``enqueue`` writes the task into the caller's transaction, so it exists exactly when the change
that needs it was committed. Right after commit it is published at once; if the broker is down
at that moment the row simply stays unsent and ``drain`` (beat, every 30 s) publishes it once
the broker is back (SPEC "What every part must hold": not lost when Redis is down). A request
never waits on the broker: no result backend is touched, the connect timeout is short, and after
a failure this process leaves publishing to the drain for ``BROKER_DOWN_PAUSE``.

Delivery is at-least-once **to completion**, not to publication (issue 12). A row is
``pending`` until the broker takes it, then ``published`` (``running`` once a worker starts it)
and ``done`` only when its task finished: the worker marks it (``mark_done``, by the row id sent
in the task's ``rma_outbox_id`` header; see notifications.tasks' signal handlers). A row not done
by its ``due_by`` (a per-task bound, ``RMA_OUTBOX_DONE_WITHIN``) was lost somewhere (Redis
restarted empty, a whole worker died): ``reconcile`` publishes it again (``retrying``), with the
bound doubling each time, and after ``RMA_OUTBOX_MAX_ATTEMPTS`` hand-overs it is ``gave_up``,
visible in the admin with a "retry now" act. The tasks behind it are idempotent (e-mails are
recorded in ``SentEmail``, a document renders once, a webhook delivery row is attempted on its
schedule), so a second delivery does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import UNFINISHED, OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# One quick reconnect (a pooled connection may be stale after a Redis restart), then give up:
# the request that committed must not hang on a dead broker; the drain tries again.
HEADER = "rma_outbox_id"  # the row id, sent with the task so the worker can mark it done
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
                .filter(pk=message_id, state=OutboxState.PENDING)
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
                .filter(state=OutboxState.PENDING, available_at__lte=timezone.now())
                .order_by("available_at", "pk")[:batch_size]
            )
            for message in batch:
                if not _publish(message):
                    return published
                published += 1
        if len(batch) < batch_size:
            return published


def reconcile(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Publish again every row handed over but not done by its ``due_by``; give up after
    ``RMA_OUTBOX_MAX_ATTEMPTS`` hand-overs. Returns how many were republished and given up."""
    now = now or timezone.now()
    counts = {"republished": 0, "gave_up": 0}
    with transaction.atomic():
        overdue = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(state__in=UNFINISHED, due_by__lt=now)
            .order_by("due_by", "pk")[:batch_size]
        )
        for message in overdue:
            if message.handovers >= settings.RMA_OUTBOX_MAX_ATTEMPTS:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    state=OutboxState.GAVE_UP,
                    last_error=f"Not done after {message.handovers} hand-overs to the broker.",
                )
                logger.error("Outbox message %s (%s) gave up.", message.pk, message.task_name)
                counts["gave_up"] += 1
            elif _publish(message, state=OutboxState.RETRYING, now=now):
                counts["republished"] += 1
            else:
                # The broker is down: back to the drain, which publishes once it is up.
                OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.PENDING)
                break
    return counts


def retry_now(message_ids: Sequence[int]) -> int:
    """Staff's "retry now": rows not done go back to pending and are published after commit."""
    ids = list(
        OutboxMessage.objects.filter(pk__in=message_ids)
        .exclude(state=OutboxState.DONE)
        .values_list("pk", flat=True)
    )
    OutboxMessage.objects.filter(pk__in=ids).update(
        state=OutboxState.PENDING, available_at=timezone.now(), due_by=None
    )
    for message_id in ids:
        transaction.on_commit(partial(publish_pending, message_id))
    return len(ids)


def mark_running(message_id: int) -> None:
    """A worker started the row's task (``task_prerun``)."""
    OutboxMessage.objects.filter(pk=message_id, state__in=UNFINISHED).update(
        state=OutboxState.RUNNING
    )


def mark_done(message_id: int) -> None:
    """The row's task finished (``task_success``): nothing more to do for it, ever."""
    OutboxMessage.objects.filter(pk=message_id).exclude(state=OutboxState.DONE).update(
        state=OutboxState.DONE, done_at=timezone.now()
    )


def mark_retry_scheduled(message_id: int, *, in_seconds: float) -> None:
    """The task asked to run again later (a Celery retry): the bound counts from then."""
    message = OutboxMessage.objects.filter(pk=message_id, state__in=UNFINISHED).first()
    if message is not None:
        due = timezone.now() + timedelta(seconds=in_seconds) + _bound(message)
        OutboxMessage.objects.filter(pk=message.pk).update(due_by=due)


def _bound(message: OutboxMessage) -> timedelta:
    """How long the row's task may take, from hand-over to done, before it is published again:
    the per-task bound, doubled for each hand-over beyond the first (at most 16 times)."""
    bounds = settings.RMA_OUTBOX_DONE_WITHIN
    seconds = bounds.get(message.task_name, bounds["default"])
    return timedelta(seconds=seconds * min(2 ** max(message.handovers - 1, 0), 16))


def _publish(
    message: OutboxMessage, *, state: str = OutboxState.PUBLISHED, now: datetime | None = None
) -> bool:
    """Hand one locked message to the broker and mark it ``state`` with its ``due_by``, or
    record why not."""
    global _broker_down_until
    now = now or timezone.now()
    try:
        # ignore_result: no result backend is touched (Redis' result consumer would otherwise
        # subscribe, with its own reconnect retries, inside the request that committed).
        current_app.send_task(
            message.task_name,
            args=message.args,
            ignore_result=True,
            headers={HEADER: message.pk},
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
    message.handovers += 1
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=state,
        sent_at=now,
        due_by=now + _bound(message),
        attempts=F("attempts") + 1,
        handovers=F("handovers") + 1,
    )
    return True
