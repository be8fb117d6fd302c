"""Reads of claims, with the joins their pages need (STYLE 6) and the organisation boundary.

A buyer (or a partner's key) reaches only their own organisation's claims; another
organisation's claim, message or attachment is "not found", never "forbidden", so nothing
leaks its existence. Internal notes and non-public events are for staff only.
"""

from __future__ import annotations

import re

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from rma_portal.exceptions import NotFound

from .actors import Actor
from .models import Attachment, Channel, Claim, ClaimEvent, ClaimItem, Message

_RMA = re.compile(r"^RMA-\d{4}-\d{6}$", re.IGNORECASE)


def _with_details(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """A claim's page: its items with unit, shipment, model, component, reason and evidence."""
    items = ClaimItem.objects.select_related(
        "unit__shipment", "unit__product_model", "component", "defect_reason"
    ).prefetch_related("attachments")
    return queryset.select_related("organisation", "author", "api_key").prefetch_related(
        Prefetch("items", queryset=items)
    )


def claims_of(organisation: Organisation) -> QuerySet[Claim]:
    """The organisation's claims, newest first, each with ``item_count``."""
    return (
        Claim.objects.filter(organisation=organisation)
        .select_related("organisation", "author")
        .annotate(item_count=Count("items"))
        .order_by("-created_at", "-pk")
    )


def _by_key(queryset: QuerySet[Claim], key: int | str) -> Claim:
    """A claim by numeric id or RMA number (N2: the RMA number is used in all communication)."""
    not_found = NotFound(_("No such claim."))
    if isinstance(key, bool):
        raise not_found
    if isinstance(key, int):
        lookup = {"pk": key}
    elif isinstance(key, str) and key.strip().isascii() and key.strip().isdecimal():
        # isascii: "³" and other Unicode digits are not ids (int() would raise).
        lookup = {"pk": int(key.strip())}
    elif isinstance(key, str) and _RMA.match(key.strip()):
        lookup = {"rma_number": key.strip().upper()}
    else:
        raise not_found
    if "pk" in lookup and not 0 < lookup["pk"] < 2**63:
        raise not_found
    claim = queryset.filter(**lookup).first()
    if claim is None:
        raise not_found
    return claim


def claim_of(organisation: Organisation, key: int | str) -> Claim:
    """One of the organisation's claims; another organisation's is not found."""
    return _by_key(_with_details(Claim.objects.filter(organisation=organisation)), key)


def messages_for(claim: Claim, *, staff: bool) -> QuerySet[Message]:
    """The claim's thread, oldest first; buyers never see internal notes."""
    messages = claim.messages.select_related("author").prefetch_related("attachments")
    if not staff:
        messages = messages.filter(internal=False)
    return messages.order_by("created_at", "pk")


def timeline(claim: Claim, *, staff: bool) -> QuerySet[ClaimEvent]:
    """The claim's events in order; buyers see the public ones only."""
    events = claim.events.select_related("actor")
    if not staff:
        events = events.filter(public=True)
    return events.order_by("seq")


def attachment_for(
    actor_or_org: Actor | Organisation | User, attachment_id: int | str
) -> Attachment:
    """An attachment the asker may download: staff any; a buyer only their organisation's,
    and never one posted with an internal note. Anything else is not found."""
    not_found = NotFound(_("No such attachment."))
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise not_found from None
    if not 0 < pk < 2**63:
        raise not_found
    attachments = Attachment.objects.select_related("claim", "item")
    if isinstance(actor_or_org, User):
        # The same reading of a request's user as every other channel.
        actor_or_org = Actor.for_request_user(actor_or_org, Channel.PORTAL)
    if isinstance(actor_or_org, Actor):
        staff = actor_or_org.is_staff
        organisation = actor_or_org.organisation
    else:
        staff = False
        organisation = actor_or_org
    if not staff:
        if organisation is None:
            raise not_found
        attachments = attachments.filter(claim__organisation=organisation).exclude(
            message__internal=True
        )
    attachment = attachments.filter(pk=pk).first()
    if attachment is None:
        raise not_found
    return attachment
