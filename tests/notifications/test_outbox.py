"""A submitted claim is never lost, nor what it owes the buyer (SPEC "What every part must hold"):
not when Redis is down at commit time, not when a worker dies mid-task."""

import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery import current_app

from claims import services
from claims.actors import Actor
from claims.effects import SEND_CLAIM_EMAIL
from notifications import outbox
from notifications.models import OutboxMessage, OutboxState, SentEmail
from tests.conftest import wait_for
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

from .conftest import submitted_claim

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
VISIBILITY_TIMEOUT = 3  # seconds before Redis hands an unacknowledged task to another worker


def _reset_broker_connections(app):
    # The next publish takes its connection from a pool for the configured URL again.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_unreachable():
    """Publishing from this process fails for real: the producer connects to a closed port."""
    app = current_app._get_current_object()
    saved = app.conf.broker_write_url
    app.conf.broker_write_url = DEAD_BROKER
    _reset_broker_connections(app)
    try:
        yield
    finally:
        app.conf.broker_write_url = saved
        _reset_broker_connections(app)


def queued_tasks() -> int:
    with current_app.connection_for_write() as connection:
        return connection.default_channel.client.llen("mail")  # e-mails have their own queue


@pytest.fixture
def empty_queue():
    current_app.control.purge()
    yield
    current_app.control.purge()


@pytest.mark.django_db
def test_enqueue_is_idempotent_by_key():
    first = outbox.enqueue("x.task", args=[1], dedupe_key="event:1:email:submitted")
    again = outbox.enqueue("x.task", args=[1], dedupe_key="event:1:email:submitted")

    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_an_act_that_fails_queues_nothing():
    claim = ClaimFactory(status="submitted", rma_number="RMA-2026-000005")
    ClaimItemFactory(claim=claim)
    staff = Actor.staff(UserFactory(organisation=None, is_staff=True))

    with pytest.raises(Exception, match="reason"):
        services.reject(actor=staff, claim=claim, reason="")  # refused: a reason is required

    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_broker_outage_at_commit_keeps_the_message_and_the_drain_sends_it_later(
    django_capture_on_commit_callbacks, empty_queue
):
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        claim = submitted_claim(OrganisationFactory())

    claim.refresh_from_db()
    assert claim.status == "submitted" and claim.rma_number  # the claim itself stands
    message = OutboxMessage.objects.get(task_name=SEND_CLAIM_EMAIL)
    assert message.sent_at is None and message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert "Connection refused" in message.last_error
    assert queued_tasks() == 0

    with broker_unreachable():
        assert outbox.drain() == 0  # still down: kept, tried again next time
    assert outbox.drain() == 1  # back

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 3
    assert message.state == OutboxState.PUBLISHED and message.handovers == 1
    assert queued_tasks() == 1
    assert outbox.drain() == 0  # published once


@pytest.mark.django_db
def test_the_commit_hook_publishes_at_once_when_the_broker_is_up(
    django_capture_on_commit_callbacks, empty_queue
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted_claim(OrganisationFactory())

    assert OutboxMessage.objects.get(task_name=SEND_CLAIM_EMAIL).sent_at is not None
    assert queued_tasks() == 1


@pytest.mark.celery_worker
def test_a_claim_submitted_while_redis_is_unreachable_is_acknowledged_once_it_is_back(
    smtp, start_worker
):
    start_worker(**smtp.env)

    with broker_unreachable():
        claim = submitted_claim(OrganisationFactory())  # committed: the hook fails to publish

    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING).count() == 1
    time.sleep(2)
    assert smtp.messages == []  # nothing reached the broker, so nothing reached the worker

    assert outbox.drain() == 1  # beat's drain_outbox, once Redis is reachable again

    (message,) = wait_for(lambda: smtp.messages, timeout=60)
    assert message["Subject"] == f"[{claim.rma_number}] Claim received: your RMA number"
    assert message["To"] == claim.author.email
    assert claim.hold_until.isoformat() in message.get_content()
    assert SentEmail.objects.filter(claim=claim).count() == 1


