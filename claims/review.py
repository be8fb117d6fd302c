"""Staff decisions before a return and the buyer's withdrawal: N1 notice exceptions, rejection,
cancellation."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from rma_portal.exceptions import (
    InvalidState,
    ValidationFailed,
)
from warranty import rules
from warranty.selectors import (
    unit_verdict,
)

from .actors import Actor
from .cleaning import FieldErrors, clean_text, required_body
from .models import (
    Claim,
    ClaimItem,
)
from .workflow import act


def grant_notice_exception(*, actor: Actor, item: ClaimItem, reason: str) -> ClaimItem:
    """N1: staff accept a late notice for one item, with a reason (required, shown to the buyer).

    The item's preliminary verdict is recomputed with the exception and the notice date of the
    claim; it remains preliminary until inspection (N5).
    """
    with act(item.claim_id, "grant_notice_exception", actor) as step:
        text = required_body(reason, "reason", "reason for accepting the late notice")
        if step.claim.notice_at is None:
            raise InvalidState(_("The claim has no notice date yet."))
        locked = ClaimItem.objects.select_related(
            "unit__shipment", "unit__product_model", "component"
        ).get(pk=item.pk, claim=step.claim)
        notice_date = rules.seoul_date(step.claim.notice_at)
        component = locked.component_facts()
        verdict = unit_verdict(
            locked.unit,
            defect_kind=locked.defect_kind,
            defect_date=locked.defect_date,
            component=component,
            notice_date=notice_date,
            notice_exception=text,
        )
        if not verdict.notice_late:
            raise ValidationFailed(
                {"item": [_("This item's notice was given in time (N1); no exception is needed.")]}
            )
        before = locked.verdict_status
        locked.notice_exception = text
        locked.set_verdict(verdict)
        locked.save(
            update_fields=[
                "notice_exception",
                "verdict",
                "verdict_status",
                "verdict_final",
                "notice_late",
            ]
        )
        step.data.update(
            item=locked.pk,
            serial_number=locked.serial_number,
            reason=text,
            verdict_before=before,
            verdict_status=locked.verdict_status,
        )
    item.refresh_from_db()
    return item


def cancel(*, actor: Actor, claim: Claim, reason: str = "") -> Claim:
    """The buyer withdraws the claim, at any point before shipping the goods back."""
    with act(claim, "cancel", actor) as step:
        errors = FieldErrors()
        text = clean_text(reason, "reason", errors)
        errors.raise_if_any()
        step.claim.decision_reason = text
        step.claim.decided_at = timezone.now()
        step.claim.decided_by = actor.user
        step.claim.save(update_fields=["decision_reason", "decided_at", "decided_by", "updated_at"])
        step.data["reason"] = text
        if step.claim.rma_number:  # a draft gave no notice: nothing to confirm (N2)
            step.tell_buyer("cancelled")
    return claim


def reject(*, actor: Actor, claim: Claim, reason: str) -> Claim:
    """Staff decide without a return (e.g. the records show the period ended, W1/N1).

    A reason is required; it is shown to the buyer.
    """
    with act(claim, "reject", actor) as step:
        text = required_body(reason, "reason", "reason for the rejection")
        step.claim.decision_reason = text
        step.claim.decided_at = timezone.now()
        step.claim.decided_by = actor.user
        step.claim.save(update_fields=["decision_reason", "decided_at", "decided_by", "updated_at"])
        step.data["reason"] = text
        step.tell_buyer("rejected")
    return claim
