"""After submission, CPRO's side of a claim: return, receiving, inspection, remedies, notes, close.

SPEC "Claim lifecycle" from ``return_authorized`` to ``closed`` (and the ``refused`` exit):
R1 (return authorization; unauthorized goods refused), R2 (receiving checklist), W2/W5 and the
final verdict at inspection (N5), D1 (repair, replacement, credit note), D2 (charges for
unjustified returns, waivers, debit notes). Every function is one act through
``workflow.act``: it locks the claim, checks status and role, changes rows and appends the
event in one transaction; any DomainError raised inside rolls everything back (STYLE 2).

Per-item acts (credit note, charge, outbound shipment) lock the item's claim, so acts on one
claim never interleave; credit- and debit-note numbers come from ``numbering.next_number`` in
the same transaction, so they stay gapless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rma_portal.exceptions import DomainError, InvalidState, RuleInputError, ValidationFailed
from warranty import rules
from warranty.models import Unit
from warranty.selectors import unit_verdict

from .actors import Actor
from .models import (
    Charge,
    Claim,
    ClaimItem,
    ClaimStatus,
    CreditNote,
    DebitNote,
    Outcome,
    ReceiptCondition,
)
from .numbering import next_number
from .workflow import UNDER_REVIEW, Step, act

MAX_SHORT_TEXT = 100  # carrier and tracking-number columns
D1_OUTCOMES = frozenset({Outcome.REPAIR, Outcome.REPLACE, Outcome.CREDIT_NOTE})
OUTBOUND_OUTCOMES = frozenset({Outcome.REPAIR, Outcome.REPLACE})
# The claimed unit itself never reached CPRO: it cannot be examined.
NOT_ARRIVED = frozenset({ReceiptCondition.MISSING, ReceiptCondition.WRONG_ITEM})
CHARGE_LINES = ("verification", "transport", "shipment")
FINDINGS = frozenset(f.value for f in rules.Finding)
# Reason codes of rules.Reason that make a verdict "not covered" (to name them in errors).
EXCLUDING_REASONS = frozenset(
    {
        "expired",
        "notice_late",
        "third_party_component",
        "third_party_component_found",
        "tampered",
        "third_party_repair",
        "non_conforming_use",
    }
)


# --- Helpers ---------------------------------------------------------------------------------


def _items(claim: Claim) -> QuerySet[ClaimItem]:
    return claim.items.select_related(
        "unit__shipment", "unit__product_model", "component"
    ).order_by("position", "pk")


def _item_id(key: Any) -> int:
    if isinstance(key, ClaimItem):
        return key.pk
    try:
        return int(key)
    except (TypeError, ValueError):
        raise DomainError(_("Unknown item %(key)r.") % {"key": key}, field="items") from None


def _required_text(value: Any, field: str, label: str, *, max_length: int | None = None) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(_("%(label)s is required.") % {"label": label}, field=field)
    if max_length is not None and len(text) > max_length:
        raise DomainError(
            _("%(label)s is too long (at most %(n)d characters).")
            % {"label": label, "n": max_length},
            field=field,
        )
    return text


def _locked_item(step: Step, item: ClaimItem | int) -> ClaimItem:
    """The item, read again under the claim's lock (the caller's copy may be stale)."""
    item_id = item.pk if isinstance(item, ClaimItem) else item
    found = _items(step.claim).filter(pk=item_id).first()
    if found is None:
        raise DomainError(_("No such item in this claim."), field="item", code="not_found")
    return found


def _claim_of(item: ClaimItem | int) -> int:
    if isinstance(item, ClaimItem):
        return item.claim_id
    row = ClaimItem.objects.filter(pk=item).values_list("claim_id", flat=True).first()
    if row is None:
        raise DomainError(_("No such item."), field="item", code="not_found")
    return row


def _refresh(item: ClaimItem | int) -> None:
    if isinstance(item, ClaimItem):
        item.refresh_from_db()


def _amount(value: Any, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("%(label)s must be an amount such as 50.00.") % {"label": label}, field=field
        ) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(_("%(label)s cannot be negative.") % {"label": label}, field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(
            _("%(label)s has more than two decimal places.") % {"label": label}, field=field
        )
    if amount >= Decimal("100000000"):
        raise DomainError(_("%(label)s is too large.") % {"label": label}, field=field)
    return amount.quantize(Decimal("0.01"))


def default_charge_lines() -> dict[str, Decimal]:
    """D2 defaults for a not-covered returned item, from settings (amounts in its currency)."""
    return {
        "verification": Decimal(
            str(getattr(settings, "RMA_D2_DEFAULT_VERIFICATION", Decimal("50.00")))
        ),
        "transport": Decimal(str(getattr(settings, "RMA_D2_DEFAULT_TRANSPORT", Decimal("30.00")))),
        "shipment": Decimal(str(getattr(settings, "RMA_D2_DEFAULT_SHIPMENT", Decimal("30.00")))),
    }


def _charge_lines(raw: Any, prefix: str, serial: str) -> dict[str, Decimal]:
    """D2 lines from ``raw`` (missing lines take the defaults); the total must be above zero —
    a charge CPRO does not want is waived with a reason instead."""
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
    defaults = default_charge_lines()
    lines = {
        name: _amount(raw.get(name, defaults[name]), f"{prefix}.{name}", f"{serial}: {name}")
        for name in CHARGE_LINES
    }
    if sum(lines.values()) <= 0:
        raise DomainError(
            _("%(serial)s: a D2 charge of zero is not a charge; waive it with a reason instead.")
            % {"serial": serial},
            field=prefix,
        )
    return lines


def _lines_data(lines: Mapping[str, Decimal], currency: str) -> dict[str, str]:
    data = {name: str(lines[name]) for name in CHARGE_LINES}
    data["total"] = str(sum(lines.values()))
    data["currency"] = currency
    return data


# --- R1: return authorization ----------------------------------------------------------------


def authorize_return(
    *, actor: Actor, claim: Claim, items: Iterable[ClaimItem | int] | None = None
) -> list[ClaimItem]:
    """R1: staff authorize the return of some or all items (``None``: all; at least one).

    Only authorized items may be shipped back; anything else that arrives is refused (R1).
    The Return Authorization document is issued separately. Returns the authorized items.
    """
    chosen_ids = None if items is None else {_item_id(i) for i in items}
    with act(claim, "authorize_return", actor) as step:
        all_items = list(_items(step.claim))
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
    return authorized


def record_shipment(*, actor: Actor, claim: Claim, carrier: str, tracking_number: str) -> Claim:
    """R1: the buyer records the carrier and tracking number of the authorized return.

    Both are required (trimmed). The return travels at the buyer's expense (R1).
    """
    with act(claim, "record_shipment", actor) as step:
        carrier = _required_text(carrier, "carrier", _("The carrier"), max_length=MAX_SHORT_TEXT)
        tracking_number = _required_text(
            tracking_number, "tracking_number", _("The tracking number"), max_length=MAX_SHORT_TEXT
        )
        locked = step.claim
        locked.carrier = carrier
        locked.tracking_number = tracking_number
        locked.shipped_at = timezone.now()
        locked.save(update_fields=["carrier", "tracking_number", "shipped_at", "updated_at"])
        step.data.update(carrier=carrier, tracking_number=tracking_number)
    return claim


# --- R2: receiving, refusals -----------------------------------------------------------------


def _checklist_failures(original_packaging: bool, bills: bool, rma_on_docs: bool) -> list[str]:
    failures = []
    if not original_packaging:
        failures.append(_("not in the original packaging"))
    if not bills:
        failures.append(_("without the bills of purchase"))
    if not rma_on_docs:
        failures.append(_("the RMA number is not on the documents"))
    return failures


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
    raw_conditions = {_item_id(k): v for k, v in (conditions or {}).items()}
    with act(claim, "receive", actor) as step:
        for name, value in checklist.items():
            if not isinstance(value, bool):
                raise DomainError(_("Tick or clear every box of the checklist (R2)."), field=name)
        items = list(_items(step.claim))
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
    return claim


def refuse(*, actor: Actor, claim: Claim, reason: str) -> Claim:
    """R1/R2: staff refuse the return for a stated reason (reason required)."""
    with act(claim, "refuse", actor) as step:
        reason = _required_text(reason, "reason", _("A reason"))
        step.claim.refusal_reason = reason
        step.claim.save(update_fields=["refusal_reason", "updated_at"])
        step.data.update(reason=reason)
    return claim


# --- Inspection: findings, final verdicts, outcomes (W2, W5, D1, D2, N5) ---------------------


@dataclass
class _Decision:
    item: ClaimItem
    findings: list[str]
    outcome: str
    reason: str
    notes: str
    verdict: rules.Verdict
    charge: dict[str, Decimal] | None


def _final_verdict(claim: Claim, item: ClaimItem, findings: list[str]) -> rules.Verdict:
    """N5: the verdict made final by inspection, with the findings (W2, W5)."""
    component = (
        rules.ComponentFacts(name=item.component.name, kind=item.component.kind)
        if item.component is not None
        else None
    )
    return unit_verdict(
        item.unit,
        defect_kind=item.defect_kind,
        defect_date=item.defect_date,
        component=component,
        notice_date=rules.seoul_date(claim.notice_at),
        notice_exception=item.notice_exception or None,
        findings=findings,
        final=True,
    )


def _excluding(verdict: rules.Verdict) -> str:
    """The clauses and reasons that made a verdict "not covered", for an error message."""
    texts = [f"{r.clause}: {r.text_en}" for r in verdict.reasons if r.code in EXCLUDING_REASONS]
    return " ".join(texts) or ", ".join(verdict.clauses)


def _decide(
    claim: Claim, item: ClaimItem, result: Any, *, examined: bool, returned: bool
) -> _Decision:
    serial = item.serial_number
    prefix = f"results.{item.pk}"
    if not isinstance(result, Mapping):
        raise DomainError(
            _("%(serial)s: give findings and an outcome.") % {"serial": serial}, field=prefix
        )
    raw_findings = result.get("findings")
    if raw_findings is None:
        raw_findings = []
    if isinstance(raw_findings, str) or not isinstance(raw_findings, Iterable):
        raise DomainError(
            _("%(serial)s: findings must be a list.") % {"serial": serial},
            field=f"{prefix}.findings",
        )
    findings = list(dict.fromkeys(str(f) for f in raw_findings))
    unknown = [f for f in findings if f not in FINDINGS]
    if unknown:
        raise DomainError(
            _("%(serial)s: unknown finding(s): %(f)s.")
            % {"serial": serial, "f": ", ".join(unknown)},
            field=f"{prefix}.findings",
        )
    if examined and not findings:
        raise DomainError(
            _("%(serial)s: record at least one finding (e.g. confirmed_defect, no_fault_found).")
            % {"serial": serial},
            field=f"{prefix}.findings",
        )
    if {rules.Finding.CONFIRMED_DEFECT, rules.Finding.NO_FAULT_FOUND} <= set(findings):
        raise DomainError(
            _("%(serial)s: a defect cannot be both confirmed and not found.") % {"serial": serial},
            field=f"{prefix}.findings",
        )

    outcome = result.get("outcome")
    if outcome not in Outcome.values:
        raise DomainError(
            _("%(serial)s: choose an outcome: repair, replace, credit_note or not_covered.")
            % {"serial": serial},
            field=f"{prefix}.outcome",
        )
    reason = result.get("reason") or ""
    reason = reason.strip() if isinstance(reason, str) else ""
    notes = result.get("notes") or ""
    notes = notes.strip() if isinstance(notes, str) else ""
    if outcome == Outcome.NOT_COVERED and not reason:
        raise DomainError(
            _("%(serial)s: not covered needs a reason (e.g. W2, W5, period, N1).")
            % {"serial": serial},
            field=f"{prefix}.reason",
        )
    if outcome in D1_OUTCOMES and not examined:
        raise DomainError(
            _(
                "%(serial)s was not examined (not returned, missing or the wrong item arrived): "
                "a remedy (D1) needs a defect CPRO has acknowledged, so it can only be not covered."
            )
            % {"serial": serial},
            field=f"{prefix}.outcome",
        )
    if outcome in D1_OUTCOMES and rules.Finding.CONFIRMED_DEFECT not in findings:
        raise DomainError(
            _("%(serial)s: a remedy (D1) needs the finding confirmed_defect.") % {"serial": serial},
            field=f"{prefix}.outcome",
        )

    try:
        verdict = _final_verdict(claim, item, findings)
    except RuleInputError as exc:
        raise DomainError(f"{serial}: {exc.message}", field=prefix) from exc
    if outcome in D1_OUTCOMES and not verdict.covered:
        raise DomainError(
            _(
                "%(serial)s is not covered, so it cannot get a %(outcome)s (D1): %(why)s "
                "Choose not covered with a reason."
            )
            % {
                "serial": serial,
                "outcome": Outcome(outcome).label,
                "why": _excluding(verdict),
            },
            field=f"{prefix}.outcome",
        )

    charge = None
    raw_charge = result.get("charge")
    if outcome == Outcome.NOT_COVERED and returned:
        charge = _charge_lines(raw_charge, f"{prefix}.charge", serial)  # D2
    elif raw_charge:
        raise DomainError(
            _("%(serial)s: a D2 charge applies only to returned items found not covered.")
            % {"serial": serial},
            field=f"{prefix}.charge",
        )
    return _Decision(item, findings, outcome, reason, notes, verdict, charge)


def inspect(
    *, actor: Actor, claim: Claim, results: Mapping[Any, Mapping[str, Any]], on_site: bool = False
) -> Claim:
    """Staff inspect the items and decide each one (W2, W5, D1, D2; N5: verdicts become final).

    ``results`` maps item id → ``{"findings": [rules.Finding…], "outcome": Outcome,
    "reason": str, "notes": str, "charge": {"verification", "transport", "shipment"}}``.

    - Examined items — the authorized items that arrived (not ``missing``, not ``wrong_item``),
      or every item when ``on_site`` (inspection at the buyer's during the hold, from
      ``submitted``/``info_requested``, no return) — need at least one finding and an outcome.
    - Items that were not examined — not authorized for return, or the claimed unit never
      arrived — need a result too (unless they already carry an outcome); without an
      examination CPRO cannot acknowledge a defect (N5), so their outcome is ``not_covered``.
    - Each decided item's verdict is recomputed as final with its findings.
    - ``repair``/``replace``/``credit_note`` (D1) need ``confirmed_defect`` and a covered final
      verdict; otherwise the error names the clause (e.g. W5 tampered).
    - ``not_covered`` needs a reason. A not-covered item that was returned (arrived, even as the
      wrong item; not on site; not missing) gets a D2 charge: the given lines, or the defaults
      (settings ``RMA_D2_DEFAULT_VERIFICATION``/``_TRANSPORT``/``_SHIPMENT``), in the unit's
      currency.

    Every problem is reported at once (ValidationFailed) and nothing changes.
    """
    if not isinstance(results, Mapping):
        raise DomainError(_("Give the inspection results per item."), field="results")
    by_key = {_item_id(k): v for k, v in results.items()}
    with act(claim, "inspect", actor, on_site=bool(on_site)) as step:
        locked = step.claim
        if on_site and locked.status not in UNDER_REVIEW:
            raise InvalidState(_("The goods were returned: inspect them as received, not on site."))
        if not on_site and locked.status in UNDER_REVIEW:
            raise InvalidState(
                _(
                    "Nothing was returned: authorize the return (R1), or inspect on site during "
                    "the hold (N4)."
                )
            )
        if locked.notice_at is None:
            raise InvalidState(_("This claim has no notice date; it was never submitted."))
        items = list(_items(locked))
        unknown = set(by_key) - {item.pk for item in items}
        if unknown:
            raise DomainError(_("Results were given for items not in this claim."), field="results")

        errors: dict[str, list[str]] = {}
        decisions: list[_Decision] = []
        for item in items:
            arrived = item.return_authorized and item.receipt_condition not in NOT_ARRIVED
            examined = bool(on_site) or arrived
            returned = (
                not on_site
                and item.return_authorized
                and item.receipt_condition != ReceiptCondition.MISSING
            )
            result = by_key.get(item.pk)
            if result is None:
                if examined or not item.outcome:
                    errors[f"results.{item.pk}"] = [
                        _("%(serial)s: give findings and an outcome.")
                        % {"serial": item.serial_number}
                    ]
                continue
            try:
                decisions.append(
                    _decide(locked, item, result, examined=examined, returned=returned)
                )
            except DomainError as exc:
                errors.setdefault(exc.field or f"results.{item.pk}", []).append(exc.message)
        if errors:
            raise ValidationFailed(errors)

        summary = []
        for d in decisions:
            item = d.item
            item.findings = d.findings
            item.inspection_notes = d.notes
            item.inspected_on_site = bool(on_site)
            item.outcome = d.outcome
            item.outcome_reason = d.reason
            item.verdict = {"en": d.verdict.as_dict("en"), "ko": d.verdict.as_dict("ko")}
            item.verdict_status = d.verdict.status
            item.verdict_final = True
            item.notice_late = d.verdict.notice_late
            item.save(
                update_fields=[
                    "findings",
                    "inspection_notes",
                    "inspected_on_site",
                    "outcome",
                    "outcome_reason",
                    "verdict",
                    "verdict_status",
                    "verdict_final",
                    "notice_late",
                ]
            )
            entry: dict[str, Any] = {
                "serial": item.serial_number,
                "findings": d.findings,
                "outcome": d.outcome,
                "verdict": d.verdict.status,
                "clauses": list(d.verdict.clauses),
            }
            if d.reason:
                entry["reason"] = d.reason
            if d.charge is not None:
                currency = item.unit.currency
                Charge.objects.create(item=item, currency=currency, **d.charge)
                entry["charge"] = _lines_data(d.charge, currency)
            summary.append(entry)
        step.data["items"] = summary
    return claim


# --- D1: credit notes ------------------------------------------------------------------------


def issue_credit_note(*, actor: Actor, item: ClaimItem | int) -> CreditNote:
    """D1: a credit note for the unit's invoiced amount, numbered CN-YYYY-NNNNN; once per item."""
    with act(_claim_of(item), "issue_credit_note", actor) as step:
        locked = _locked_item(step, item)
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
            credit_note_id=note.pk,  # claims.documents renders its PDF from this (D1)
            number=note.number,
            serial=locked.serial_number,
            amount=str(note.amount),
            currency=note.currency,
        )
    _refresh(item)
    return note


