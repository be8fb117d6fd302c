"""Nothing lost, nothing stuck (issue 12): each test runs its own redis-server on a free port and
kills it by PID, never the machine's shared one.

- Redis killed: submissions through the portal and the API, and the admin's authorize-return,
  answer at once with no error; the act is saved. Once Redis is back the drain publishes and a
  real worker sends each e-mail once and renders each Return Authorization once (N2, R1).
- Redis restarted empty after accepting tasks, or a whole worker SIGKILLed mid-render: the
  reconciler publishes what was not done within its bound, and it happens once.
"""

import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import create_api_key
from claims import document_service, services
from claims.actors import Actor
from claims.models import Claim, ClaimEvent, ClaimStatus, Document, DocumentKind
from notifications import outbox
from notifications.models import OutboxMessage, OutboxState, SentEmail
from tests.conftest import wait_for
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory
from tests.partner_api.conftest import item_payload, make_unit

from .conftest import submitted_claim

pytestmark = [pytest.mark.fault, pytest.mark.celery_worker]

PORTAL_SUBMISSIONS = 10
API_SUBMISSIONS = 10
AUTHORIZED_RETURNS = 3


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Set before the workers start, so they store the documents here too.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def drafts(buyer, count: int, prefix: str) -> list[Claim]:
    model = None
    made = []
    for index in range(count):
        unit = make_unit(buyer.organisation, f"SN-{prefix}-{index}", model=model)
        model = unit.product_model
        made.append(services.create_draft(actor=Actor.buyer(buyer), items=[item_payload(unit)]))
    return made


def test_redis_killed_every_request_answers_and_after_it_returns_each_effect_happens_once(
    transactional_db, private_broker, redis_server, smtp, start_worker, client, media_root
):
    organisation = OrganisationFactory(code="acme", is_partner=True)
    buyer = UserFactory(organisation=organisation, email="buyer@acme.example", language="en")
    clerk = UserFactory(username="clerk", organisation=None, is_staff=True, is_superuser=True)
    portal_drafts = drafts(buyer, PORTAL_SUBMISSIONS, "P")
    api_drafts = drafts(buyer, API_SUBMISSIONS, "A")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {create_api_key(organisation=organisation)[1]}")

    private_broker.kill()  # Redis down: connection refused from here on

    statuses, timings = [], []

    def timed(call):
        started = time.monotonic()
        response = call()
        timings.append(time.monotonic() - started)
        statuses.append(response.status_code)
        return response

    client.force_login(buyer)
    for draft in portal_drafts:
        timed(lambda d=draft: client.post(f"/claims/{d.pk}/submit/"))
    for draft in api_drafts:
        timed(lambda d=draft: api.post(f"/api/v1/claims/{d.pk}/submit/"))
    client.force_login(clerk)
    for draft in portal_drafts[:AUTHORIZED_RETURNS]:
        url = reverse("admin:claims_claim_act", args=[draft.pk, "authorize-return"])
        items = list(draft.items.values_list("pk", flat=True))
        timed(lambda u=url, i=items: client.post(u, {"items": i}))
    print(
        f"\nrequests with Redis down: max {max(timings):.3f} s, mean "
        f"{sum(timings) / len(timings):.3f} s over {len(timings)}"
    )

    errors = [status for status in statuses if status >= 400]
    assert errors == []
    claims = Claim.objects.filter(pk__in=[d.pk for d in portal_drafts + api_drafts])
    assert all(claim.rma_number for claim in claims)
    assert claims.filter(status=ClaimStatus.SUBMITTED).count() == 17
    assert claims.filter(status=ClaimStatus.RETURN_AUTHORIZED).count() == AUTHORIZED_RETURNS
    assert not OutboxMessage.objects.exclude(state="pending").exists()  # nothing published

    # Redis comes back (empty) on the same port; the beat's drain publishes, a worker runs.
    redis_server(port=private_broker.port)
    start_worker(
        CELERY_BROKER_URL=private_broker.url, CELERY_RESULT_BACKEND=private_broker.url, **smtp.env
    )
    assert outbox.drain() == OutboxMessage.objects.count()

    expected = PORTAL_SUBMISSIONS + API_SUBMISSIONS + AUTHORIZED_RETURNS
    wait_for(lambda: len(smtp.messages) >= expected, timeout=60)
    ras = Document.objects.filter(kind=DocumentKind.RETURN_AUTHORIZATION)
    wait_for(lambda: ras.filter(status="ready").count() == AUTHORIZED_RETURNS, timeout=60)
    assert outbox.drain() == 0  # nothing left to publish, nothing published twice
    time.sleep(3)  # room for a duplicate, which must not come

    sent = Counter((message["To"], message["Subject"]) for message in smtp.messages)
    assert len(smtp.messages) == expected
    assert set(sent.values()) == {1}
    for claim in claims:
        assert sent[(buyer.email, f"[{claim.rma_number}] Claim received: your RMA number")] == 1
    assert SentEmail.objects.count() == expected
    assert ras.count() == AUTHORIZED_RETURNS
    assert len(list((media_root / "documents").iterdir())) == AUTHORIZED_RETURNS


