"""Signed webhooks (SPEC "Partner API"): which events, their payloads, the signature, retries
with backoff, endpoints disabled after failures and re-enabled by staff, the delivery log."""

import datetime
import json
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone

from claims import document_service, services
from claims.actors import Actor
from claims.models import Claim, Document
from notifications.models import OutboxMessage
from partner_api import webhooks
from partner_api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.conftest import WorkerProcess, wait_for

from .conftest import create_draft, submitted
from .receiver import Receiver

pytestmark = pytest.mark.django_db


def endpoint_for(org, url="http://127.0.0.1:9/hooks", events=None, **fields):
    return WebhookEndpoint.objects.create(
        organisation=org, url=url, events=events or webhooks.WebhookEvent.values, **fields
    )


def deliveries(**filters):
    return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def test_submitting_makes_claim_submitted_and_status_changed(api, org, unit):
    endpoint_for(org)
    draft = create_draft(api, unit)
    assert deliveries() == []  # a draft's creation is nobody's business yet

    claim = api.post(f"/api/v1/claims/{draft['id']}/submit/")

    made = deliveries()
    assert [d.event for d in made] == ["claim.submitted", "claim.status_changed"]
    submitted_payload = made[0].payload
    assert submitted_payload["type"] == "claim.submitted"
    assert submitted_payload["data"]["claim"]["rma_number"] == claim.json()["rma_number"]
    assert submitted_payload["data"]["claim"]["url"].endswith(f"/api/v1/claims/{draft['id']}/")
    assert (made[1].payload["data"]["from_status"], made[1].payload["data"]["to_status"]) == (
        "draft",
        "submitted",
    )
    assert made[0].payload["id"] != made[1].payload["id"]
    keys = set(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert {f"webhook:{d.pk}" for d in made} <= keys


def test_messages_both_ways_but_never_internal_notes(api, org, unit, staff):
    endpoint_for(org, events=["message.created"])
    claim = Claim.objects.get(pk=submitted(api, unit)["id"])
    clerk = Actor.staff(staff)

    api.post(f"/api/v1/claims/{claim.pk}/messages/", {"body": "Hello CPRO"}, format="json")
    services.post_message(actor=clerk, claim=claim, body="Hello partner")
    services.add_internal_note(actor=clerk, claim=claim, body="Secret note")

    bodies = [d.payload["data"]["message"]["body"] for d in deliveries()]
    assert bodies == ["Hello CPRO", "Hello partner"]
    assert "Secret note" not in json.dumps([d.payload for d in deliveries()])


def test_a_rendered_document_is_document_ready_with_its_download_link(api, org, unit, staff):
    endpoint_for(org, events=["document.ready"])
    claim = Claim.objects.get(pk=submitted(api, unit)["id"])
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    assert deliveries() == []  # requested, not rendered yet

    document = document_service.render(Document.objects.get(claim=claim))

    [delivery] = deliveries()
    data = delivery.payload["data"]["document"]
    assert (data["id"], data["kind"], data["status"]) == (
        document.pk,
        "return_authorization",
        "ready",
    )
    assert data["verification_code"] == document.display_code
    assert data["download_url"].endswith(
        f"/api/v1/claims/{claim.pk}/documents/{document.pk}/download/"
    )


def test_only_subscribed_endpoints_of_the_claims_organisation(api, org, unit, stranger):
    wanted = endpoint_for(org, events=["claim.status_changed"])
    endpoint_for(org, events=["message.created"])
    disabled = endpoint_for(org, events=["claim.status_changed"], active=False)
    endpoint_for(stranger["org"])

    submitted(api, unit)

    made = [(d.endpoint, d.event, d.status) for d in deliveries()]
    assert made == [
        (wanted, "claim.status_changed", DeliveryStatus.PENDING),
        (disabled, "claim.status_changed", DeliveryStatus.SKIPPED),
    ]


def test_an_event_while_the_endpoint_is_disabled_is_logged_skipped_and_not_queued(api, org, unit):
    endpoint = endpoint_for(org, events=["claim.submitted"], active=False)

    submitted(api, unit)

    [delivery] = deliveries()
    assert (delivery.endpoint, delivery.status) == (endpoint, DeliveryStatus.SKIPPED)
    assert delivery.error == "Skipped: the endpoint is disabled."
    assert delivery.payload["type"] == "claim.submitted"
    keys = OutboxMessage.objects.values_list("dedupe_key", flat=True)
    assert not [k for k in keys if k.startswith(f"webhook:{delivery.pk}")]


def test_missed_deliveries_are_redelivered_once_the_endpoint_is_enabled(api, org, unit):
    endpoint = endpoint_for(org, events=["claim.submitted"], active=False)
    submitted(api, unit)
    [delivery] = deliveries()
    assert webhooks.redeliver([delivery]) == 0  # still disabled: nothing to send to

    webhooks.reenable_endpoint(endpoint=endpoint)
    assert webhooks.redeliver([delivery]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.PENDING, 0, "")
    with Receiver(secret=endpoint.secret) as receiver:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
        webhooks.deliver(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [received] = receiver.requests
    assert received["headers"]["x-cpro-delivery"] == str(delivery.uuid)
    assert webhooks.redeliver([delivery]) == 0  # delivered: nothing missed


def test_payloads_carry_the_claims_updated_at_after_the_act(api, org, unit, staff):
    """message.created and document.ready: the claim's updated_at is the act's own (the same as
    the API answers afterwards), never the one before the act."""
    endpoint_for(org, events=["message.created", "document.ready"])
    claim = Claim.objects.get(pk=submitted(api, unit)["id"])
    before = api.get(f"/api/v1/claims/{claim.pk}/").json()["updated_at"]

    api.post(f"/api/v1/claims/{claim.pk}/messages/", {"body": "Hello CPRO"}, format="json")
    after_message = api.get(f"/api/v1/claims/{claim.pk}/").json()["updated_at"]
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    document_service.render(Document.objects.get(claim=claim))
    after_document = api.get(f"/api/v1/claims/{claim.pk}/").json()["updated_at"]

    message, ready = deliveries()
    assert after_message != before
    assert message.payload["data"]["claim"]["updated_at"] == after_message
    assert ready.payload["data"]["claim"]["updated_at"] == after_document


def test_webhook_timestamps_are_formatted_as_the_api_formats_them(api, org, unit):
    endpoint_for(org, events=["message.created"])
    claim = submitted(api, unit)
    posted = api.post(f"/api/v1/claims/{claim['id']}/messages/", {"body": "Hi"}, format="json")

    [delivery] = deliveries()
    payload = delivery.payload
    assert payload["data"]["message"]["created_at"] == posted.json()["created_at"]
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+09:00")
    for value in (
        payload["created_at"],
        payload["data"]["claim"]["updated_at"],
        payload["data"]["message"]["created_at"],
    ):
        assert stamp.fullmatch(value), value


def test_voiding_a_document_is_document_voided(api, org, unit, staff):
    endpoint_for(org, events=["document.voided"])
    claim = Claim.objects.get(pk=submitted(api, unit)["id"])
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    document = document_service.render(Document.objects.get(claim=claim))

    document_service.void_document(
        actor=Actor.staff(staff),
        document=document,
        reason="Clerk typed the wrong address, Kim to re-check",
        public_reason="issued_in_error",
    )

    [voided] = deliveries()
    data = voided.payload["data"]
    assert voided.event == voided.payload["type"] == "document.voided"
    assert (data["document"]["id"], data["document"]["valid"]) == (document.pk, False)
    # The public reason, never staff's own words (issue 17).
    assert (data["reason"], data["reason_text"]) == ("issued_in_error", "Issued in error")
    assert "Kim" not in str(voided.payload)


@pytest.mark.parametrize("debug, allowed", [(False, False), (True, True)])
def test_endpoint_urls_are_https_only_outside_debug(org, settings, debug, allowed):
    from django.core.exceptions import ValidationError

    settings.DEBUG = debug
    endpoint = WebhookEndpoint(
        organisation=org, url="http://partner.example/hooks", events=["claim.submitted"]
    )
    if allowed:
        endpoint.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            endpoint.full_clean()
        assert refused.value.message_dict == {
            "url": ["Use an https:// URL: webhooks carry claim data."]
        }
    WebhookEndpoint(
        organisation=org, url="https://partner.example/hooks", events=["claim.submitted"]
    ).full_clean()


def test_the_same_event_twice_makes_no_second_delivery(api, org, unit):
    endpoint_for(org)
    claim = Claim.objects.get(pk=submitted(api, unit)["id"])
    event = claim.events.get(kind="submit")

    again = webhooks.emit(event, "claim.submitted") + webhooks.emit(event, "claim.status_changed")

    assert again == []
    assert len(deliveries()) == 2


def test_a_delivery_is_signed_and_names_event_and_delivery(api, org, unit):
    endpoint = endpoint_for(org, events=["claim.submitted"])
    submitted(api, unit)
    [delivery] = deliveries()

    with Receiver(secret=endpoint.secret) as receiver:
        endpoint.url = receiver.url
        endpoint.save()
        assert webhooks.deliver(delivery.pk) is None

    [request] = receiver.requests
    assert request["verified"]
    assert request["headers"]["x-cpro-event"] == "claim.submitted"
    assert request["headers"]["x-cpro-delivery"] == str(delivery.uuid)
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == delivery.payload
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)
    assert webhooks.verify_signature(
        endpoint.secret, request["headers"]["x-cpro-signature"], request["body"]
    )
    assert not webhooks.verify_signature("whsec_other", request["headers"]["x-cpro-signature"], b"")


def test_direct_attempts_back_off_exponentially_and_honour_next_attempt_at(
    settings, api, org, unit
):
    settings.RMA_WEBHOOK_RETRY_BASE_DELAY = 10
    endpoint = endpoint_for(org, events=["claim.submitted"])
    submitted(api, unit)
    [delivery] = deliveries()

    with Receiver(secret=endpoint.secret, fail_first=2) as receiver:
        endpoint.url = receiver.url
        endpoint.save()
        assert webhooks.deliver(delivery.pk) == 20  # 10·2¹
        delivery.refresh_from_db()
        assert delivery.next_attempt_at - delivery.last_attempt_at == datetime.timedelta(seconds=20)
        assert webhooks.deliver(delivery.pk) is None  # not due: nothing sent
        assert len(receiver.requests) == 1

        later = delivery.next_attempt_at
        assert webhooks.deliver(delivery.pk, now=later) == 40  # 10·2²
        delivery.refresh_from_db()
        assert webhooks.deliver(delivery.pk, now=delivery.next_attempt_at) is None

    delivery.refresh_from_db()
    assert [r["verified"] for r in receiver.requests] == [True, True, True]
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.error) == (
        "succeeded",
        3,
        200,
        "",
    )
    assert len({r["headers"]["x-cpro-delivery"] for r in receiver.requests}) == 1


