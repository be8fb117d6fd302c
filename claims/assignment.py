"""Who works a claim: assigning a clerk, reassigning, unassigning (issue 16, the staff queue).

An assignment is a staff act like any other: the claim row is locked, the change is checked,
and the event log records who assigned whom (staff only, off the buyer's timeline), so the
hash chain tells who held the claim when. It runs through ``workflow.act`` like every write on
a claim (``RULES["assign"]``: staff, open claims); it changes no status and sends nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from rma_portal.exceptions import Forbidden

from .actors import Actor
from .models import Claim
from .workflow import act

ASSIGN_EVENT = "assign"


def assignable_staff():
    """The clerks a claim can be given to: active staff users."""
    return User.objects.filter(is_active=True, is_staff=True).order_by("username")


def assign(*, actor: Actor, claim: Claim | int, assignee: User | None) -> Claim:
    """Give the claim to ``assignee`` (None: nobody). Only staff assign, only to active staff,
    only while the claim is open (a draft is the buyer's; a decided claim needs no owner).
    Assigning the clerk who already holds it changes nothing and records nothing."""
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise Forbidden(_("Claims can only be assigned to active CPRO staff."), field="assignee")
    try:
        with act(claim, ASSIGN_EVENT, actor) as step:
            locked = step.claim
            before = locked.assigned_to
            if (before.pk if before else None) == (assignee.pk if assignee else None):
                raise _Unchanged
            # Not save(): assigning is not a change the buyer's "updated" order should show.
            Claim.objects.filter(pk=locked.pk).update(assigned_to=assignee)
            locked.assigned_to = assignee
            step.public = False  # staff only, off the buyer's timeline
            step.data.update(
                {
                    "from": before.get_username() if before else None,
                    "to": assignee.get_username() if assignee else None,
                }
            )
    except _Unchanged:
        pass
    if isinstance(claim, Claim):
        claim.refresh_from_db()
        return claim
    return Claim.objects.get(pk=claim)


class _Unchanged(Exception):
    """The clerk already holds the claim: nothing to record."""
