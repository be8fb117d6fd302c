"""The buyer ↔ staff thread, internal notes, cancel/reject, and the claim selectors."""

import pytest

from claims import selectors, services
from claims.actors import Actor
from claims.models import Claim, Message
from rma_portal.exceptions import Forbidden, InvalidState, NotFound, ValidationFailed
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger():
    return Actor.buyer(UserFactory(organisation=OrganisationFactory(code="rival")))


def test_staff_request_information_and_the_buyer_sees_the_question(claim, staff):
    message = services.request_info(actor=staff, claim=claim, question="Which firmware?")

    assert claim.status == "info_requested"
    assert message.from_staff is True
    assert message.internal is False
    assert list(selectors.messages_for(claim, staff=False)) == [message]
    event = claim.events.get()
    assert event.public is True
    assert event.data["question"] == "Which firmware?"


def test_the_buyers_answer_puts_the_claim_back_under_review(claim, staff, buyer):
    services.request_info(actor=staff, claim=claim, question="Which firmware?")

    answer = services.answer_info(actor=buyer, claim=claim, answer="v2.3.1")

    assert claim.status == "submitted"
    assert answer.from_staff is False
    assert answer.author == buyer.user
    assert [m.body for m in selectors.messages_for(claim, staff=True)] == [
        "Which firmware?",
        "v2.3.1",
    ]


def test_an_answer_without_a_question_is_refused(claim, buyer):
    with pytest.raises(InvalidState):
        services.answer_info(actor=buyer, claim=claim, answer="unasked")

    assert Message.objects.count() == 0


def test_buyers_cannot_request_information(claim, buyer):
    with pytest.raises(Forbidden):
        services.request_info(actor=buyer, claim=claim, question="?")


def test_both_sides_post_messages_in_one_thread(claim, staff, buyer):
    services.post_message(actor=buyer, claim=claim, body="Any news?")
    services.post_message(actor=staff, claim=claim, body="Under review.")

    thread = list(selectors.messages_for(claim, staff=False))
    assert [(m.body, m.from_staff) for m in thread] == [
        ("Any news?", False),
        ("Under review.", True),
    ]
    assert claim.status == "submitted"


def test_an_empty_message_is_refused_and_nothing_is_recorded(claim, buyer):
    with pytest.raises(ValidationFailed) as caught:
        services.post_message(actor=buyer, claim=claim, body="  \n ")

    assert list(caught.value.errors) == ["body"]
    assert Message.objects.count() == 0
    assert claim.events.count() == 0


def test_internal_notes_are_invisible_to_buyers(claim, staff, buyer):
    services.post_message(actor=buyer, claim=claim, body="Any news?")
    note = services.add_internal_note(actor=staff, claim=claim, body="Customer is a reseller.")

    assert note.internal is True
    assert note not in selectors.messages_for(claim, staff=False)
    assert note in selectors.messages_for(claim, staff=True)
    buyer_kinds = [e.kind for e in selectors.timeline(claim, staff=False)]
    staff_kinds = [e.kind for e in selectors.timeline(claim, staff=True)]
    assert buyer_kinds == ["post_message"]
    assert staff_kinds == ["post_message", "internal_note"]


def test_buyers_cannot_write_internal_notes(claim, buyer):
    with pytest.raises(Forbidden):
        services.add_internal_note(actor=buyer, claim=claim, body="psst")


def test_another_organisation_cannot_post_to_a_claim(claim, stranger):
    with pytest.raises(NotFound):
        services.post_message(actor=stranger, claim=claim, body="hello")

    assert Message.objects.count() == 0


def test_the_thread_is_closed_once_the_claim_is(claim, buyer):
    Claim.objects.filter(pk=claim.pk).update(status="closed")

    with pytest.raises(InvalidState):
        services.post_message(actor=buyer, claim=claim, body="thanks")


# --- Exits -------------------------------------------------------------------------------------


def test_the_buyer_may_cancel_before_shipping(claim, buyer):
    services.cancel(actor=buyer, claim=claim, reason="Found a loose cable.")

    assert claim.status == "cancelled"
    assert claim.decision_reason == "Found a loose cable."
    assert claim.decided_at is not None


def test_a_shipped_claim_cannot_be_cancelled(claim, buyer):
    Claim.objects.filter(pk=claim.pk).update(status="shipped")

    with pytest.raises(InvalidState):
        services.cancel(actor=buyer, claim=claim)


def test_staff_reject_with_a_reason(claim, staff):
    services.reject(actor=staff, claim=claim, reason="Delivered in 2022: the period ended (W1).")

    assert claim.status == "rejected"
    assert claim.decision_reason.startswith("Delivered in 2022")
    assert claim.events.get().data["reason"] == claim.decision_reason


def test_a_rejection_needs_a_reason(claim, staff):
    with pytest.raises(ValidationFailed):
        services.reject(actor=staff, claim=claim, reason="")

    claim.refresh_from_db()
    assert claim.status == "submitted"


# --- Selectors ---------------------------------------------------------------------------------


def test_a_claim_is_found_by_id_or_rma_number(claim, org):
    assert selectors.claim_of(org, claim.pk) == claim
    assert selectors.claim_of(org, str(claim.pk)) == claim
    assert selectors.claim_of(org, "rma-2026-000042") == claim


def test_another_organisations_claim_is_not_found(claim):
    rival = OrganisationFactory(code="rival")

    for key in (claim.pk, str(claim.pk), "RMA-2026-000042"):
        with pytest.raises(NotFound):
            selectors.claim_of(rival, key)


@pytest.mark.parametrize(
    "key", ["", "abc", "RMA-2026", "-1", "0", "99999999999999999999", "³", "١٢", None]
)
def test_malformed_claim_keys_are_not_found(claim, org, key):
    with pytest.raises(NotFound):
        selectors.claim_of(org, key)


def test_the_claim_list_counts_items_and_shows_only_the_organisations_claims(claim, org):
    ClaimItemFactory(claim=claim)
    ClaimFactory(organisation=OrganisationFactory(code="rival"))

    claims = list(selectors.claims_of(org))

    assert claims == [claim]
    assert claims[0].item_count == 2


def test_the_claim_page_loads_in_a_fixed_number_of_queries(claim, org, django_assert_num_queries):
    ClaimItemFactory(claim=claim)

    with django_assert_num_queries(3):  # claim, items with their joins, attachments
        found = selectors.claim_of(org, claim.pk)
        for item in found.items.all():
            assert item.unit.shipment.pi_number and item.unit.product_model.code
            list(item.attachments.all())
