"""The dashboard: the organisation's open claims, those waiting for the buyer first, each with
the next deadline that matters to the buyer (N1 for drafts, N4 while under review, R1)."""

import datetime

import pytest

from claims import services
from claims.actors import Actor

from .helpers import days_ago, draft_for, make_unit, submitted_for

pytestmark = pytest.mark.django_db


def steps(client):
    return {claim.pk: step for claim, step in client.get("/").context["rows"]}


def test_a_draft_shows_its_n1_notice_deadline(buyer_client, buyer, unit):
    draft = draft_for(buyer, [unit], defect_date=days_ago(3))
    step = steps(buyer_client)[draft.pk]
    deadline = days_ago(3) + datetime.timedelta(days=8)
    assert step.deadline == deadline and step.action and not step.overdue
    assert step.text == f"Submit by {deadline.isoformat()}, the notice deadline (N1): 5 days left."


def test_a_draft_past_its_deadline_says_submitting_gives_a_late_notice(buyer_client, buyer, unit):
    draft = draft_for(buyer, [unit], defect_date=days_ago(12))
    step = steps(buyer_client)[draft.pk]
    assert step.overdue
    assert "submitting now gives a late notice" in step.text


def test_a_submitted_claim_shows_the_hold_end(buyer_client, buyer, unit):
    claim = submitted_for(buyer, [unit])
    step = steps(buyer_client)[claim.pk]
    assert step.deadline == claim.hold_until and not step.action
    assert f"until {claim.hold_until.isoformat()} (N4)" in step.text


def test_cpros_question_is_the_buyers_turn(buyer_client, buyer, unit, staff):
    claim = submitted_for(buyer, [unit])
    services.request_info(actor=Actor.staff(staff), claim=claim, question="Which firmware?")
    step = steps(buyer_client)[claim.pk]
    assert step.action and "CPRO asked a question" in step.text


def test_an_authorized_return_says_ship_the_goods(buyer_client, buyer, unit, staff):
    claim = submitted_for(buyer, [unit])
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    step = steps(buyer_client)[claim.pk]
    assert step.action and "ship the authorized items" in step.text


def test_claims_waiting_for_the_buyer_come_first_and_closed_ones_are_left_out(
    buyer_client, buyer, org, model, staff
):
    units = [make_unit(org, model, f"SN-D-{n}") for n in range(4)]
    submitted = submitted_for(buyer, [units[0]])
    asked = submitted_for(buyer, [units[1]])
    services.request_info(actor=Actor.staff(staff), claim=asked, question="?")
    draft = draft_for(buyer, [units[2]])
    withdrawn = submitted_for(buyer, [units[3]])
    services.cancel(actor=Actor.buyer(buyer), claim=withdrawn)
    rows = buyer_client.get("/").context["rows"]
    assert [claim.pk for claim, _step in rows] == [asked.pk, draft.pk, submitted.pk]


def test_the_dashboard_counts_the_units(buyer_client, unit, other_unit):
    response = buyer_client.get("/")
    assert response.context["unit_count"] == 1
    assert "Your 1 unit" in response.text
