"""The notice (N1-N5): submitting a draft gives the notice, assigns the RMA number (N2), checks
the N3 fields against CPRO's records, computes the preliminary verdicts (N5) and starts the
30-day hold (N4)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rma_portal.exceptions import (
    RuleInputError,
)
from warranty import rules
from warranty.models import Unit
from warranty.selectors import (
    PolicyTable,
    check_defect_date,
    n3_mismatches,
    unit_verdict,
)

from . import effects
from .actors import Actor
from .cleaning import FieldErrors
from .holds import HOLD_DAYS
from .models import (
    OPEN_STATUSES,
    Claim,
    ClaimItem,
)
from .numbering import next_number
from .workflow import act

# N3: what the buyer must give for every item to obtain an RMA number, each with the whole
# sentence that asks for it (a sentence per field: "details … are", and natural Korean).
N3_FIELDS = {
    "model_code": gettext_lazy("The model is required to obtain an RMA number (N3)."),
    "serial_number": gettext_lazy("The serial number is required to obtain an RMA number (N3)."),
    "shipment_date": gettext_lazy("The date of shipment is required to obtain an RMA number (N3)."),
    "po_number": gettext_lazy("The PO number is required to obtain an RMA number (N3)."),
    "pi_number": gettext_lazy("The CPRO PI number is required to obtain an RMA number (N3)."),
    "defect_details": gettext_lazy(
        "The details of the defect are required to obtain an RMA number (N3)."
    ),
}


def _mismatches(item: ClaimItem) -> list[dict[str, str]]:
    """N3: the item's fields as the buyer gave them, against CPRO's records."""
    given = {
        "model_code": item.model_code,
        "shipment_date": item.shipment_date.isoformat() if item.shipment_date else "",
        "po_number": item.po_number,
        "pi_number": item.pi_number,
    }
    return n3_mismatches(item.unit, given)


def _units_in_other_open_claims(claim: Claim, items: list[ClaimItem]) -> dict[int, str]:
    """One unit, one open RMA: the units of ``items`` already in another open claim, with its
    RMA number. The unit rows are locked (in id order) so two drafts naming the same unit
    cannot both be submitted."""
    unit_ids = sorted(item.unit_id for item in items)
    list(Unit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk").values("pk"))
    return dict(
        ClaimItem.objects.filter(unit_id__in=unit_ids, claim__status__in=OPEN_STATUSES)
        .exclude(claim=claim)
        .values_list("unit_id", "claim__rma_number")
    )


def _check_submission(claim: Claim, items: list[ClaimItem], notice_date: date) -> None:
    """N3 fields, evidence (N5) and dates, for every item; all errors at once."""
    errors = FieldErrors()
    if not items:
        errors.add("items", _("Add at least one unit to the claim."))
    open_elsewhere = _units_in_other_open_claims(claim, items)
    for index, item in enumerate(items):
        p = f"items.{index}."
        if item.unit_id in open_elsewhere:
            errors.add(
                p + "serial_number",
                _("Unit %(serial)s is already in open claim %(rma)s: follow it there.")
                % {"serial": item.serial_number, "rma": open_elsewhere[item.unit_id]},
            )
        for name, required in N3_FIELDS.items():
            value = getattr(item, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors.add(p + name, str(required))
        if item.unit.shipment.buyer_id != claim.organisation_id:
            # The shipment records changed hands since the draft: same answer as unknown.
            errors.add(
                p + "serial_number",
                _("No unit with serial number %(serial)r in your organisation.")
                % {"serial": item.serial_number},
            )
        try:
            check_defect_date(
                item.unit,
                defect_kind=item.defect_kind,
                defect_date=item.defect_date,
                today=notice_date,
            )
        except RuleInputError as exc:
            errors.add(p + "defect_date", exc.message)
        reason = item.defect_reason
        has_photo = any(a.is_image for a in item.attachments.all())
        if reason is not None and reason.photo_required and not has_photo:
            errors.add(
                p + "attachments",
                _(
                    "Attach at least one photo of the defect to this item: the reason "
                    "'%(reason)s' needs one (N5: the burden of proof is the buyer's)."
                )
                % {"reason": reason.name_en},
            )
    errors.raise_if_any()


def submit(*, actor: Actor, claim: Claim) -> Claim:
    """Give the notice (N1) and obtain the RMA number (N2).

    N3: every item needs model, serial, date of shipment, PO, PI and defect details, else
    ``ValidationFailed`` keyed ``items.<n>.<field>`` and nothing changes. An item whose defect
    reason requires a photo needs one image attached (N5). The N3 fields are compared with
    CPRO's records and disagreements flagged in ``item.mismatches`` (not refused). The notice
    date is the Seoul date of now; each item gets its preliminary verdict (N1, W1-W4; N5); the
    RMA number is assigned under the number row's lock; the hold runs 30 days (N4).
    """
    with act(claim, "submit", actor) as step:
        locked = step.claim
        now = timezone.now()
        notice_date = rules.seoul_date(now)
        items = list(
            locked.items.select_related(
                "unit__shipment", "unit__product_model", "component", "defect_reason"
            ).prefetch_related("attachments")
        )
        _check_submission(locked, items, notice_date)

        policies = PolicyTable.load()
        summary = []
        for item in items:
            component = item.component_facts()
            verdict = unit_verdict(
                item.unit,
                today=notice_date,
                defect_kind=item.defect_kind,
                defect_date=item.defect_date,
                component=component,
                notice_date=notice_date,
                notice_exception=item.notice_exception or None,
                policies=policies,
            )
            item.set_verdict(verdict)
            item.mismatches = _mismatches(item)
            item.save(
                update_fields=[
                    "verdict",
                    "verdict_status",
                    "verdict_final",
                    "notice_late",
                    "mismatches",
                ]
            )
            summary.append(
                {
                    "item": item.pk,
                    "serial_number": item.serial_number,
                    "verdict_status": item.verdict_status,
                    "notice_late": item.notice_late,
                    "mismatches": item.mismatches,
                }
            )

        locked.notice_at = now
        locked.hold_until = notice_date + timedelta(days=HOLD_DAYS)
        locked.rma_number = next_number("RMA")
        locked.save()
        step.data.update(
            rma_number=locked.rma_number,
            notice_date=notice_date,
            hold_until=locked.hold_until,
            items=summary,
        )
        # N2/N4/N5: the acknowledgement with the RMA number, hold and preliminary verdicts.
        step.tell_buyer("submitted")
        step.tell_partners(effects.CLAIM_SUBMITTED)
    return claim
