"""The side effects an act on a claim may name, queued in the act's transaction.

An act names what it causes (``step.tell_buyer("submitted")``, ``step.tell_partners(
"message.created")``; see ``workflow.Step``); ``workflow.act`` calls these with the act's event
once it is appended. Each goes through the transactional outbox, so it is committed with the
change or not at all and survives a broker outage, and each is keyed by the event's id, so a
replayed act never sends twice. What the e-mails say lives in ``notifications.emails``; what the
webhooks carry, in ``partner_api.webhooks``.
"""

from __future__ import annotations

from notifications import outbox
from notifications.emails import BUYER_KINDS, STAFF_KINDS
from partner_api import webhooks
from partner_api.models import WebhookEvent

from .models import ClaimEvent

SEND_CLAIM_EMAIL = "notifications.tasks.send_claim_email"
CLAIM_SUBMITTED = WebhookEvent.CLAIM_SUBMITTED
CLAIM_STATUS_CHANGED = WebhookEvent.CLAIM_STATUS_CHANGED
DOCUMENT_READY = WebhookEvent.DOCUMENT_READY
MESSAGE_CREATED = WebhookEvent.MESSAGE_CREATED


def email(event: ClaimEvent, *, kind: str, audience: str) -> None:
    """Queue the e-mail ``kind`` about ``event`` to ``audience`` ("buyer" or "staff"); the
    catalogue of notifications.emails says which templates go to whom, and a mismatch is a
    programming error caught here, at the act, not in the worker."""
    if kind not in (BUYER_KINDS if audience == "buyer" else STAFF_KINDS):
        raise ValueError(f"{kind!r} is not an e-mail to {audience}.")
    outbox.enqueue(
        SEND_CLAIM_EMAIL, args=[event.pk, kind], dedupe_key=f"event:{event.pk}:email:{kind}"
    )


def webhook(event: ClaimEvent, *, name: str) -> None:
    """Queue the webhook event ``name`` about ``event`` to the organisation's endpoints."""
    webhooks.emit(event, str(name))
