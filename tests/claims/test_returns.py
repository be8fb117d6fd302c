"""Return authorization (R1), the buyer's shipment, receiving with the R2 checklist, refusals."""

import pytest

from claims import services
from claims.actors import Actor
from claims.models import ClaimStatus, ReceiptCondition
from rma_portal.exceptions import DomainError, Forbidden, InvalidState, NotFound
from tests.factories import ClaimFactory, ClaimItemFactory, UserFactory, submitted_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    return submitted_claim(items=3)


@pytest.fixture
def buyer(claim):
    return Actor.buyer(claim.author)


def items_of(claim):
    return list(claim.items.order_by("position"))


def authorized_and_shipped(claim, staff, buyer, items=None):
    services.authorize_return(actor=staff, claim=claim, items=items)
    services.record_shipment(actor=buyer, claim=claim, carrier="DHL", tracking_number="JD0001")


def snapshot(claim):
    claim.refresh_from_db()
    return (
        claim.status,
        claim.event_count,
        claim.refusal_reason,
        claim.carrier,
        [
            (i.return_authorized, i.receipt_condition, i.outcome)
            for i in claim.items.order_by("position")
        ],
    )


# --- R1: authorization -----------------------------------------------------------------------


def test_r1_staff_authorize_the_return_of_all_items(claim, staff):
    services.authorize_return(actor=staff, claim=claim)

    assert claim.status == ClaimStatus.RETURN_AUTHORIZED
    assert all(item.return_authorized for item in items_of(claim))
    event = claim.events.get(kind="authorize_return")
    assert event.data["serials"] == [i.serial_number for i in items_of(claim)]
    assert event.data["not_authorized"] == []
    assert (event.from_status, event.to_status) == ("submitted", "return_authorized")


def test_r1_staff_authorize_some_items_and_the_event_lists_their_serials(claim, staff):
    first, second, third = items_of(claim)

    services.authorize_return(actor=staff, claim=claim, items=[first, third.pk])

    assert [i.return_authorized for i in items_of(claim)] == [True, False, True]
    event = claim.events.get(kind="authorize_return")
    assert event.data["serials"] == [first.serial_number, third.serial_number]
    assert event.data["not_authorized"] == [second.serial_number]


def test_r1_authorization_needs_at_least_one_item_and_changes_nothing_without(claim, staff):
    before = snapshot(claim)

    with pytest.raises(DomainError, match="at least one item"):
        services.authorize_return(actor=staff, claim=claim, items=[])

    assert snapshot(claim) == before


def test_r1_an_item_of_another_claim_cannot_be_authorized(claim, staff):
    other = submitted_claim(items=1)
    before = snapshot(claim)

    with pytest.raises(DomainError, match="Only items of this claim"):
        services.authorize_return(actor=staff, claim=claim, items=[other.items.get()])

    assert snapshot(claim) == before


def test_r1_a_buyer_cannot_authorize_a_return(claim, buyer):
    before = snapshot(claim)

    with pytest.raises(Forbidden):
        services.authorize_return(actor=buyer, claim=claim)

    assert snapshot(claim) == before


def test_r1_a_claim_can_be_authorized_while_information_is_requested(staff):
    claim = submitted_claim(items=1, status=ClaimStatus.INFO_REQUESTED)

    services.authorize_return(actor=staff, claim=claim)

    assert claim.status == ClaimStatus.RETURN_AUTHORIZED


def test_r1_a_draft_cannot_be_authorized(staff):
    draft = ClaimItemFactory(claim=ClaimFactory(status=ClaimStatus.DRAFT)).claim

    with pytest.raises(InvalidState):
        services.authorize_return(actor=staff, claim=draft)

    draft.refresh_from_db()
    assert (draft.status, draft.event_count) == (ClaimStatus.DRAFT, 0)


# --- The buyer's shipment --------------------------------------------------------------------


def test_the_buyer_records_carrier_and_tracking_number_trimmed(claim, staff, buyer):
    services.authorize_return(actor=staff, claim=claim)

    services.record_shipment(actor=buyer, claim=claim, carrier="  DHL ", tracking_number=" 123 ")

    assert claim.status == ClaimStatus.SHIPPED
    assert (claim.carrier, claim.tracking_number) == ("DHL", "123")
    assert claim.shipped_at is not None
    event = claim.events.get(kind="record_shipment")
    assert event.data == {"carrier": "DHL", "tracking_number": "123"}
    assert event.actor_label == claim.author.username


