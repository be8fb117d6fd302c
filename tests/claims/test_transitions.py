"""The lifecycle's role × status matrix (SPEC "Claim lifecycle": every transition is guarded).

For every act in ``workflow.RULES``, every status and every kind of actor, ``workflow.act`` with
an empty body is allowed exactly when the table says so; when refused it raises the right
DomainError (InvalidState, Forbidden, NotFound) and changes nothing.
"""

import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from claims.actors import Actor
from claims.models import Claim, ClaimEvent, ClaimStatus
from claims.workflow import RULES, act, allowed
from rma_portal.exceptions import Forbidden, InvalidState, NotFound
from tests.factories import ClaimFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

ACTORS = ("buyer", "other_buyer", "staff", "system")
ROLE = {"buyer": "buyer", "other_buyer": "buyer", "staff": "staff", "system": "system"}


def make_actor(kind: str, claim: Claim) -> Actor:
    # Plain users without passwords: a thousand password hashes would dominate the run.
    if kind == "buyer":
        return Actor.buyer(User.objects.create(username="buyer", organisation=claim.organisation))
    if kind == "other_buyer":
        return Actor.buyer(
            User.objects.create(username="rival", organisation=OrganisationFactory())
        )
    if kind == "staff":
        return Actor.staff(User.objects.create(username="clerk", is_staff=True))
    return Actor.system()


def claim_in(status: str) -> Claim:
    # As the services leave it: every claim past the draft has its RMA number and notice (N2).
    if status == ClaimStatus.DRAFT:
        return ClaimFactory(status=status, author=None)
    return ClaimFactory(
        status=status,
        author=None,
        rma_number="RMA-2026-000001",
        notice_at=timezone.now(),
        hold_until=timezone.localdate() + datetime.timedelta(days=30),
    )


def expected_error(action: str, status: str, kind: str):
    """What ``act`` must answer: None when allowed, else the error class.

    Another organisation's buyer is told "not found" whatever the act (no existence leak); the
    wrong role is "forbidden"; the right role in the wrong status is "invalid state".
    """
    if kind == "other_buyer":
        return NotFound
    if ROLE[kind] not in RULES[action].roles:
        return Forbidden
    if status not in RULES[action].sources:
        return InvalidState
    return None


@pytest.mark.parametrize("kind", ACTORS)
@pytest.mark.parametrize("status", ClaimStatus.values)
@pytest.mark.parametrize("action", sorted(RULES))
def test_an_act_is_allowed_exactly_when_the_lifecycle_table_says_so(action, status, kind):
    claim = claim_in(status)
    actor = make_actor(kind, claim)
    error = expected_error(action, status, kind)

    if error is None:
        assert allowed(action, status, ROLE[kind])
        with act(claim, action, actor):
            pass
        claim.refresh_from_db()
        assert claim.status == (RULES[action].target or status)
        assert claim.event_count == 1
        event = ClaimEvent.objects.get(claim=claim)
        assert (event.kind, event.from_status, event.to_status) == (action, status, claim.status)
    else:
        with pytest.raises(error), act(claim, action, actor):
            pytest.fail("the body of a refused act must not run")
        claim.refresh_from_db()
        assert claim.status == status
        assert claim.event_count == 0
        assert not ClaimEvent.objects.filter(claim=claim).exists()


def test_the_matrix_covers_every_status_and_every_act():
    # A new status or act added to the model or the table is in the matrix automatically;
    # this guards against the table naming a status the model does not have.
    for rule in RULES.values():
        assert rule.sources <= set(ClaimStatus.values)
        assert rule.target is None or rule.target in ClaimStatus.values
        assert rule.roles <= {"buyer", "staff", "system"}


def test_a_refused_act_rolls_back_what_its_body_changed():
    claim = claim_in("submitted")
    staff = Actor.staff(User.objects.create(username="clerk", is_staff=True))

    with pytest.raises(InvalidState), act(claim, "request_info", staff) as step:
        step.claim.buyer_reference = "changed inside"
        step.claim.save()
        raise InvalidState("refused mid-way")

    claim.refresh_from_db()
    assert (claim.status, claim.buyer_reference, claim.event_count) == ("submitted", "", 0)


def test_an_unknown_claim_is_not_found():
    staff = Actor.staff(User.objects.create(username="clerk", is_staff=True))

    with pytest.raises(NotFound), act(987654321, "internal_note", staff):
        pass