# --- D2: charges and debit notes -------------------------------------------------------------


def _open_charge(step: Step, item: ClaimItem | int) -> tuple[ClaimItem, Charge]:
    locked = _locked_item(step, item)
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
    with act(_claim_of(item), "charge", actor) as step:
        locked, charge = _open_charge(step, item)
        lines = _charge_lines(
            {"verification": verification, "transport": transport, "shipment": shipment},
            "charge",
            locked.serial_number,
        )
        before = _lines_data(
            {name: getattr(charge, name) for name in CHARGE_LINES}, charge.currency
        )
        for name, value in lines.items():
            setattr(charge, name, value)
        charge.save(update_fields=list(CHARGE_LINES))
        step.data.update(
            serial=locked.serial_number, before=before, charge=_lines_data(lines, charge.currency)
        )
    return charge


def waive_charge(*, actor: Actor, item: ClaimItem | int, reason: str) -> Charge:
    """D2: staff waive an item's charge; a reason is required and recorded."""
    with act(_claim_of(item), "waive_charge", actor) as step:
        reason = _required_text(reason, "reason", _("A reason for the waiver"))
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
            debit_note_id=note.pk,  # claims.documents renders its PDF from this (D2)
            number=note.number,
            total=str(note.total),
            currency=note.currency,
            serials=[c.item.serial_number for c in charges],
        )
    return note