def test_the_backoff_is_capped(settings):
    settings.RMA_WEBHOOK_RETRY_BASE_DELAY = 1
    settings.RMA_WEBHOOK_RETRY_MAX_DELAY = 3600

    assert [webhooks.retry_delay(n) for n in (1, 2, 3, 11, 12, 20)] == [2, 4, 8, 2048, 3600, 3600]


def test_an_endpoint_is_disabled_after_n_failed_deliveries_and_re_enabled_by_staff(
    settings, api, org, unit
):
    settings.RMA_WEBHOOK_MAX_ATTEMPTS = 2
    settings.RMA_WEBHOOK_DISABLE_AFTER = 2
    endpoint = endpoint_for(org, url="http://127.0.0.1:9/refused")  # nothing listens on port 9
    submitted(api, unit)  # two deliveries: submitted, status_changed

    for delivery in deliveries():
        assert webhooks.deliver(delivery.pk) is not None
        webhooks.deliver(delivery.pk, now=timezone.now() + datetime.timedelta(hours=1))

    endpoint.refresh_from_db()
    assert [d.status for d in deliveries()] == ["failed", "failed"]
    assert all(d.response_code is None and d.error for d in deliveries())
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 2)
    assert endpoint.disabled_at is not None

    webhooks.reenable_endpoint(endpoint=endpoint)
    assert (endpoint.active, endpoint.consecutive_failures, endpoint.disabled_at) == (True, 0, None)


