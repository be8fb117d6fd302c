"""R1 and R2: the return authorization, the buyer's shipment, receiving (the R2 checklist) and
refusals. Each function is one act through ``workflow.act``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from rma_portal.exceptions import (
    DomainError,
    InvalidState,
)

from .actors import Actor
from .cleaning import item_id_of, max_length, required_text
from .document_service import request_document
from .items import items_of
from .models import (
    Claim,
    ClaimItem,
    ClaimStatus,
    DocumentKind,
    ReceiptCondition,
)
from .workflow import UNDER_REVIEW, act


def _checklist_failures(original_packaging: bool, bills: bool, rma_on_docs: bool) -> list[str]:
    failures = []
    if not original_packaging:
        failures.append(_("not in the original packaging"))
    if not bills:
        failures.append(_("without the bills of purchase"))
    if not rma_on_docs:
        failures.append(_("the RMA number is not on the documents"))
    return failures


def authorize_return(
    *, actor: Actor, claim: Claim, items: Iterable[ClaimItem | int] | None = None
) -> list[ClaimItem]:
    """R1: staff authorize the return of some or all items (``None``: all; at least one).

    Only authorized items may be shipped back; anything else that arrives is refused (R1).
    The Return Authorization document is issued separately. Returns the authorized items.
    """
    chosen_ids = None if items is None else {item_id_of(i) for i in items}
    with act(claim, "authorize_return", actor) as step:
        all_items = list(items_of(step.claim))
        by_id = {item.pk: item for item in all_items}
        if chosen_ids is None:
            chosen_ids = set(by_id)
        unknown = chosen_ids - set(by_id)
        if unknown:
            raise DomainError(_("Only items of this claim can be authorized."), field="items")
        if not chosen_ids:
            raise DomainError(_("Choose at least one item to return (R1)."), field="items")
        authorized = [item for item in all_items if item.pk in chosen_ids]
        for item in all_items:
            item.return_authorized = item.pk in chosen_ids
            item.save(update_fields=["return_authorized"])
        step.data.update(
            serials=[item.serial_number for item in authorized],
            not_authorized=[item.serial_number for item in all_items if item.pk not in chosen_ids],
        )
        request_document(claim=step.claim, kind=DocumentKind.RETURN_AUTHORIZATION)  # R1
        step.tell_buyer("return_authorized")
    return authorized


def record_shipment(*, actor: Actor, claim: Claim, carrier: str, tracking_number: str) -> Claim:
    """R1: the buyer records the carrier and tracking number of the authorized return.

    Both are required (trimmed). The return travels at the buyer's expense (R1).
    """
    with act(claim, "record_shipment", actor) as step:
        carrier = required_text(
            carrier, "carrier", _("The carrier"), max_length=max_length(Claim, "carrier")
        )
        tracking_number = required_text(
            tracking_number,
            "tracking_number",
            _("The tracking number"),
            max_length=max_length(Claim, "tracking_number"),
        )
        locked = step.claim
        locked.carrier = carrier
        locked.tracking_number = tracking_number
        locked.shipped_at = timezone.now()
        locked.save(update_fields=["carrier", "tracking_number", "shipped_at", "updated_at"])
        step.data.update(carrier=carrier, tracking_number=tracking_number)
    return claim


def receive(
    *,
    actor: Actor,
    claim: Claim,
    original_packaging: bool,
    bills_of_purchase: bool,
    rma_on_documents: bool,
    conditions: Mapping[Any, str] | None = None,
) -> Claim:
    """R2: staff record the arrival of the authorized return and the receiving checklist.

    Each authorized item gets a receipt condition (``conditions`` by item id; default
    ``as_expected``; ``wrong_item``, ``missing`` for a short shipment, ``damaged_in_transit``);
    the event lists every item that differs. If any checklist box fails — original packaging,
    bills of purchase, RMA number on the documents — the return is refused instead (claim
    ``refused``, ``refusal_reason`` naming what failed); the conditions are still recorded.
    """
    checklist = {
        "original_packaging": original_packaging,
        "bills_of_purchase": bills_of_purchase,
        "rma_on_documents": rma_on_documents,
    }
    raw_conditions = {item_id_of(k): v for k, v in (conditions or {}).items()}
    with act(claim, "receive", actor) as step:
        for name, value in checklist.items():
            if not isinstance(value, bool):
                raise DomainError(_("Tick or clear every box of the checklist (R2)."), field=name)
        items = list(items_of(step.claim))
        authorized = {item.pk: item for item in items if item.return_authorized}
        for item_id, value in raw_conditions.items():
            if item_id not in authorized:
                raise DomainError(
                    _("Item %(id)s was not authorized for return in this claim (R1).")
                    % {"id": item_id},
                    field="conditions",
                )
            if value not in ReceiptCondition.values:
                raise DomainError(
                    _("%(serial)s: unknown receipt condition %(value)r.")
                    % {"serial": authorized[item_id].serial_number, "value": value},
                    field="conditions",
                )
        received = []
        differences = []
        for item in authorized.values():
            condition = ReceiptCondition(raw_conditions.get(item.pk, ReceiptCondition.AS_EXPECTED))
            item.receipt_condition = condition
            item.save(update_fields=["receipt_condition"])
            entry = {"serial": item.serial_number, "condition": condition.value}
            received.append(entry)
            if condition != ReceiptCondition.AS_EXPECTED:
                differences.append({**entry, "label": str(condition.label)})

        locked = step.claim
        locked.received_at = timezone.now()
        locked.original_packaging = original_packaging
        locked.bills_of_purchase = bills_of_purchase
        locked.rma_on_documents = rma_on_documents
        failures = _checklist_failures(original_packaging, bills_of_purchase, rma_on_documents)
        if failures:
            step.to_status = ClaimStatus.REFUSED
            locked.refusal_reason = _("Return refused (R2): %(failures)s.") % {
                "failures": "; ".join(failures)
            }
        locked.save(
            update_fields=[
                "received_at",
                "original_packaging",
                "bills_of_purchase",
                "rma_on_documents",
                "refusal_reason",
                "updated_at",
            ]
        )
        step.data.update(
            checklist=checklist,
            passed=not failures,
            items=received,
            differences=differences,
        )
        step.tell_buyer("refused" if failures else "received")  # R2
        if failures:
            step.data["refusal_reason"] = locked.refusal_reason
    return claim


def refuse_unauthorized_arrival(*, actor: Actor, claim: Claim, note: str = "") -> Claim:
    """R1: goods that arrive before CPRO authorized their return are refused.

    Only for a claim not yet ``return_authorized`` (submitted or information requested); an
    authorized return is checked with ``receive`` instead.
    """
    with act(claim, "refuse", actor) as step:
        locked = step.claim
        if locked.status not in UNDER_REVIEW:
            raise InvalidState(
                _(
                    "The return of this claim was authorized; record its arrival with the "
                    "receiving checklist (R2)."
                )
            )
        note = note.strip() if isinstance(note, str) else ""
        reason = _("Goods arrived without CPRO's return authorization and were refused (R1).")
        if note:
            reason = f"{reason} {note}"
        locked.refusal_reason = reason
        locked.save(update_fields=["refusal_reason", "updated_at"])
        step.data.update(reason=reason, unauthorized_arrival=True)
        step.tell_buyer("refused")
    return claim


def refuse(*, actor: Actor, claim: Claim, reason: str) -> Claim:
    """R1/R2: staff refuse the return for a stated reason (reason required)."""
    with act(claim, "refuse", actor) as step:
        reason = required_text(reason, "reason", _("A reason"))
        step.claim.refusal_reason = reason
        step.claim.save(update_fields=["refusal_reason", "updated_at"])
        step.data.update(reason=reason)
        step.tell_buyer("refused")
    return claim
