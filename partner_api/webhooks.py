"""Signed webhooks for partners (SPEC "Partner API"): which claim events become which webhook
events, the payloads (built here and nowhere else), the signature, and the delivery attempts
with exponential backoff.

``emit`` runs inside the act's transaction (the act names its webhook events, see
``claims.workflow.Step.tell_partners``): the delivery rows commit with the change or not at
all, and the first attempt goes out through the outbox, so a broker outage delays a webhook
instead of losing it. Retries are scheduled by the
delivery task itself; ``requeue_overdue`` (beat) picks up any retry whose message was lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimEvent, Document, Message, VoidReason
from notifications import outbox
from rma_portal.exceptions import InvalidState

from .models import MISSED, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

DELIVER_TASK = "partner_api.tasks.deliver_webhook"
SIGNATURE_HEADER = "X-CPRO-Signature"
EVENT_HEADER = "X-CPRO-Event"
DELIVERY_HEADER = "X-CPRO-Delivery"
USER_AGENT = "CPRO-RMA-Webhooks/1"
# A delivery task may arrive a little before its time (clock skew between processes).
EARLY_TOLERANCE = timedelta(seconds=1)
# A retry this late has lost its message (worker or broker restarted): publish it again.
OVERDUE_AFTER = timedelta(minutes=2)


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base·2ⁿ, capped."""
    base = float(settings.RMA_WEBHOOK_RETRY_BASE_DELAY)
    cap = float(settings.RMA_WEBHOOK_RETRY_MAX_DELAY)
    return min(base * 2**attempts, cap)


# --- Events and payloads -------------------------------------------------------------------


def api_url(name: str, *args: Any) -> str:
    """An absolute URL of the partner API, for payloads (they leave without a request)."""
    return settings.SITE_URL + reverse(name, args=args)


def claim_reference(claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "rma_number": claim.rma_number,
        "status": claim.status,
        "hold_until": claim.hold_until,
        "updated_at": claim.updated_at,
        "url": api_url("api-claim-detail", claim.pk),
    }


def document_data(document: Document, *, download_url: str | None) -> dict[str, Any]:
    """A document as the API and the webhooks show it."""
    return {
        "id": document.pk,
        "kind": document.kind,
        "number": document.number or None,
        "status": document.status,
        "valid": document.valid,
        "language": document.language,
        "verification_code": document.display_code,
        "created_at": document.created_at,
        "rendered_at": document.rendered_at,
        "download_url": download_url if document.is_ready else None,
    }


def message_data(message: Message) -> dict[str, Any]:
    """A thread message as the API and the webhooks show it."""
    return {
        "id": message.pk,
        "body": message.body,
        "author": message.author_label,
        "from_staff": message.from_staff,
        "created_at": message.created_at,
    }


class TimestampEncoder(DjangoJSONEncoder):
    """Timestamps as the API renders them (DRF): ISO 8601 in the portal's time zone with its
    offset and full precision (``2026-11-26T09:10:00.123456+09:00``), not Django's ``…Z`` with
    milliseconds, so a receiver compares webhook and API times as equals."""

    def default(self, o):
        if isinstance(o, datetime):
            if timezone.is_aware(o):
                o = timezone.localtime(o)
            return o.isoformat()
        if isinstance(o, date):
            return o.isoformat()
        return super().default(o)


SKIPPED_DISABLED = "Skipped: the endpoint is disabled."