# --- D1: repaired or replacement unit back to the buyer --------------------------------------


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
    with act(_claim_of(item), "ship_outbound", actor) as step:
        locked = _locked_item(step, item)
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
        carrier = _required_text(carrier, "carrier", _("The carrier"), max_length=MAX_SHORT_TEXT)
        tracking_number = _required_text(
            tracking_number, "tracking_number", _("The tracking number"), max_length=MAX_SHORT_TEXT
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
    _refresh(item)
    return locked


# --- Close -----------------------------------------------------------------------------------


def unsettled(claim: Claim) -> list[str]:
    """What still keeps the claim open, one line per item (empty: it can be closed)."""
    problems = []
    items = claim.items.select_related("credit_note", "charge").order_by("position", "pk")
    for item in items:
        serial = item.serial_number
        if not item.outcome:
            problems.append(_("%(serial)s: no outcome") % {"serial": serial})
        elif item.outcome in OUTBOUND_OUTCOMES and item.outbound_shipped_at is None:
            what = _("repaired unit") if item.outcome == Outcome.REPAIR else _("replacement")
            problems.append(
                _("%(serial)s: %(what)s not shipped yet") % {"serial": serial, "what": what}
            )
        elif item.outcome == Outcome.CREDIT_NOTE and not hasattr(item, "credit_note"):
            problems.append(_("%(serial)s: credit note not issued") % {"serial": serial})
        elif item.outcome == Outcome.NOT_COVERED and hasattr(item, "charge"):
            charge = item.charge
            if not charge.waived and charge.debit_note_id is None:
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
        step.claim.save(update_fields=["closed_at", "updated_at"])
        step.data["items"] = [
            {"serial": item.serial_number, "outcome": item.outcome}
            for item in step.claim.items.order_by("position", "pk")
        ]
    return claim
