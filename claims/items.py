"""A claim's items as the acts read them: joined for the rules, and locked with their claim."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from rma_portal.exceptions import (
    DomainError,
)

from .models import (
    Claim,
    ClaimItem,
)
from .workflow import Step


def items_of(claim: Claim) -> QuerySet[ClaimItem]:
    return claim.items.select_related(
        "unit__shipment", "unit__product_model", "component"
    ).order_by("position", "pk")


def locked_item(step: Step, item: ClaimItem | int) -> ClaimItem:
    """The item, read again under the claim's lock (the caller's copy may be stale)."""
    item_id = item.pk if isinstance(item, ClaimItem) else item
    found = items_of(step.claim).filter(pk=item_id).first()
    if found is None:
        raise DomainError(_("No such item in this claim."), field="item", code="not_found")
    return found


def claim_id_of(item: ClaimItem | int) -> int:
    if isinstance(item, ClaimItem):
        return item.claim_id
    row = ClaimItem.objects.filter(pk=item).values_list("claim_id", flat=True).first()
    if row is None:
        raise DomainError(_("No such item."), field="item", code="not_found")
    return row


def refresh_item(item: ClaimItem | int) -> None:
    if isinstance(item, ClaimItem):
        item.refresh_from_db()
