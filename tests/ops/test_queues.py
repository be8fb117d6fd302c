"""Celery work on one queue per kind (documents, mail, webhooks, imports, sweeps), routed in one
place (settings.CELERY_TASK_ROUTES): a burst of renders cannot hold up e-mails or webhooks."""

import datetime
import time

import pytest
from celery import current_app
from django.conf import settings

from claims.models import Document
from tests.conftest import WorkerProcess, wait_for
from tests.factories import OrganisationFactory
from tests.notifications.conftest import submitted_claim
from tests.notifications.smtp_stub import SMTPStub
from warranty.models import WarrantyPolicy

EXPECTED = {
    "claims.tasks.render_document": "documents",
    "notifications.tasks.send_claim_email": "mail",
    "notifications.tasks.send_reminder_email": "mail",
    "notifications.tasks.send_weekly_digest": "mail",
    "partner_api.tasks.deliver_webhook": "webhooks",
    "warranty.tasks.run_shipment_import": "imports",
    "warranty.tasks.resume_shipment_imports": "sweeps",
    "notifications.tasks.drain_outbox": "sweeps",
    "claims.tasks.checkpoint_event_log": "sweeps",
    "notifications.tasks.remind_notice_deadlines": "sweeps",
    "notifications.tasks.sweep_holds": "sweeps",
    "partner_api.tasks.sweep": "sweeps",
    "rma_portal.tasks.ping": "sweeps",
}


def queue_of(task_name: str) -> str:
    return current_app.amqp.router.route({}, task_name)["queue"].name


def our_tasks() -> set[str]:
    current_app.loader.import_default_modules()
    apps = ("claims.", "notifications.", "partner_api.", "warranty.", "rma_portal.", "accounts.")
    return {name for name in current_app.tasks if name.startswith(apps)}


def test_each_task_goes_to_the_queue_of_its_kind():
    # Every task the project defines is in the table: a new one gets a deliberate queue.
    assert our_tasks() == set(EXPECTED)
    assert {name: queue_of(name) for name in EXPECTED} == EXPECTED


def test_through_the_broker_each_task_lands_in_its_queue_and_no_other():
    # Nothing consumes here: the messages stay where the broker put them.
    current_app.control.purge()
    try:
        for name, queue in EXPECTED.items():
            before = {q: waiting_in(q) for q in settings.CELERY_QUEUE_NAMES}
            current_app.send_task(name, args=[0])
            after = {q: waiting_in(q) for q in settings.CELERY_QUEUE_NAMES}
            grown = {q for q in after if after[q] != before[q]}
            assert grown == {queue}, name
            assert after[queue] == before[queue] + 1, name
    finally:
        current_app.control.purge()


def test_a_task_moved_within_its_app_keeps_its_queue():
    assert queue_of("claims.tasks.render_document") == "documents"
    assert queue_of("claims.rendering.render_document") == "documents"
    assert queue_of("notifications.emails.send_claim_email") == "mail"


def test_a_worker_without_q_consumes_every_queue():
    assert {q.name for q in current_app.conf.task_queues} == set(settings.CELERY_QUEUE_NAMES)
    kinds = {"documents", "mail", "webhooks", "imports", "sweeps"}
    assert set(settings.CELERY_QUEUE_NAMES) == kinds


def waiting_in(queue: str) -> int:
    with current_app.connection_for_write() as connection:
        return connection.default_channel.client.llen(queue)


@pytest.mark.celery_worker
def test_a_worker_on_the_mail_queue_alone_sends_mail_while_documents_wait(transactional_db):
    from claims import document_service

    # Transactional tests before this one flush what migrations put in: the policy in force.
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1", defaults={"effective_from": datetime.date(2000, 1, 1)}
    )
    current_app.control.purge()
    smtp = SMTPStub().start()
    worker = WorkerProcess(extra_args=["-Q", "mail"], extra_env=smtp.env).start()
    try:
        claim = submitted_claim(OrganisationFactory())  # its e-mail goes out through the outbox
        # Published to the broker once committed (autocommit here), as after an act.
        document = document_service.request_document(claim=claim, kind="return_authorization")
        assert waiting_in("documents") == 1

        (message,) = wait_for(lambda: smtp.messages, timeout=60)
        assert waiting_in("mail") == 0

        assert message["Subject"].startswith(f"[{claim.rma_number}]")
        time.sleep(1)
        assert waiting_in("documents") == 1  # still there: no worker consumes documents
        assert Document.objects.get(pk=document.pk).status == "pending"
    finally:
        worker.stop()
        smtp.stop()
        current_app.control.purge()
