"""Assigning claims to clerks (issue 16): a staff act recorded in the claim's event log."""

import pytest

from claims.actors import Actor
from claims.assignment import assign
from claims.events import verify_claim
from claims.models import ClaimStatus
from rma_portal.exceptions import Forbidden, InvalidState
from tests.factories import UserFactory, submitted_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerks(db):
    return (
        UserFactory(username="minji", organisation=None, is_staff=True),
        UserFactory(username="joon", organisation=None, is_staff=True),
    )


def test_assignment_and_reassignment_are_recorded_off_the_buyers_timeline(clerks):
    minji, joon = clerks
    claim = submitted_claim()
    assign(actor=Actor.staff(minji), claim=claim, assignee=minji)
    assign(actor=Actor.staff(minji), claim=claim, assignee=joon)
    assign(actor=Actor.staff(joon), claim=claim, assignee=None)
    claim.refresh_from_db()
    assert claim.assigned_to is None
    events = list(claim.events.order_by("seq"))
    assert [(e.kind, e.actor_label, e.data, e.public) for e in events] == [
        ("assign", "minji", {"from": None, "to": "minji"}, False),
        ("assign", "minji", {"from": "minji", "to": "joon"}, False),
        ("assign", "joon", {"from": "joon", "to": None}, False),
    ]
    assert all(e.from_status == e.to_status == ClaimStatus.SUBMITTED for e in events)
    assert verify_claim(claim) is None


def test_assigning_the_same_clerk_again_records_nothing(clerks):
    minji, _joon = clerks
    claim = submitted_claim()
    assign(actor=Actor.staff(minji), claim=claim, assignee=minji)
    assign(actor=Actor.staff(minji), claim=claim, assignee=minji)
    assert claim.events.count() == 1


def test_only_staff_assign_and_only_to_active_staff(clerks):
    minji, _joon = clerks
    claim = submitted_claim()
    buyer = claim.author
    with pytest.raises(Forbidden):
        assign(actor=Actor.buyer(buyer), claim=claim, assignee=minji)
    with pytest.raises(Forbidden):
        assign(actor=Actor.staff(minji), claim=claim, assignee=buyer)
    minji.is_active = False
    minji.save()
    with pytest.raises(Forbidden):
        assign(actor=Actor.staff(minji), claim=claim, assignee=minji)
    claim.refresh_from_db()
    assert claim.assigned_to is None and claim.events.count() == 0


@pytest.mark.parametrize("status", [ClaimStatus.DRAFT, ClaimStatus.CLOSED, ClaimStatus.REJECTED])
def test_drafts_and_decided_claims_are_not_assigned(clerks, status):
    minji, _joon = clerks
    claim = submitted_claim(status=status)
    with pytest.raises(InvalidState):
        assign(actor=Actor.staff(minji), claim=claim, assignee=minji)
    assert claim.events.count() == 0
