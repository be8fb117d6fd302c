"""Reads of the partner API, on top of claims.selectors (the organisation boundary lives there).

Every queryset carries the joins its serializer needs (STYLE 6), so a page of claims costs the
same few queries whatever its length.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from accounts.models import Organisation
from claims.models import Attachment, Claim, ClaimItem, Document, DocumentStatus
from claims.selectors import claims_of
from rma_portal.exceptions import NotFound, ValidationFailed

from .models import WebhookDelivery

ITEM_JOINS = ("component", "defect_reason", "credit_note", "charge__debit_note")


def claims_for_api(
    organisation: Organisation,
    *,
    status: str | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Claim]:
    """The organisation's claims, optionally of one status or changed since a time, with their
    items; ordered by the pagination (last change first)."""
    claims = claims_of(organisation).prefetch_related(
        Prefetch("items", queryset=ClaimItem.objects.select_related(*ITEM_JOINS))
    )
    if status:
        claims = claims.filter(status=status)
    if updated_since is not None:
        claims = claims.filter(updated_at__gte=updated_since)
    return claims


def attachments_of(claim: Claim) -> QuerySet[Attachment]:
    """Evidence the buyer side may see: never files posted with an internal note."""
    return claim.attachments.exclude(message__internal=True).order_by("created_at", "pk")


def stored_attachment(claim: Claim, attachment_id: int) -> Attachment:
    """Evidence of the claim the buyer side may see, whose file is there; anything else (an
    internal note's file, another claim's, another organisation's) is not found."""
    attachment = (
        attachments_of(claim).filter(pk=attachment_id).first()
        if 0 < attachment_id < 2**63
        else None
    )
    if (
        attachment is None
        or not attachment.file
        or not attachment.file.storage.exists(attachment.file.name)
    ):
        raise NotFound("No such attachment.")
    return attachment


def documents_of(claim: Claim) -> QuerySet[Document]:
    return claim.documents.select_related("credit_note", "debit_note").order_by("created_at", "pk")


def ready_document(claim: Claim, document_id: int) -> Document:
    """A rendered document of the claim whose file is there; anything else is not found."""
    document = (
        documents_of(claim).filter(pk=document_id, status=DocumentStatus.READY).first()
        if 0 < document_id < 2**63
        else None
    )
    if (
        document is None
        or not document.file
        or not document.file.storage.exists(document.file.name)
    ):
        raise NotFound("No such document.")
    return document


def item_of(claim: Claim, item_id: int | None) -> ClaimItem | None:
    if item_id is None:
        return None
    item = claim.items.filter(pk=item_id).first()
    if item is None:
        raise ValidationFailed({"item": ["No such item in this claim."]})
    return item


def deliveries_for_api(
    organisation: Organisation, *, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """The organisation's webhook delivery log (every endpoint of it), newest first."""
    deliveries = WebhookDelivery.objects.filter(endpoint__organisation=organisation).select_related(
        "endpoint"
    )
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries


def delivery_of(organisation: Organisation, delivery_uuid: str) -> WebhookDelivery:
    """One delivery of the organisation by its ``X-CPRO-Delivery`` UUID; another's is not
    found, exactly like one that does not exist."""
    try:
        key = uuid.UUID(delivery_uuid)
    except ValueError:
        raise NotFound("No such delivery.") from None
    delivery = deliveries_for_api(organisation).filter(uuid=key).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery
