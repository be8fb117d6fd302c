"""Settlement (D1, D2): credit notes, charges and their waivers, debit notes, the repaired or
replacement unit shipped back, and closing. Credit- and debit-note numbers come from
``numbering.next_number`` in the act's transaction, so they stay gapless."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from rma_portal.exceptions import (
    DomainError,
    InvalidState,
)
from rma_portal.money import minor_places
from warranty import rules
from warranty.models import Unit

from .actors import Actor
from .cleaning import FieldErrors, clean_amount, max_length, required_text
from .document_service import request_document
from .items import claim_id_of, locked_item, refresh_item
from .models import (
    OUTBOUND_OUTCOMES,
    Charge,
    Claim,
    ClaimItem,
    CreditNote,
    DebitNote,
    DocumentKind,
    FeeSchedule,
    Outcome,
)
from .numbering import next_number
from .workflow import Step, act

D1_OUTCOMES = frozenset({Outcome.REPAIR, Outcome.REPLACE, Outcome.CREDIT_NOTE})


CHARGE_LINES = ("verification", "transport", "shipment")
CHARGE_LABELS = {
    "verification": _lazy("Verification"),
    "transport": _lazy("Transport"),
    "shipment": _lazy("Shipment"),
}


def default_charge_lines(
    currency: str, on: datetime.date | None = None
) -> dict[str, Decimal] | None:
    """D2 defaults for a not-covered returned item in ``currency``: the fee schedule in force on
    the (Asia/Seoul) date ``on`` (today), or None when that currency has no schedule."""
    on = on or rules.seoul_date(timezone.now())
    schedule = FeeSchedule.in_force(currency, on)
    return schedule.lines() if schedule is not None else None


def charge_lines(raw: Any, prefix: str, serial: str, currency: str) -> dict[str, Decimal]:
    """D2 lines from ``raw`` in ``currency``; missing lines take the fee schedule of that
    currency, and with no schedule every line must be given (never a silent number). KRW/JPY
    amounts are whole. The total must be above zero — a charge CPRO does not want is waived
    with a reason instead."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise DomainError(
            _("%(serial)s: the charge must give verification, transport and shipment amounts.")
            % {"serial": serial},
            field=prefix,
        )
    unknown = sorted(set(raw) - set(CHARGE_LINES))
    if unknown:
        raise DomainError(
            _("%(serial)s: unknown charge line(s): %(lines)s.")
            % {"serial": serial, "lines": ", ".join(map(str, unknown))},
            field=prefix,
        )
    given = {name: raw[name] for name in CHARGE_LINES if raw.get(name) not in (None, "")}
    defaults = {}
    if len(given) < len(CHARGE_LINES):
        defaults = default_charge_lines(currency)
        if defaults is None:
            raise DomainError(
                _(
                    "%(serial)s: there is no D2 fee schedule for %(currency)s; enter the "
                    "verification, transport and shipment amounts."
                )
                % {"serial": serial, "currency": currency},
                field=prefix,
            )
    lines = {}
    errors = FieldErrors()  # every bad line at once, each beside its field
    for name in CHARGE_LINES:
        field, label = f"{prefix}.{name}", f"{serial}: {CHARGE_LABELS[name]}"
        try:
            amount = clean_amount(given.get(name, defaults.get(name)), field, label)
        except DomainError as exc:
            errors.add(exc.field or field, exc.message)
            continue
        if minor_places(currency) == 0 and amount % 1:
            errors.add(
                field,
                _("%(label)s: %(currency)s has no decimals; give a whole amount.")
                % {"label": label, "currency": currency},
            )
        lines[name] = amount
    errors.raise_if_any()
    if sum(lines.values()) <= 0:
        raise DomainError(
            _("%(serial)s: a D2 charge of zero is not a charge; waive it with a reason instead.")
            % {"serial": serial},
            field=prefix,
        )
    return lines


def lines_data(lines: Mapping[str, Decimal], currency: str) -> dict[str, str]:
    data = {name: str(lines[name]) for name in CHARGE_LINES}
    data["total"] = str(sum(lines.values()))
    data["currency"] = currency
    return data


def issue_credit_note(*, actor: Actor, item: ClaimItem | int) -> CreditNote:
    """D1: a credit note for the unit's invoiced amount, numbered CN-YYYY-NNNNN; once per item."""
    with act(claim_id_of(item), "issue_credit_note", actor) as step:
        locked = locked_item(step, item)
        if locked.outcome != Outcome.CREDIT_NOTE:
            raise InvalidState(
                _("%(serial)s was not decided for a credit note.")
                % {"serial": locked.serial_number}
            )
        existing = CreditNote.objects.filter(item=locked).first()
        if existing is not None:
            raise InvalidState(
                _("Credit note %(number)s was already issued for %(serial)s.")
                % {"number": existing.number, "serial": locked.serial_number}
            )
        note = CreditNote.objects.create(
            number=next_number("CN"),
            claim=step.claim,
            item=locked,
            amount=locked.unit.unit_price,
            currency=locked.unit.currency,
            issued_by=actor.user,
        )
        step.data.update(
            credit_note_id=note.pk,
            number=note.number,
            serial=locked.serial_number,
            amount=str(note.amount),
            currency=note.currency,
        )
        request_document(claim=step.claim, kind=DocumentKind.CREDIT_NOTE, credit_note=note)  # D1
        step.tell_buyer("credit_note_issued")  # D1: number, amount, PDF link
    refresh_item(item)
    return note


def _open_charge(step: Step, item: ClaimItem | int) -> tuple[ClaimItem, Charge]:
    locked = locked_item(step, item)
    charge = Charge.objects.filter(item=locked).first()
    if charge is None:
        raise InvalidState(_("%(serial)s carries no D2 charge.") % {"serial": locked.serial_number})
    if charge.debit_note_id is not None:
        raise InvalidState(
            _("The charge of %(serial)s is already billed on debit note %(number)s.")
            % {"serial": locked.serial_number, "number": charge.debit_note.number}
        )
    if charge.waived:
        raise InvalidState(
            _("The charge of %(serial)s was waived.") % {"serial": locked.serial_number}
        )
    return locked, charge


def set_charge(
    *,
    actor: Actor,
    item: ClaimItem | int,
    verification: Decimal | str,
    transport: Decimal | str,
    shipment: Decimal | str,
) -> Charge:
    """D2: adjust an item's verification, transport and shipment costs before billing.

    Not once billed or waived; a total of zero is refused (waive with a reason instead).
    """
    with act(claim_id_of(item), "charge", actor) as step:
        locked, charge = _open_charge(step, item)
        lines = charge_lines(
            {"verification": verification, "transport": transport, "shipment": shipment},
            "charge",
            locked.serial_number,
            charge.currency,
        )
        before = lines_data({name: getattr(charge, name) for name in CHARGE_LINES}, charge.currency)
        for name, value in lines.items():
            setattr(charge, name, value)
        charge.save(update_fields=list(CHARGE_LINES))
        step.data.update(
            serial=locked.serial_number, before=before, charge=lines_data(lines, charge.currency)
        )
    return charge


def waive_charge(*, actor: Actor, item: ClaimItem | int, reason: str) -> Charge:
    """D2: staff waive an item's charge; a reason is required and recorded."""
    with act(claim_id_of(item), "waive_charge", actor) as step:
        reason = required_text(reason, "reason", _("A reason for the waiver"))
        locked, charge = _open_charge(step, item)
        charge.waived = True
        charge.waive_reason = reason
        charge.save(update_fields=["waived", "waive_reason"])
        step.data.update(
            serial=locked.serial_number,
            reason=reason,
            total=str(charge.total),
            currency=charge.currency,
        )
        step.tell_buyer("charge_waived")  # D2
    return charge


def issue_debit_note(*, actor: Actor, claim: Claim) -> DebitNote:
    """D2: bill every unwaived, unbilled charge of the claim on one debit note DN-YYYY-NNNNN.

    Refused when there is nothing to bill, or when the charges are in different currencies.
    """
    with act(claim, "issue_debit_note", actor) as step:
        charges = list(
            Charge.objects.filter(item__claim=step.claim, waived=False, debit_note__isnull=True)
            .select_related("item")
            .order_by("item__position", "item__pk")
        )
        if not charges:
            raise InvalidState(_("There are no unbilled D2 charges on this claim."))
        currencies = sorted({c.currency for c in charges})
        if len(currencies) > 1:
            raise DomainError(
                _("The charges are in different currencies (%(c)s); adjust or waive them first.")
                % {"c": ", ".join(currencies)},
                code="conflict",
            )
        note = DebitNote.objects.create(
            number=next_number("DN"),
            claim=step.claim,
            total=sum((c.total for c in charges), Decimal("0")),
            currency=currencies[0],
            issued_by=actor.user,
        )
        Charge.objects.filter(pk__in=[c.pk for c in charges]).update(debit_note=note)
        step.data.update(
            debit_note_id=note.pk,
            number=note.number,
            total=str(note.total),
            currency=note.currency,
            serials=[c.item.serial_number for c in charges],
        )
        request_document(claim=step.claim, kind=DocumentKind.DEBIT_NOTE, debit_note=note)  # D2
        step.tell_buyer("debit_note_issued")  # D2: number, lines, total, PDF link
    return note


def _register_replacement(replaced: ClaimItem, serial: str) -> Unit:
    """D1: the replacement is a new unit of the same model and shipment, price and currency."""
    old = replaced.unit
    if Unit.objects.filter(serial_number__iexact=serial).exists():
        raise DomainError(
            _("Serial number %(serial)s is already registered.") % {"serial": serial},
            field="replacement_serial",
            code="conflict",
        )
    unit = Unit(
        serial_number=serial,
        shipment=old.shipment,
        product_model=old.product_model,
        unit_price=old.unit_price,
        currency=old.currency,
    )
    try:
        unit.full_clean()
        with transaction.atomic():
            unit.save()
    except ValidationError as exc:
        message = next(iter(exc.message_dict.values()), [_("Invalid serial number.")])[0]
        raise DomainError(f"{serial}: {message}", field="replacement_serial") from exc
    except IntegrityError as exc:  # registered concurrently
        raise DomainError(
            _("Serial number %(serial)s is already registered.") % {"serial": serial},
            field="replacement_serial",
            code="conflict",
        ) from exc
    return unit