def test_a_success_resets_the_failure_count(api, org, unit):
    endpoint = endpoint_for(org, events=["claim.submitted"], consecutive_failures=5)
    submitted(api, unit)

    with Receiver(secret=endpoint.secret) as receiver:
        endpoint.url = receiver.url
        endpoint.save()
        webhooks.deliver(deliveries()[0].pk)

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_disabled_endpoints_pending_delivery_is_not_sent(api, org, unit):
    endpoint = endpoint_for(org, events=["claim.submitted"])
    submitted(api, unit)
    webhooks.disable_endpoint(endpoint=endpoint)

    with Receiver(secret=endpoint.secret) as receiver:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
        assert webhooks.deliver(deliveries()[0].pk) is None

    assert receiver.requests == []
    assert deliveries()[0].status == DeliveryStatus.SKIPPED
    assert deliveries()[0].error == "Skipped: the endpoint is disabled."


def test_overdue_retries_are_queued_again_once_per_attempt(api, org, unit):
    endpoint_for(org, events=["claim.submitted"])
    submitted(api, unit)
    [delivery] = deliveries()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))

    assert webhooks.requeue_overdue() == 1
    webhooks.requeue_overdue()

    keys = OutboxMessage.objects.filter(dedupe_key__startswith=f"webhook:{delivery.pk}:retry")
    assert list(keys.values_list("dedupe_key", flat=True)) == [f"webhook:{delivery.pk}:retry:0"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_with_backoff_until_the_receiver_accepts(api, org, unit):
    """Through Redis and a real worker: the receiver fails the first two deliveries (500) and
    accepts the third; every attempt is signed; the waits grow (base 0.25 s: 0.5 s, then 1 s)."""
    from rma_portal.celery import app

    endpoint = endpoint_for(org, events=["claim.submitted"])
    app.control.purge()
    worker = WorkerProcess(extra_env={"RMA_WEBHOOK_RETRY_BASE_DELAY": "0.25"}).start()
    try:
        with Receiver(secret=endpoint.secret, fail_first=2) as receiver:
            endpoint.url = receiver.url
            endpoint.save()
            submitted(api, unit)
            delivery = wait_for(
                lambda: WebhookDelivery.objects.filter(status="succeeded").first(), timeout=60
            )
    finally:
        worker.stop()

    assert (delivery.attempts, delivery.response_code) == (3, 200)
    assert [r["verified"] for r in receiver.requests] == [True, True, True]
    first, second, third = (r["at"] for r in receiver.requests)
    assert second - first >= 0.45 and third - second >= 0.95
    assert len({r["headers"]["x-cpro-delivery"] for r in receiver.requests}) == 1


def test_the_verification_snippet_in_docs_api_md_accepts_a_real_signature_only(org):
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    [snippet] = [
        block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify" in block
    ]
    namespace = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]
    body = webhooks.body_bytes({"type": "claim.submitted"})
    header = webhooks.signature("whsec_x", int(time.time()), body)

    assert verify("whsec_x", header, body)
    assert not verify("whsec_y", header, body)
    assert not verify("whsec_x", header, body + b" ")
    assert not verify("whsec_x", webhooks.signature("whsec_x", int(time.time()) - 3600, body), body)
    assert not verify("whsec_x", "garbage", body)