def payload_for(event: ClaimEvent, name: str) -> dict[str, Any]:
    """The JSON body of webhook event ``name`` caused by ``event``: the one place payloads are
    built. Plain JSON values only (dates as ISO strings), stored as sent.

    Built after the act's writes (``workflow.act`` runs the effects after the status save and
    the event, which moves ``updated_at``): the claim is read again here, so ``updated_at`` is
    the act's own, never the one before it (receivers order by it)."""
    claim = Claim.objects.get(pk=event.claim_id)
    data: dict[str, Any] = {"claim": claim_reference(claim)}
    if name in (WebhookEvent.CLAIM_SUBMITTED, WebhookEvent.CLAIM_STATUS_CHANGED):
        data.update(from_status=event.from_status, to_status=event.to_status)
    if name == WebhookEvent.CLAIM_SUBMITTED:
        data.update(notice_at=claim.notice_at)
    if name == WebhookEvent.MESSAGE_CREATED:
        message = Message.objects.get(pk=event.data["message"], claim=claim, internal=False)
        data["message"] = message_data(message)
    if name in (WebhookEvent.DOCUMENT_READY, WebhookEvent.DOCUMENT_VOIDED):
        document = Document.objects.select_related("credit_note", "debit_note").get(
            pk=event.data["document_id"], claim=claim
        )
        data["document"] = document_data(
            document, download_url=api_url("api-claim-document-download", claim.pk, document.pk)
        )
    if name == WebhookEvent.DOCUMENT_VOIDED:
        # The public reason, as the verification page shows it; staff's own words stay in
        # the claim's log (issue 17: partners are outside CPRO too).
        public = event.data.get("public_reason") or VoidReason.WITHDRAWN
        data["reason"] = public
        with translation.override("en"):  # the API speaks English, whoever voided it
            data["reason_text"] = str(VoidReason(public).label)
    payload = {
        "id": f"evt_{event.pk}_{name.replace('.', '_')}",
        "type": name,
        "created_at": event.created_at,
        "data": data,
    }
    return json.loads(json.dumps(payload, cls=TimestampEncoder))


def emit(event: ClaimEvent, name: str) -> list[WebhookDelivery]:
    """Create the deliveries of webhook event ``name`` caused by ``event`` (the act names it,
    see ``claims.workflow.Step.tell_partners``) and queue their first attempt through the outbox,
    after commit. Runs in the act's transaction; the same event and name twice make no second
    delivery. A disabled endpoint gets its delivery too, recorded as skipped and not sent, so
    the log holds every event and staff (or the partner, through the API) can redeliver it."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organisation_id=event.claim.organisation_id)
        if endpoint.subscribes_to(name)
    ]
    if not endpoints:
        return []
    payload = payload_for(event, name)
    created = []
    for endpoint in endpoints:
        skipped = {} if endpoint.active else {"status": DeliveryStatus.SKIPPED}
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            source_event=event,
            event=name,
            defaults={
                "claim_id": event.claim_id,
                "payload": payload,
                **skipped,
                "error": SKIPPED_DISABLED if skipped else "",
            },
        )
        if is_new and endpoint.active:
            outbox.enqueue(DELIVER_TASK, args=[delivery.pk], dedupe_key=f"webhook:{delivery.pk}")
        if is_new:
            created.append(delivery)
    return created


def redeliver(deliveries) -> int:
    """Send missed deliveries again (failed, or skipped while the endpoint was disabled): each
    becomes pending with a fresh round of attempts, the same payload and ``X-CPRO-Delivery``
    (a receiver that got it after all drops the duplicate). Only to active endpoints; returns
    how many were queued."""
    queued = 0
    with transaction.atomic():
        rows = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .filter(pk__in=[d.pk for d in deliveries], status__in=MISSED, endpoint__active=True)
            .order_by("pk")
        )
        for delivery in rows:
            delivery.status = DeliveryStatus.PENDING
            delivery.attempts = 0
            delivery.error = ""
            delivery.next_attempt_at = timezone.now()
            delivery.save(update_fields=["status", "attempts", "error", "next_attempt_at"])
            token = secrets.token_hex(4)
            outbox.enqueue(
                DELIVER_TASK, args=[delivery.pk], dedupe_key=f"webhook:{delivery.pk}:again:{token}"
            )
            queued += 1
    return queued


def request_redelivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """A partner asks one missed delivery again (``POST …/deliveries/{uuid}/redeliver/``)."""
    if delivery.status not in MISSED:
        raise InvalidState(_("Only a failed or skipped delivery can be sent again."))
    if not redeliver([delivery]):
        raise InvalidState(
            _("The endpoint is disabled: ask CPRO staff to enable it, then ask again.")
        )
    delivery.refresh_from_db()
    return delivery


# --- Signing -------------------------------------------------------------------------------


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``X-CPRO-Signature``: ``t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (docs/api.md): the HMAC matches and the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Delivery ------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: the endpoint's URL is what staff configured."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST the body; (HTTP status, error text). Any 2xx is success; nothing else is."""
    timeout = float(settings.RMA_WEBHOOK_TIMEOUT)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:1000]