def test_redis_restarted_empty_after_accepting_tasks_the_reconciler_completes_them_once(
    transactional_db, private_broker, redis_server, smtp, start_worker, media_root
):
    claim = submitted_claim(OrganisationFactory())  # the "submitted" e-mail, published
    staff = Actor.staff(UserFactory(organisation=None, is_staff=True))
    services.authorize_return(actor=staff, claim=claim)  # the RA and its e-mail, published
    rows = OutboxMessage.objects.all()
    assert set(rows.values_list("state", flat=True)) == {OutboxState.PUBLISHED}
    assert rows.count() == 3

    private_broker.kill()  # Redis loses everything it accepted (no persistence) ...
    redis_server(port=private_broker.port)  # ... and comes back empty
    start_worker(
        CELERY_BROKER_URL=private_broker.url, CELERY_RESULT_BACKEND=private_broker.url, **smtp.env
    )
    time.sleep(3)
    assert smtp.messages == []  # the tasks are gone: nothing happens by itself
    document = Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    assert document.status == "pending"

    # Beat's reconciler, run when each row's bound has passed (90 s for documents, 10 min else).
    render = rows.get(task_name="claims.tasks.render_document")
    assert render.due_by - render.sent_at == timedelta(seconds=90)
    last_due = max(rows.values_list("due_by", flat=True))
    assert outbox.reconcile(now=render.due_by + timedelta(seconds=1))["republished"] == 1
    wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready", timeout=60)
    assert smtp.messages == []
    assert outbox.reconcile(now=last_due + timedelta(seconds=1))["republished"] == 2
    wait_for(lambda: len(smtp.messages) >= 2, timeout=60)
    wait_for(lambda: set(rows.values_list("state", flat=True)) == {OutboxState.DONE}, timeout=30)
    time.sleep(3)  # room for a duplicate, which must not come

    subjects = sorted(message["Subject"] for message in smtp.messages)
    assert len(subjects) == 2 and len(set(subjects)) == 2
    assert f"[{claim.rma_number}] Claim received: your RMA number" in subjects
    assert SentEmail.objects.filter(claim=claim).count() == 2
    assert Document.objects.filter(claim=claim).count() == 1
    assert len(list((media_root / "documents").iterdir())) == 1
    assert outbox.reconcile(now=last_due + timedelta(days=1)) == {"republished": 0, "gave_up": 0}


def test_a_whole_worker_killed_mid_render_is_recovered_by_the_reconciler_with_one_document(
    transactional_db, private_broker, start_worker, media_root
):
    claim = ClaimFactory(
        organisation=OrganisationFactory(code="bulk"),
        status="return_authorized",
        rma_number="RMA-2026-000901",
    )
    for position in range(150):  # rendering takes seconds, so the kill lands mid-render
        ClaimItemFactory(claim=claim, return_authorized=True, position=position)
    env = {"CELERY_BROKER_URL": private_broker.url, "CELERY_RESULT_BACKEND": private_broker.url}
    first = start_worker(**env)  # the default visibility timeout: Redis will not help in time

    document = document_service.request_document(
        claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
    )
    row = OutboxMessage.objects.get(task_name="claims.tasks.render_document")
    wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).state == "running", timeout=60)
    time.sleep(0.5)
    first.stop(signal.SIGKILL)  # the whole worker, not only a child
    document.refresh_from_db()
    assert document.status == "pending"

    start_worker(**env)
    row.refresh_from_db()
    assert row.state == OutboxState.RUNNING
    assert outbox.reconcile(now=row.due_by + timedelta(seconds=1))["republished"] == 1

    wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready", timeout=90)
    wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).state == OutboxState.DONE, timeout=30)
    assert Document.objects.filter(claim=claim).count() == 1
    assert len(list((media_root / "documents").iterdir())) == 1
    assert ClaimEvent.objects.filter(claim=claim, kind="document_issued").count() == 1
