"""Reads for the portal's pages, each with the joins its page needs (STYLE 6).

Built on ``warranty.selectors`` and ``claims.selectors`` (the organisation boundary lives
there); what is added here is only what a page shows on top, so no page's query count grows
with the organisation's units or claims.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from accounts.models import Organisation
from claims.models import OPEN_STATUSES, Claim, ClaimItem, ClaimStatus, Document, DocumentStatus
from claims.selectors import claims_of
from warranty.models import Unit
from warranty.selectors import units_of

# A replacement unit (D1) is judged by the unit it replaced: join that one too, so the verdict of
# a page of units needs no query per replacement.
_REPLACED = (
    "replaces_item__unit__shipment",
    "replaces_item__unit__product_model",
    "replaces_item__unit__replaces_item",
)


def unit_list(organisation: Organisation, query: str = "") -> QuerySet[Unit]:
    """The organisation's units, newest shipment first, searched by serial, model, PO or PI."""
    units = units_of(organisation).select_related(*_REPLACED)
    query = (query or "").strip()
    if query:
        units = units.filter(
            Q(serial_number__icontains=query)
            | Q(product_model__code__icontains=query)
            | Q(product_model__name__icontains=query)
            | Q(shipment__po_number__icontains=query)
            | Q(shipment__pi_number__icontains=query)
        )
    return units.order_by("-shipment__shipment_date", "serial_number")


def unit_claim_items(organisation: Organisation, unit: Unit) -> QuerySet[ClaimItem]:
    """The organisation's claims that name this unit, newest first."""
    return (
        ClaimItem.objects.filter(unit=unit, claim__organisation=organisation)
        .select_related("claim")
        .order_by("-claim__created_at")
    )


def _with_items(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    # The items' units and shipments: a draft's N1 deadline is counted from them.
    items = ClaimItem.objects.select_related("unit__shipment").order_by("position", "pk")
    return claims.prefetch_related(Prefetch("items", queryset=items))


# Claims waiting for the buyer first (info requested, return authorized, drafts), then the rest.
_URGENCY = Case(
    When(status=ClaimStatus.INFO_REQUESTED, then=Value(0)),
    When(status=ClaimStatus.RETURN_AUTHORIZED, then=Value(1)),
    When(status=ClaimStatus.DRAFT, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def dashboard_claims(organisation: Organisation) -> QuerySet[Claim]:
    """Open claims and drafts, those waiting for the buyer first."""
    claims = claims_of(organisation).filter(status__in={*OPEN_STATUSES, ClaimStatus.DRAFT})
    return _with_items(claims).annotate(urgency=_URGENCY).order_by("urgency", "-updated_at", "-pk")


def claim_list(organisation: Organisation, *, query: str = "", status: str = "") -> QuerySet[Claim]:
    claims = claims_of(organisation)
    if status == "open":
        claims = claims.filter(status__in={*OPEN_STATUSES, ClaimStatus.DRAFT})
    elif status in ClaimStatus.values:
        claims = claims.filter(status=status)
    query = (query or "").strip()
    if query:
        # A subquery, not a join: the join would multiply claims_of's item count.
        by_serial = ClaimItem.objects.filter(serial_number__icontains=query).values("claim_id")
        claims = claims.filter(
            Q(rma_number__icontains=query)
            | Q(buyer_reference__icontains=query)
            | Q(pk__in=by_serial)
        )
    return _with_items(claims)


def claim_documents(claim: Claim) -> QuerySet[Document]:
    """The claim's documents a buyer may see: issued ones (ready) and those being rendered."""
    return (
        claim.documents.filter(status__in=[DocumentStatus.READY, DocumentStatus.PENDING])
        .select_related("credit_note", "debit_note")
        .order_by("created_at", "pk")
    )