def deliver(delivery_id: int, *, now: datetime | None = None) -> float | None:
    """Make one attempt at a due delivery; returns seconds until its retry, or None when there
    is nothing more to schedule (delivered, given up, not due, or another worker has it).

    The delivery row stays locked during the attempt, so a duplicated task never sends twice at
    once. After ``RMA_WEBHOOK_MAX_ATTEMPTS`` failed attempts the delivery is given up; after
    ``RMA_WEBHOOK_DISABLE_AFTER`` deliveries in a row given up, the endpoint is disabled until
    staff re-enable it. Any 2xx answer delivers, and resets the endpoint's failure count.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        now = now or timezone.now()
        if delivery.next_attempt_at > now + EARLY_TOLERANCE:
            return None  # a duplicate or early message: the scheduled one will come
        endpoint = delivery.endpoint
        if not endpoint.active:
            delivery.status = DeliveryStatus.SKIPPED
            delivery.error = SKIPPED_DISABLED
            delivery.save(update_fields=["status", "error"])
            return None

        body = body_bytes(delivery.payload)
        timestamp = int(time.time())
        code, error = _post(
            endpoint.url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                EVENT_HEADER: delivery.event,
                DELIVERY_HEADER: str(delivery.uuid),
                SIGNATURE_HEADER: signature(endpoint.secret, timestamp, body),
            },
        )
        delivery.attempts += 1
        delivery.response_code = code
        delivery.last_attempt_at = timezone.now()
        retry_in = None
        if code is not None and 200 <= code < 300:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = delivery.last_attempt_at
            delivery.error = ""
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        elif delivery.attempts >= int(settings.RMA_WEBHOOK_MAX_ATTEMPTS):
            delivery.status = DeliveryStatus.FAILED
            delivery.error = error
            _count_failed_delivery(endpoint)
        else:
            retry_in = retry_delay(delivery.attempts)
            delivery.error = error
            delivery.next_attempt_at = delivery.last_attempt_at + timedelta(seconds=retry_in)
        delivery.save()
    if retry_in is not None:
        logger.info(
            "Webhook delivery %s failed (%s); retry in %.1f s", delivery_id, error, retry_in
        )
    return retry_in


def _count_failed_delivery(endpoint: WebhookEndpoint) -> None:
    limit = int(settings.RMA_WEBHOOK_DISABLE_AFTER)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, active=True, consecutive_failures__gte=limit
    ).update(active=False, disabled_at=timezone.now())
    if disabled:
        logger.warning("Webhook endpoint %s disabled after %d failed deliveries", endpoint, limit)


def requeue_overdue(*, now: datetime | None = None) -> int:
    """Queue again every pending delivery well past its time (its retry message was lost when
    a worker or the broker restarted); returns how many are overdue. Idempotent: one outbox
    entry per delivery and attempt number, however often it runs."""
    now = now or timezone.now()
    overdue = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lt=now - OVERDUE_AFTER
    ).values_list("pk", "attempts")
    count = 0
    with transaction.atomic():
        for pk, attempts in overdue:
            outbox.enqueue(DELIVER_TASK, args=[pk], dedupe_key=f"webhook:{pk}:retry:{attempts}")
            count += 1
    return count


# --- Endpoints (staff, in the admin) -------------------------------------------------------


def reenable_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Staff turn a disabled endpoint back on, its failure count cleared. Deliveries given up
    meanwhile stay in the log as failed; new events are delivered again."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=True, disabled_at=None, consecutive_failures=0
    )
    endpoint.refresh_from_db()
    return endpoint


def disable_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Staff stop sending to an endpoint (its pending deliveries are not sent)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
        active=False, disabled_at=timezone.now()
    )
    endpoint.refresh_from_db()
    return endpoint