@pytest.mark.parametrize(
    ("carrier", "tracking", "field"),
    [
        ("", "123", "carrier"),
        ("DHL", "   ", "tracking_number"),
        ("DHL", "x" * 101, "tracking_number"),
    ],
)
def test_a_shipment_needs_both_carrier_and_tracking_number(
    claim, staff, buyer, carrier, tracking, field
):
    services.authorize_return(actor=staff, claim=claim)
    before = snapshot(claim)

    with pytest.raises(DomainError) as exc:
        services.record_shipment(
            actor=buyer, claim=claim, carrier=carrier, tracking_number=tracking
        )

    assert exc.value.field == field
    assert snapshot(claim) == before


def test_a_shipment_cannot_be_recorded_before_the_return_is_authorized(claim, buyer):
    before = snapshot(claim)

    with pytest.raises(InvalidState):
        services.record_shipment(actor=buyer, claim=claim, carrier="DHL", tracking_number="1")

    assert snapshot(claim) == before


def test_staff_cannot_record_the_shipment_on_the_buyers_behalf(claim, staff):
    services.authorize_return(actor=staff, claim=claim)

    with pytest.raises(Forbidden):
        services.record_shipment(actor=staff, claim=claim, carrier="DHL", tracking_number="1")


def test_another_organisations_buyer_does_not_find_the_claim(claim, staff):
    services.authorize_return(actor=staff, claim=claim)
    stranger = Actor.buyer(UserFactory())

    with pytest.raises(NotFound):
        services.record_shipment(actor=stranger, claim=claim, carrier="DHL", tracking_number="1")


# --- R2: receiving ---------------------------------------------------------------------------


def test_r2_a_return_passing_the_checklist_is_received(claim, staff, buyer):
    authorized_and_shipped(claim, staff, buyer)

    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )

    assert claim.status == ClaimStatus.RECEIVED
    assert claim.received_at is not None
    assert (claim.original_packaging, claim.bills_of_purchase, claim.rma_on_documents) == (
        True,
        True,
        True,
    )
    assert claim.refusal_reason == ""
    assert {i.receipt_condition for i in items_of(claim)} == {ReceiptCondition.AS_EXPECTED}
    event = claim.events.get(kind="receive")
    assert event.data["passed"] is True
    assert event.data["differences"] == []


def test_r2_goods_may_be_received_before_the_buyer_records_the_shipment(claim, staff):
    services.authorize_return(actor=staff, claim=claim)

    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )

    assert claim.status == ClaimStatus.RECEIVED


@pytest.mark.parametrize(
    ("failed", "words"),
    [
        ("original_packaging", "not in the original packaging"),
        ("bills_of_purchase", "without the bills of purchase"),
        ("rma_on_documents", "the RMA number is not on the documents"),
    ],
)
def test_r2_each_failed_checklist_box_refuses_the_return_and_says_why(
    claim, staff, buyer, failed, words
):
    authorized_and_shipped(claim, staff, buyer)
    checklist = {"original_packaging": True, "bills_of_purchase": True, "rma_on_documents": True}
    checklist[failed] = False

    services.receive(actor=staff, claim=claim, **checklist)

    assert claim.status == ClaimStatus.REFUSED
    assert claim.refusal_reason == f"Return refused (R2): {words}."
    assert getattr(claim, failed) is False
    event = claim.events.get(kind="receive")
    assert (event.to_status, event.data["passed"]) == ("refused", False)
    assert event.data["refusal_reason"] == claim.refusal_reason


def test_r2_every_failure_is_named_in_the_refusal(claim, staff, buyer):
    authorized_and_shipped(claim, staff, buyer)

    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=False,
        bills_of_purchase=False,
        rma_on_documents=False,
    )

    assert claim.refusal_reason == (
        "Return refused (R2): not in the original packaging; without the bills of purchase; "
        "the RMA number is not on the documents."
    )


def test_r2_a_checklist_box_left_open_is_an_error_and_changes_nothing(claim, staff, buyer):
    authorized_and_shipped(claim, staff, buyer)
    before = snapshot(claim)

    with pytest.raises(DomainError) as exc:
        services.receive(
            actor=staff,
            claim=claim,
            original_packaging=None,
            bills_of_purchase=True,
            rma_on_documents=True,
        )

    assert exc.value.field == "original_packaging"
    assert snapshot(claim) == before