@pytest.mark.celery_worker
def test_a_worker_killed_mid_send_is_replaced_and_the_email_goes_out_exactly_once(
    stalling_smtp, start_worker
):
    env = {**stalling_smtp.env, "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    first = start_worker(**env)

    claim = submitted_claim(OrganisationFactory())  # published on commit, picked up by the worker

    # The worker has sent the whole message and waits for the server's answer, which never comes.
    wait_for(stalling_smtp.stalled.is_set, timeout=60)
    assert not SentEmail.objects.exists()  # decided in the transaction that is still open
    first.stop(signal.SIGKILL)

    # Unacknowledged (acks_late), the task goes back to the queue after the visibility timeout
    # and the next worker to start takes it.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    start_worker(**env)

    (message,) = wait_for(lambda: stalling_smtp.messages, timeout=60)
    time.sleep(VISIBILITY_TIMEOUT + 2)  # room for a second delivery, which must not happen
    assert len(stalling_smtp.messages) == 1
    assert stalling_smtp.connections == 2
    assert message["Subject"] == f"[{claim.rma_number}] Claim received: your RMA number"
    assert SentEmail.objects.filter(claim=claim).count() == 1


# The outbox to completion (issue 12): done when the task finished, not when published.


@pytest.mark.django_db
def test_a_published_row_is_done_only_when_its_task_finished(
    django_capture_on_commit_callbacks, empty_queue, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted_claim(OrganisationFactory())
    message = OutboxMessage.objects.get(task_name=SEND_CLAIM_EMAIL)
    assert message.state == OutboxState.PUBLISHED and message.handovers == 1
    assert message.due_by == message.sent_at + timedelta(seconds=600)

    # What the worker does with the delivered task: the header names the row.
    current_app.tasks[SEND_CLAIM_EMAIL].apply(
        args=message.args, headers={outbox.HEADER: message.pk}, throw=True
    )

    message.refresh_from_db()
    assert message.state == OutboxState.DONE and message.done_at is not None
    later = message.due_by + timedelta(hours=1)
    assert outbox.reconcile(now=later) == {"republished": 0, "gave_up": 0}


@pytest.mark.django_db
def test_a_row_not_done_in_time_is_published_again_with_backoff_then_given_up(
    django_capture_on_commit_callbacks, empty_queue, settings
):
    settings.RMA_OUTBOX_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        submitted_claim(OrganisationFactory())
    message = OutboxMessage.objects.get(task_name=SEND_CLAIM_EMAIL)
    current_app.control.purge()  # the task is lost (Redis restarted empty)

    assert outbox.reconcile(now=message.due_by - timedelta(seconds=1))["republished"] == 0
    waits = []
    for handovers in (2, 3):
        now = message.due_by + timedelta(seconds=1)
        assert outbox.reconcile(now=now) == {"republished": 1, "gave_up": 0}
        message.refresh_from_db()
        assert message.state == OutboxState.RETRYING and message.handovers == handovers
        assert queued_tasks() == 1
        current_app.control.purge()
        waits.append(message.due_by - now)
    assert waits == [timedelta(seconds=1200), timedelta(seconds=2400)]  # the bound doubles

    assert outbox.reconcile(now=message.due_by + timedelta(seconds=1)) == {
        "republished": 0,
        "gave_up": 1,
    }
    message.refresh_from_db()
    assert message.state == OutboxState.GAVE_UP and "3 hand-overs" in message.last_error
    assert queued_tasks() == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry_now([message.pk]) == 1  # staff's "retry now"
    message.refresh_from_db()
    assert message.state == OutboxState.PUBLISHED and message.handovers == 4
    assert queued_tasks() == 1


@pytest.mark.django_db
def test_the_reconciler_leaves_rows_to_the_drain_while_the_broker_is_down(
    django_capture_on_commit_callbacks, empty_queue
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted_claim(OrganisationFactory())
    message = OutboxMessage.objects.get(task_name=SEND_CLAIM_EMAIL)
    current_app.control.purge()

    with broker_unreachable():
        assert outbox.reconcile(now=message.due_by + timedelta(seconds=1))["republished"] == 0
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert outbox.drain() == 1
    message.refresh_from_db()
    assert message.state == OutboxState.PUBLISHED and queued_tasks() == 1
