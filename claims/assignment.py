"""Who works a claim: assigning a clerk, reassigning, unassigning (issue 16, the staff queue).

An assignment is a staff act like any other: the claim row is locked, the change is checked,
and the event log records who assigned whom (staff only, off the buyer's timeline), so the
hash chain tells who held the claim when. It does not change the claim's status and sends
nothing, so it does not pass through the lifecycle table of claims/workflow.py.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from rma_portal.exceptions import Forbidden, InvalidState, NotFound

from .actors import Actor
from .events import append_event
from .models import FINAL_STATUSES, Claim, ClaimStatus

ASSIGN_EVENT = "assign"


def assignable_staff():
    """The clerks a claim can be given to: active staff users."""
    return User.objects.filter(is_active=True, is_staff=True).order_by("username")


def assign(*, actor: Actor, claim: Claim | int, assignee: User | None) -> Claim:
    """Give the claim to ``assignee`` (None: nobody). Only staff assign, only to active staff,
    only while the claim is open (a draft is the buyer's; a decided claim needs no owner).
    Assigning the clerk who already holds it changes nothing and records nothing."""
    if not actor.is_staff:
        raise Forbidden(_("Only CPRO staff may do this."))
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise Forbidden(_("Claims can only be assigned to active CPRO staff."), field="assignee")
    claim_id = claim.pk if isinstance(claim, Claim) else claim
    with transaction.atomic():
        locked = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if locked is None:
            raise NotFound(_("No such claim."))
        if locked.status == ClaimStatus.DRAFT or locked.status in FINAL_STATUSES:
            raise InvalidState(
                _("This cannot be done while the claim is %(status)s.")
                % {"status": locked.get_status_display().lower()}
            )
        before = locked.assigned_to
        if (before.pk if before else None) == (assignee.pk if assignee else None):
            return locked
        Claim.objects.filter(pk=locked.pk).update(assigned_to=assignee)
        locked.assigned_to = assignee
        append_event(
            locked,
            kind=ASSIGN_EVENT,
            actor_user=actor.user,
            actor_label=actor.label,
            channel=actor.channel,
            from_status=locked.status,
            to_status=locked.status,
            data={
                "from": before.get_username() if before else None,
                "to": assignee.get_username() if assignee else None,
            },
            public=False,
        )
    if isinstance(claim, Claim):
        claim.refresh_from_db()
    return locked
