"""Inspection (W2, W5, D1, D2, N5): findings per item, the final verdict, the outcome, and the
D2 charge of a not-covered returned item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rma_portal.exceptions import (
    DomainError,
    InvalidState,
    RuleInputError,
    ValidationFailed,
)
from warranty import rules
from warranty.selectors import (
    unit_verdict,
)

from .actors import Actor
from .cleaning import FieldErrors, item_id_of
from .items import items_of
from .models import (
    FINDING_LABELS,
    Charge,
    Claim,
    ClaimItem,
    Outcome,
    ReceiptCondition,
)
from .settlement import D1_OUTCOMES, charge_lines, lines_data
from .workflow import UNDER_REVIEW, act

FINDINGS = frozenset(f.value for f in rules.Finding)


# The claimed unit itself never reached CPRO: it cannot be examined.
NOT_ARRIVED = frozenset({ReceiptCondition.MISSING, ReceiptCondition.WRONG_ITEM})


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
    component = item.component_facts()
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


def _excluding(verdict: rules.Verdict, lang: str = "en") -> str:
    """The clauses and reasons that made a verdict "not covered", for an error message, in the
    reader's language."""
    texts = [f"{r.clause}: {r.text(lang)}" for r in verdict.reasons if r.code in EXCLUDING_REASONS]
    return " ".join(texts) or ", ".join(verdict.clauses)


def _labels(values) -> str:
    return ", ".join(str(label) for label in values)


def _findings(raw: Any, serial: str, key: str, examined: bool, errors: FieldErrors) -> list[str]:
    """The findings as given, checked; problems go to ``errors`` (named by their labels, never
    the codes: issue 17)."""
    if raw is None:
        raw = []
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        errors.add(key, _("%(serial)s: findings must be a list.") % {"serial": serial})
        return []
    findings = list(dict.fromkeys(str(f) for f in raw))
    unknown = [f for f in findings if f not in FINDINGS]
    if unknown:
        errors.add(
            key,
            _("%(serial)s: unknown finding(s): %(f)s.")
            % {"serial": serial, "f": ", ".join(unknown)},
        )
    if examined and not findings:
        errors.add(
            key,
            _("%(serial)s: record at least one finding (e.g. %(examples)s).")
            % {
                "serial": serial,
                "examples": _labels(
                    FINDING_LABELS[f]
                    for f in (rules.Finding.CONFIRMED_DEFECT, rules.Finding.NO_FAULT_FOUND)
                ),
            },
        )
    if {rules.Finding.CONFIRMED_DEFECT, rules.Finding.NO_FAULT_FOUND} <= set(findings):
        errors.add(
            key,
            _("%(serial)s: a defect cannot be both confirmed and not found.") % {"serial": serial},
        )
    return findings


def _decide(
    claim: Claim, item: ClaimItem, result: Any, *, examined: bool, returned: bool
) -> _Decision:
    """One item's decision, or every problem with it at once (ValidationFailed)."""
    serial = item.serial_number
    prefix = f"results.{item.pk}"
    if not isinstance(result, Mapping):
        raise DomainError(
            _("%(serial)s: give findings and an outcome.") % {"serial": serial}, field=prefix
        )
    errors = FieldErrors()
    findings = _findings(result.get("findings"), serial, f"{prefix}.findings", examined, errors)

    outcome = result.get("outcome")
    if outcome not in Outcome.values:
        errors.add(
            f"{prefix}.outcome",
            _("%(serial)s: choose an outcome: %(outcomes)s.")
            % {"serial": serial, "outcomes": _labels(Outcome.labels)},
        )
        outcome = None
    reason = result.get("reason") or ""
    reason = reason.strip() if isinstance(reason, str) else ""
    notes = result.get("notes") or ""
    notes = notes.strip() if isinstance(notes, str) else ""
    if outcome == Outcome.NOT_COVERED and not reason:
        errors.add(
            f"{prefix}.reason",
            _("%(serial)s: not covered needs a reason (e.g. W2, W5, period, N1).")
            % {"serial": serial},
        )
    if outcome in D1_OUTCOMES and not examined:
        errors.add(
            f"{prefix}.outcome",
            _(
                "%(serial)s was not examined (not returned, missing or the wrong item arrived): "
                "a remedy (D1) needs a defect CPRO has acknowledged, so it can only be not covered."
            )
            % {"serial": serial},
        )
    elif outcome in D1_OUTCOMES and rules.Finding.CONFIRMED_DEFECT not in findings:
        errors.add(
            f"{prefix}.outcome",
            _("%(serial)s: a remedy (D1) needs the finding “%(finding)s”.")
            % {"serial": serial, "finding": FINDING_LABELS[rules.Finding.CONFIRMED_DEFECT]},
        )

    charge = None
    raw_charge = result.get("charge")
    if outcome == Outcome.NOT_COVERED and returned:
        try:
            charge = charge_lines(raw_charge, f"{prefix}.charge", serial, item.unit.currency)  # D2
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                for message in messages:
                    errors.add(key, message)
        except DomainError as exc:
            errors.add(exc.field or f"{prefix}.charge", exc.message)
    elif raw_charge and outcome is not None:
        errors.add(
            f"{prefix}.charge",
            _("%(serial)s: a D2 charge applies only to returned items found not covered.")
            % {"serial": serial},
        )
    errors.raise_if_any()

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
                "why": _excluding(verdict, translation.get_language() or "en"),
            },
            field=f"{prefix}.outcome",
        )
    return _Decision(item, findings, outcome, reason, notes, verdict, charge)


def decision_summary(claim: Claim, decisions: list[_Decision]) -> str:
    """Why, in the buyer's language (the portal shows it): each decided item's outcome and the
    reason given, e.g. "SN1: Repair; SN2: Not covered (W5: seal broken.)"."""
    parts = []
    with translation.override(claim.organisation.language or "en"):
        for d in decisions:
            text = f"{d.item.serial_number}: {Outcome(d.outcome).label}"
            parts.append(f"{text} ({d.reason})" if d.reason else text)
    return "; ".join(parts)


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
      the ``FeeSchedule`` of the unit's currency in force today), in the unit's currency; a
      currency without a schedule needs every line given.

    Every problem is reported at once (ValidationFailed) and nothing changes.
    """
    if not isinstance(results, Mapping):
        raise DomainError(_("Give the inspection results per item."), field="results")
    by_key = {item_id_of(k): v for k, v in results.items()}
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
        items = list(items_of(locked))
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
            except ValidationFailed as exc:
                for key, messages in exc.errors.items():
                    errors.setdefault(key, []).extend(messages)
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
                entry["charge"] = lines_data(d.charge, currency)
            summary.append(entry)
        step.data["items"] = summary
        locked.decision_reason = decision_summary(locked, decisions)
        locked.decided_at = timezone.now()
        locked.decided_by = actor.user
        locked.save(update_fields=["decision_reason", "decided_at", "decided_by", "updated_at"])
        step.tell_buyer("inspected")  # D1, D2, W2, W5: the final verdicts (N5)
    return claim
