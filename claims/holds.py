"""N4: the buyer keeps the contested products at CPRO's disposal for 30 days from the RMA number.

``end_hold`` is the act that records the end of that hold; the beat sweep
(``notifications.deadlines.sweep_holds``) finds the claims whose hold has ended and calls it.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from .actors import Actor
from .models import Claim, ClaimStatus
from .workflow import act

HOLD_DAYS = 30  # N4
HOLD_WARNING_DAYS = 7  # N4: staff are reminded 7 days before the hold ends
# N4: "still before return_authorized or inspected": not yet authorized for return, or returned
# (authorized, shipped, received) but not yet inspected. Decided, refused, cancelled and closed
# claims no longer need the products kept.
HOLD_PENDING = frozenset(
    {
        ClaimStatus.SUBMITTED,
        ClaimStatus.INFO_REQUESTED,
        ClaimStatus.RETURN_AUTHORIZED,
        ClaimStatus.SHIPPED,
        ClaimStatus.RECEIVED,
    }
)


class _NotDue(Exception):
    """Leaves ``act`` without a change: the hold has not ended, or its end is recorded."""


def end_hold(*, claim: Claim | int, today: date) -> bool:
    """N4: record that the claim's hold ended (the ``hold_ended`` event) and tell the buyer and
    staff. Once per claim, only while the claim is still pending (``HOLD_PENDING``) and its hold
    date has passed; returns whether it was recorded now."""
    try:
        with act(claim, "hold_ended", Actor.system()) as step:
            locked = step.claim
            if (
                locked.status not in HOLD_PENDING
                or locked.hold_ended_at is not None
                or locked.hold_until is None
                or locked.hold_until > today
            ):
                raise _NotDue
            locked.hold_ended_at = timezone.now()
            locked.save(update_fields=["hold_ended_at", "updated_at"])
            step.data.update(hold_until=locked.hold_until, status=locked.status, recorded_on=today)
            step.tell_buyer("hold_ended")
            step.tell_staff("hold_ended_staff")
    except _NotDue:
        return False
    return True
