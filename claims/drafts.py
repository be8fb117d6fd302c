"""Drafts (SPEC "Claim lifecycle": draft): the buyer's claim before the notice — no N1 notice
given yet, no RMA number (N2). Items are checked as given (serial of the organisation, dates,
component) and carry a preliminary verdict as of today (N5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rma_portal.exceptions import (
    DomainError,
    Forbidden,
    NotFound,
    RuleInputError,
    ValidationFailed,
)
from warranty import rules
from warranty.models import Component, Unit
from warranty.selectors import (
    PolicyTable,
    check_defect_date,
    component_facts,
    seoul_today,
    unit_of,
    unit_verdict,
)

from .actors import Actor
from .cleaning import FieldErrors, clean_date, clean_text, max_length
from .models import (
    Attachment,
    Claim,
    ClaimItem,
    DefectKind,
    DefectReason,
)
from .workflow import act

_SHORT_FIELDS = ("serial_number", "model_code", "po_number", "pi_number")


@dataclass
class _CleanItem:
    unit: Unit
    serial_number: str
    model_code: str
    shipment_date: date | None
    po_number: str
    pi_number: str
    defect_kind: str
    defect_date: date
    defect_details: str
    component: Component | None
    component_facts: rules.ComponentFacts | None
    reason: DefectReason | None

    def fields(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "serial_number": self.serial_number,
            "model_code": self.model_code,
            "shipment_date": self.shipment_date,
            "po_number": self.po_number,
            "pi_number": self.pi_number,
            "defect_kind": self.defect_kind,
            "defect_date": self.defect_date,
            "defect_details": self.defect_details,
            "component": self.component,
            "defect_reason": self.reason,
        }


def shipment_date_error(shipment_date: date, unit: Unit | None, *, today: date) -> str:
    """N3: a shipment date that cannot be true is an input error (in the future, or after the
    delivery CPRO recorded); one that merely differs from the records is a flagged mismatch."""
    if shipment_date > today:
        return _("The date of shipment %(date)s is in the future.") % {
            "date": shipment_date.isoformat()
        }
    delivery = unit.shipment.delivery_date if unit is not None else None
    if delivery is not None and shipment_date > delivery:
        return _(
            "The date of shipment %(date)s is after the unit's recorded delivery date "
            "%(delivery)s; give the date CPRO shipped it (N3)."
        ) % {"date": shipment_date.isoformat(), "delivery": delivery.isoformat()}
    return ""


def _clean_item(
    raw: Any, index: int, *, actor: Actor, today: date, errors: FieldErrors
) -> _CleanItem | None:
    """One item as SPEC "Operations interface" gives it; errors under ``items.<index>.<field>``.

    N3 fields may be blank in a draft (submission requires them); the serial, the defect kind
    and date are needed from the start, since the preliminary verdict depends on them.
    """
    p = f"items.{index}."
    if not isinstance(raw, Mapping):
        errors.add(f"items.{index}", _("Each item must be an object with the item's fields."))
        return None
    before = errors.count
    text = {
        f: clean_text(raw.get(f), p + f, errors, max_length=max_length(ClaimItem, f))
        for f in _SHORT_FIELDS
    }
    details = clean_text(raw.get("defect_details"), p + "defect_details", errors)
    shipment_date = clean_date(raw.get("shipment_date"), p + "shipment_date", errors)

    unit = None
    if not text["serial_number"]:
        errors.add(p + "serial_number", _("Enter the unit's serial number."))
    elif p + "serial_number" not in errors.errors:
        try:
            # Unknown and another organisation's serial read the same: no existence leak.
            unit = unit_of(actor.organisation, text["serial_number"])
        except NotFound as exc:
            errors.add(p + "serial_number", exc.message)

    if shipment_date is not None and p + "shipment_date" not in errors.errors:
        error = shipment_date_error(shipment_date, unit, today=today)
        if error:
            errors.add(p + "shipment_date", error)

    kind = raw.get("defect_kind")
    if kind not in DefectKind.values:
        errors.add(
            p + "defect_kind",
            _("Choose 'manifest' (visible on receipt) or 'hidden' (discovered later)."),
        )
        kind = None

    defect_date = clean_date(raw.get("defect_date"), p + "defect_date", errors)
    if defect_date is None and p + "defect_date" not in errors.errors:
        errors.add(p + "defect_date", _("Enter the date of receipt or discovery of the defect."))
    if unit is not None and defect_date is not None:
        try:
            check_defect_date(unit, defect_kind=kind, defect_date=defect_date, today=today)
        except RuleInputError as exc:
            errors.add(p + "defect_date", exc.message)

    component = facts = None
    component_name = raw.get("component")
    if component_name is not None and not isinstance(component_name, str):
        errors.add(p + "component", _("Enter the component's name, or 'unknown'."))
    elif unit is not None and component_name:
        try:
            facts = component_facts(unit, component_name)
        except DomainError as exc:
            errors.add(p + "component", exc.message)
        if facts is not None:
            component = unit.product_model.components.get(name=facts.name)

    reason = None
    code = raw.get("reason")
    if code not in (None, ""):
        reason = DefectReason.objects.filter(code=code, active=True).first()
        if reason is None:
            codes = ", ".join(
                DefectReason.objects.filter(active=True).values_list("code", flat=True)
            )
            errors.add(
                p + "reason",
                _("Unknown defect reason %(code)r; choose one of: %(codes)s.")
                % {"code": code, "codes": codes},
            )

    if errors.count > before:
        return None
    assert unit is not None and defect_date is not None and kind is not None
    return _CleanItem(
        unit=unit,
        serial_number=unit.serial_number,
        model_code=text["model_code"],
        shipment_date=shipment_date,
        po_number=text["po_number"],
        pi_number=text["pi_number"],
        defect_kind=kind,
        defect_date=defect_date,
        defect_details=details,
        component=component,
        component_facts=facts,
        reason=reason,
    )


def _clean_items(raw_items: Any, *, actor: Actor, today: date) -> list[_CleanItem]:
    """All items at once: every error is reported together, and nothing is saved on any."""
    errors = FieldErrors()
    if not isinstance(raw_items, Sequence) or isinstance(raw_items, str | bytes):
        errors.add("items", _("Give the items as a list."))
        errors.raise_if_any()
    if not raw_items:
        errors.add("items", _("Add at least one unit to the claim."))
        errors.raise_if_any()
    cleaned: list[_CleanItem] = []
    seen: dict[int, int] = {}
    for index, raw in enumerate(raw_items):
        item = _clean_item(raw, index, actor=actor, today=today, errors=errors)
        if item is None:
            continue
        if item.unit.pk in seen:
            errors.add(
                f"items.{index}.serial_number",
                _("This unit is already item %(n)d of this claim.") % {"n": seen[item.unit.pk] + 1},
            )
            continue
        seen[item.unit.pk] = index
        cleaned.append(item)
    errors.raise_if_any()
    return cleaned


def _require_buyer(actor: Actor) -> None:
    if not actor.is_buyer:
        raise Forbidden(_("CPRO staff cannot do this on the buyer's behalf."))
    if actor.organisation is None:
        raise Forbidden(_("Your account does not belong to a buyer organisation."))


def _draft_verdict(clean: _CleanItem, *, today: date, policies: PolicyTable) -> rules.Verdict:
    # As if notified today: tells the buyer what submitting now would give (N1 deadline too).
    return unit_verdict(
        clean.unit,
        today=today,
        defect_kind=clean.defect_kind,
        defect_date=clean.defect_date,
        component=clean.component_facts,
        policies=policies,
    )


def _item_summary(items: Sequence[ClaimItem]) -> list[dict[str, Any]]:
    return [
        {
            "item": item.pk,
            "serial_number": item.serial_number,
            "defect_kind": item.defect_kind,
            "defect_date": item.defect_date,
            "verdict_status": item.verdict_status,
        }
        for item in items
    ]


def _write_items(claim: Claim, cleaned: list[_CleanItem], *, today: date) -> list[ClaimItem]:
    """Make the claim's items exactly ``cleaned``.

    Items are matched by unit, so a kept unit keeps its row and the evidence attached to it; a
    removed unit's attachments stay on the claim (evidence is never dropped silently).
    """
    policies = PolicyTable.load()
    existing = {item.unit_id: item for item in claim.items.all()}
    keep = {c.unit.pk for c in cleaned}
    removed = [item for unit_id, item in existing.items() if unit_id not in keep]
    if removed:
        Attachment.objects.filter(item__in=removed).update(item=None)
        ClaimItem.objects.filter(pk__in=[i.pk for i in removed]).delete()
    written = []
    for position, clean in enumerate(cleaned):
        item = existing.get(clean.unit.pk) or ClaimItem(claim=claim)
        for name, value in clean.fields().items():
            setattr(item, name, value)
        item.position = position
        verdict = _draft_verdict(clean, today=today, policies=policies)
        item.set_verdict(verdict)
        item.save()
        written.append(item)
    return written


def create_draft(*, actor: Actor, items: list[dict], buyer_reference: str = "") -> Claim:
    """Save a buyer's draft claim: no notice given yet (N1), no RMA number (N2).

    Every item's serial must be one of the buyer's organisation's units; defect dates may be
    neither in the future nor before the warranty started (W1); the failed component must be
    one of the model's. All errors come back at once in ``ValidationFailed``; nothing is saved.
    N3 fields may stay blank until submission. Each item stores a preliminary verdict as of
    today (N5) so the buyer sees where it stands, including the N1 deadline.
    """
    _require_buyer(actor)
    today = seoul_today()
    errors = FieldErrors()
    reference = clean_text(
        buyer_reference, "buyer_reference", errors, max_length=max_length(Claim, "buyer_reference")
    )
    try:
        cleaned = _clean_items(items, actor=actor, today=today)
    except ValidationFailed as exc:
        for key, messages in exc.errors.items():
            for message in messages:
                errors.add(key, message)
    errors.raise_if_any()

    with transaction.atomic():
        claim = Claim.objects.create(
            organisation=actor.organisation,
            author=actor.user,
            api_key=actor.api_key,
            buyer_reference=reference,
        )
        written = _write_items(claim, cleaned, today=today)
        # The first event records the creation (``act`` needs an existing claim to lock).
        with act(claim, "edit_draft", actor, created=True) as step:
            step.data.update(buyer_reference=reference, items=_item_summary(written))
    return claim


def update_draft(
    *,
    actor: Actor,
    claim: Claim,
    items: list[dict] | None = None,
    buyer_reference: str | None = None,
) -> Claim:
    """Change a draft: replace its items (same checks as ``create_draft``) and/or the reference.

    Only the organisation's buyers, only while it is a draft (``RULES["edit_draft"]``).
    """
    with act(claim, "edit_draft", actor) as step:
        today = seoul_today()
        errors = FieldErrors()
        changed = []
        if buyer_reference is not None:
            reference = clean_text(
                buyer_reference,
                "buyer_reference",
                errors,
                max_length=max_length(Claim, "buyer_reference"),
            )
            if reference != step.claim.buyer_reference:
                step.claim.buyer_reference = reference
                step.claim.save(update_fields=["buyer_reference", "updated_at"])
                changed.append("buyer_reference")
                step.data["buyer_reference"] = reference
        cleaned = None
        if items is not None:
            try:
                cleaned = _clean_items(items, actor=actor, today=today)
            except ValidationFailed as exc:
                for key, messages in exc.errors.items():
                    for message in messages:
                        errors.add(key, message)
        errors.raise_if_any()
        if cleaned is not None:
            written = _write_items(step.claim, cleaned, today=today)
            changed.append("items")
            step.data["items"] = _item_summary(written)
        step.data["changed"] = changed
    return claim