def test_the_beat_sweep_purges_old_idempotency_keys_and_requeues_lost_retries(api, org, unit):
    from partner_api import tasks
    from partner_api.models import IdempotencyKey

    endpoint_for(org, events=["claim.submitted"])
    api.post("/api/v1/claims/", {"items": []}, format="json")  # 400: keeps no key
    draft = create_draft(api, unit)
    api.post(f"/api/v1/claims/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))

    assert tasks.sweep() == {"idempotency_keys_purged": 1, "webhooks_overdue": 1}
    assert tasks.sweep() == {"idempotency_keys_purged": 0, "webhooks_overdue": 1}
    assert OutboxMessage.objects.filter(dedupe_key__contains=":retry:").count() == 1


# --- The delivery log through the API: list, ask a redelivery ------------------------------


def test_the_api_lists_the_organisations_deliveries_only(api, org, unit, stranger):
    endpoint = endpoint_for(org, events=["claim.submitted"], active=False)
    endpoint_for(stranger["org"], events=["claim.submitted"])
    submitted(api, unit)
    stranger["api"].post(f"/api/v1/claims/{stranger['claim'].pk}/submit/")
    [ours] = deliveries(endpoint=endpoint)

    response = api.get("/api/v1/webhooks/deliveries/")

    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert listed["id"] == str(ours.uuid)
    assert (listed["event"], listed["status"]) == ("claim.submitted", "skipped")
    assert listed["error"] == "Skipped: the endpoint is disabled."
    assert listed["payload"] == ours.payload
    skipped = api.get("/api/v1/webhooks/deliveries/", {"status": "skipped"}).json()["results"]
    assert [d["id"] for d in skipped] == [str(ours.uuid)]
    assert api.get("/api/v1/webhooks/deliveries/", {"status": "pending"}).json()["results"] == []
    assert api.get("/api/v1/webhooks/deliveries/", {"status": ""}).status_code == 400


def test_the_api_redelivers_a_missed_delivery(api, org, unit, stranger):
    endpoint = endpoint_for(org, events=["claim.submitted"], active=False)
    submitted(api, unit)
    [delivery] = deliveries()
    url = f"/api/v1/webhooks/deliveries/{delivery.uuid}/redeliver/"

    refused = api.post(url)
    assert refused.status_code == 409
    assert "disabled" in refused.json()["errors"]["non_field_errors"][0]

    webhooks.reenable_endpoint(endpoint=endpoint)
    assert stranger["api"].post(url).status_code == 404  # another organisation's
    response = api.post(url, HTTP_IDEMPOTENCY_KEY="again-1")

    assert response.status_code == 202, response.content
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    keys = OutboxMessage.objects.values_list("dedupe_key", flat=True)
    assert [k for k in keys if k.startswith(f"webhook:{delivery.pk}:again:")]
    again = api.post(url)
    assert again.status_code == 409  # pending now: nothing missed
    assert "failed or skipped" in again.json()["errors"]["non_field_errors"][0]


@pytest.mark.parametrize("key", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_delivery_is_404(api, key):
    response = api.post(f"/api/v1/webhooks/deliveries/{key}/redeliver/")

    assert response.status_code == 404
    assert response.json()["errors"]["detail"]
