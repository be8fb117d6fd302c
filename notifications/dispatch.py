"""What follows an act on a claim: e-mails and documents, queued in the act's own transaction.

``workflow.act`` calls ``after_event`` right after appending the event, inside the transaction,
so the side effects are committed together with the change or not at all, and go out through
the outbox (never lost when the broker is down). Every outbox key is derived from the event's
id, so replaying an event never sends twice.
"""

from __future__ import annotations

from claims.models import ClaimEvent, ClaimStatus, Message

from . import outbox

SEND_CLAIM_EMAIL = "notifications.tasks.send_claim_email"

# Buyer-facing e-mails by event kind. Not here: the buyer's own acts other than cancelling
# (drafts, answers, shipment, evidence), staff bookkeeping (notes, charges, credit/debit
# notes, documents), and internal notes, which are never e-mailed to buyers.
BUYER_EMAILS = {
    "submit": "submitted",  # acknowledgement: RMA number (N2), hold (N4), verdicts and N5
    "request_info": "info_requested",
    "authorize_return": "return_authorized",  # R1
    "receive": "received",  # R2; a failed checklist refuses instead, see below
    "refuse": "refused",  # R1/R2
    "inspect": "inspected",  # D1, D2, W2, W5
    "close": "closed",
    "reject": "rejected",
    "cancel": "cancelled",
    "hold_ended": "hold_ended",  # N4
    "post_message": "message",  # only staff's messages, see below
}
STAFF_EMAILS = {"hold_ended": "hold_ended_staff"}  # N4: "both sides are told"


def after_event(event: ClaimEvent) -> None:
    """Queue the e-mails and documents that ``event`` calls for (inside its transaction)."""
    for kind in email_kinds(event):
        outbox.enqueue(
            SEND_CLAIM_EMAIL,
            args=[event.pk, kind],
            dedupe_key=f"event:{event.pk}:email:{kind}",
        )
    # Imported here: claims.documents imports claims.workflow, which imports this module.
    # Requesting a document queues its rendering through the outbox (claims.documents._schedule).
    from claims.documents import documents_for_event
    from partner_api.webhooks import enqueue_for_event

    documents_for_event(event)
    enqueue_for_event(event)  # partners' signed webhooks, also through the outbox


def email_kinds(event: ClaimEvent) -> list[str]:
    """The e-mail templates an event calls for: buyer-facing first, then staff."""
    if not event.public:
        return []  # internal: off the buyer's timeline, never in their mailbox
    if not event.claim.rma_number:
        return []  # a draft (cancelled, edited): no notice given, nothing to confirm (N2)
    kind = BUYER_EMAILS.get(event.kind)
    if event.kind == "receive" and event.to_status == ClaimStatus.REFUSED:
        kind = "refused"  # R2 checklist failed on arrival
    if event.kind == "post_message" and not _from_staff(event):
        kind = None
    kinds = [kind] if kind else []
    if event.kind in STAFF_EMAILS:
        kinds.append(STAFF_EMAILS[event.kind])
    return kinds


def _from_staff(event: ClaimEvent) -> bool:
    message_id = (event.data or {}).get("message")
    return Message.objects.filter(
        pk=message_id, claim=event.claim_id, from_staff=True, internal=False
    ).exists()
