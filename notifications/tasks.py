"""Celery tasks: a few lines each, loading by id and calling a service; safe to run twice.

The e-mail tasks acknowledge only after they finish (``acks_late``) and go back to the queue
when the worker dies (``reject_on_worker_lost``; on Redis, after the visibility timeout), so a
worker killed mid-send sends on redelivery; ``SentEmail`` makes that redelivery send once.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from celery.signals import task_prerun, task_retry, task_success
from django.db import InterfaceError, OperationalError

from . import deadlines, digest, emails, outbox

# Mail server or database unreachable (smtplib's errors are OSErrors): retry with backoff, up
# to about a day (the wait doubles to an hour), before the failure is left in the worker log.
RETRYABLE = (OSError, OperationalError, InterfaceError)
EMAIL_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 30,
}


@shared_task(**EMAIL_TASK_OPTIONS)
def send_claim_email(event_id: int, kind: str) -> int:
    """The ``kind`` e-mail about one claim event (named by the act, see claims.effects)."""
    return emails.send_event_email(event_id=event_id, kind=kind)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_reminder_email(reminder_id: int) -> int:
    """The e-mail of one N1/N4 reminder (see notifications.deadlines)."""
    return emails.send_reminder_email(reminder_id=reminder_id)


@shared_task
def drain_outbox() -> dict[str, int]:
    """Beat, every 30 s: publish what the broker could not take at commit time, and again what
    was handed over but not done within its bound (see notifications.outbox)."""
    return {"published": outbox.drain(), **outbox.reconcile()}


# Every task published by the outbox carries its row id in a header: the worker marks the row
# running, done, or due later when the task asks to retry.
def _outbox_id(request) -> int | None:
    value = (getattr(request, "headers", None) or {}).get(outbox.HEADER)
    return value if value is not None else getattr(request, outbox.HEADER, None)


@task_prerun.connect
def _outbox_task_started(sender=None, task=None, **kwargs) -> None:
    if (message_id := _outbox_id(task.request)) is not None:
        outbox.mark_running(message_id)


@task_success.connect
def _outbox_task_done(sender=None, **kwargs) -> None:
    if (message_id := _outbox_id(sender.request)) is not None:
        outbox.mark_done(message_id)


@task_retry.connect
def _outbox_task_retrying(sender=None, request=None, reason=None, **kwargs) -> None:
    if (message_id := _outbox_id(request)) is not None:
        when = getattr(reason, "when", None)
        outbox.mark_retry_scheduled(
            message_id, in_seconds=when if isinstance(when, int | float) else 0
        )


@shared_task
def remind_notice_deadlines(today: str | None = None) -> dict[str, int]:
    """Beat: N1 reminders for drafts (``today`` as YYYY-MM-DD for a catch-up run)."""
    return deadlines.remind_notice_deadlines(today=_day(today))


@shared_task
def sweep_holds(today: str | None = None) -> dict[str, int]:
    """Beat: N4 hold reminders to staff and the hold's end."""
    return deadlines.sweep_holds(today=_day(today))


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_weekly_digest(today: str | None = None) -> int:
    """Beat, Monday morning: the staff digest of what is past its working-day target."""
    return digest.send_weekly_digest(today=_day(today))