def ship_outbound(
    *,
    actor: Actor,
    item: ClaimItem | int,
    carrier: str,
    tracking_number: str,
    replacement_serial: str | None = None,
) -> ClaimItem:
    """D1: ship the repaired unit back, or a replacement, with carrier and tracking number.

    ``repair`` ships the buyer's own unit (no replacement serial). ``replace`` needs
    ``replacement_serial``: a new warranty unit is registered with it (unique), of the same
    model and shipment as the replaced unit, at the same price and currency, and linked as the
    item's ``replacement_unit``; its warranty runs to the replaced unit's end (D1).
    """
    with act(claim_id_of(item), "ship_outbound", actor) as step:
        locked = locked_item(step, item)
        serial = locked.serial_number
        if locked.outcome not in OUTBOUND_OUTCOMES:
            raise InvalidState(
                _("%(serial)s was not decided for repair or replacement.") % {"serial": serial}
            )
        if locked.outbound_shipped_at is not None:
            raise InvalidState(
                _("%(serial)s was already shipped back (%(carrier)s %(tracking)s).")
                % {
                    "serial": serial,
                    "carrier": locked.outbound_carrier,
                    "tracking": locked.outbound_tracking,
                }
            )
        carrier = required_text(
            carrier,
            "carrier",
            _("The carrier"),
            max_length=max_length(ClaimItem, "outbound_carrier"),
        )
        tracking_number = required_text(
            tracking_number,
            "tracking_number",
            _("The tracking number"),
            max_length=max_length(ClaimItem, "outbound_tracking"),
        )
        new_serial = replacement_serial.strip() if isinstance(replacement_serial, str) else ""
        if locked.outcome == Outcome.REPAIR and new_serial:
            raise DomainError(
                _("A repaired unit goes back under its own serial number; no replacement serial."),
                field="replacement_serial",
            )
        if locked.outcome == Outcome.REPLACE:
            if not new_serial:
                raise DomainError(
                    _("The replacement's serial number is required."), field="replacement_serial"
                )
            locked.replacement_unit = _register_replacement(locked, new_serial)
        locked.outbound_carrier = carrier
        locked.outbound_tracking = tracking_number
        locked.outbound_shipped_at = timezone.now()
        locked.save(
            update_fields=[
                "outbound_carrier",
                "outbound_tracking",
                "outbound_shipped_at",
                "replacement_unit",
            ]
        )
        step.data.update(
            serial=serial,
            outcome=locked.outcome,
            carrier=carrier,
            tracking_number=tracking_number,
        )
        if locked.outcome == Outcome.REPLACE:
            step.data["replacement_serial"] = new_serial
        step.tell_buyer("outbound_shipped")  # D1: carrier, tracking, which unit
    refresh_item(item)
    return locked


def unsettled(claim: Claim) -> list[str]:
    """What still keeps the claim open, one line per item (empty: it can be closed)."""
    problems = []
    items = claim.items.select_related("credit_note", "charge").order_by("position", "pk")
    for item in items:
        serial = item.serial_number
        if not item.outcome:
            problems.append(_("%(serial)s: no outcome") % {"serial": serial})
        elif item.outbound_due:
            what = _("repaired unit") if item.outcome == Outcome.REPAIR else _("replacement")
            problems.append(
                _("%(serial)s: %(what)s not shipped yet") % {"serial": serial, "what": what}
            )
        elif item.credit_note_due:
            problems.append(_("%(serial)s: credit note not issued") % {"serial": serial})
        elif item.outcome == Outcome.NOT_COVERED and item.open_charge is not None:
            problems.append(
                _("%(serial)s: D2 charge neither billed nor waived") % {"serial": serial}
            )
    return problems


def close(*, actor: Actor, claim: Claim) -> Claim:
    """Close the claim once every item is settled (D1, D2).

    Repair/replacement shipped back, credit note issued, D2 charges billed on a debit note or
    waived; otherwise the error lists what is unsettled and nothing changes.
    """
    with act(claim, "close", actor) as step:
        problems = unsettled(step.claim)
        if problems:
            raise InvalidState(
                _("The claim cannot be closed yet: %(problems)s.")
                % {"problems": "; ".join(problems)}
            )
        step.claim.closed_at = timezone.now()
        step.claim.closed_by = actor.user
        step.claim.save(update_fields=["closed_at", "closed_by", "updated_at"])
        step.data["items"] = [
            {"serial": item.serial_number, "outcome": item.outcome}
            for item in step.claim.items.order_by("position", "pk")
        ]
        step.tell_buyer("closed")
    return claim