def test_r2_per_item_receipt_conditions_are_recorded_and_the_event_lists_the_differences(
    claim, staff, buyer
):
    first, second, third = items_of(claim)
    authorized_and_shipped(claim, staff, buyer)

    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
        conditions={second.pk: "missing", str(third.pk): ReceiptCondition.DAMAGED_IN_TRANSIT},
    )

    assert [i.receipt_condition for i in items_of(claim)] == [
        "as_expected",
        "missing",
        "damaged_in_transit",
    ]
    event = claim.events.get(kind="receive")
    assert event.data["differences"] == [
        {
            "serial": second.serial_number,
            "condition": "missing",
            "label": "Missing (short shipment)",
        },
        {
            "serial": third.serial_number,
            "condition": "damaged_in_transit",
            "label": "Damaged in transit",
        },
    ]


def test_r2_only_authorized_items_get_a_receipt_condition(claim, staff):
    first, second, _third = items_of(claim)
    services.authorize_return(actor=staff, claim=claim, items=[first])

    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
        conditions={first.pk: "wrong_item"},
    )

    assert [i.receipt_condition for i in items_of(claim)] == ["wrong_item", "", ""]


def test_r2_a_condition_for_an_item_not_authorized_is_refused_and_changes_nothing(claim, staff):
    first, second, _third = items_of(claim)
    services.authorize_return(actor=staff, claim=claim, items=[first])
    before = snapshot(claim)

    with pytest.raises(DomainError, match="not authorized for return"):
        services.receive(
            actor=staff,
            claim=claim,
            original_packaging=True,
            bills_of_purchase=True,
            rma_on_documents=True,
            conditions={second.pk: "as_expected"},
        )

    assert snapshot(claim) == before


def test_r2_an_unknown_receipt_condition_is_refused(claim, staff):
    services.authorize_return(actor=staff, claim=claim)
    before = snapshot(claim)

    with pytest.raises(DomainError, match="unknown receipt condition"):
        services.receive(
            actor=staff,
            claim=claim,
            original_packaging=True,
            bills_of_purchase=True,
            rma_on_documents=True,
            conditions={items_of(claim)[0].pk: "lost"},
        )

    assert snapshot(claim) == before


@pytest.mark.parametrize(
    ("who", "authorized", "error"),
    [
        pytest.param("buyer", True, Forbidden, id="r2_a_buyer_cannot_receive"),
        pytest.param("staff", False, InvalidState, id="r1_not_without_authorization"),
    ],
)
def test_goods_are_received_by_staff_and_only_after_authorization(
    claim, staff, buyer, who, authorized, error
):
    if authorized:
        authorized_and_shipped(claim, staff, buyer)
    before = snapshot(claim)

    with pytest.raises(error):
        services.receive(
            actor={"buyer": buyer, "staff": staff}[who],
            claim=claim,
            original_packaging=True,
            bills_of_purchase=True,
            rma_on_documents=True,
        )

    assert snapshot(claim) == before


# --- Refusals --------------------------------------------------------------------------------


def test_r1_goods_arriving_without_authorization_are_refused(claim, staff):
    services.refuse_unauthorized_arrival(actor=staff, claim=claim, note="Box left at the gate.")

    assert claim.status == ClaimStatus.REFUSED
    assert claim.refusal_reason == (
        "Goods arrived without CPRO's return authorization and were refused (R1). "
        "Box left at the gate."
    )
    event = claim.events.get(kind="refuse")
    assert (event.from_status, event.to_status) == ("submitted", "refused")
    assert event.data["unauthorized_arrival"] is True


def test_r1_an_authorized_return_is_not_an_unauthorized_arrival(claim, staff):
    services.authorize_return(actor=staff, claim=claim)
    before = snapshot(claim)

    with pytest.raises(InvalidState, match="receiving checklist"):
        services.refuse_unauthorized_arrival(actor=staff, claim=claim)

    assert snapshot(claim) == before


def test_staff_may_refuse_a_shipped_return_with_a_reason(claim, staff, buyer):
    authorized_and_shipped(claim, staff, buyer)

    services.refuse(actor=staff, claim=claim, reason="  Parcel opened and resealed.  ")

    assert claim.status == ClaimStatus.REFUSED
    assert claim.refusal_reason == "Parcel opened and resealed."


def test_a_refusal_needs_a_reason_and_changes_nothing_without(claim, staff, buyer):
    authorized_and_shipped(claim, staff, buyer)
    before = snapshot(claim)

    with pytest.raises(DomainError) as exc:
        services.refuse(actor=staff, claim=claim, reason=" ")

    assert exc.value.field == "reason"
    assert snapshot(claim) == before


def test_a_received_claim_cannot_be_refused_any_more(claim, staff, buyer):
    authorized_and_shipped(claim, staff, buyer)
    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    before = snapshot(claim)

    with pytest.raises(InvalidState):
        services.refuse(actor=staff, claim=claim, reason="Changed our mind.")

    assert snapshot(claim) == before
