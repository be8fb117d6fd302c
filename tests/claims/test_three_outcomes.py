"""One claim, three outcomes: repair, credit note (D1), not covered with D2 charges; closed."""

from decimal import Decimal

import pytest

from claims import services
from claims.actors import Actor
from claims.events import verify_claim
from claims.models import Charge, ClaimStatus, CreditNote, DebitNote
from rma_portal.exceptions import DomainError, InvalidState
from tests.factories import submitted_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    return submitted_claim(items=3, rma_number="RMA-2025-000042")


def inspected(claim, staff):
    repair, credit, rejected = claim.items.order_by("position")
    services.authorize_return(actor=staff, claim=claim)
    services.record_shipment(
        actor=Actor.buyer(claim.author), claim=claim, carrier="DHL", tracking_number="JD014600"
    )
    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    services.inspect(
        actor=staff,
        claim=claim,
        results={
            repair.pk: {"findings": ["confirmed_defect"], "outcome": "repair"},
            credit.pk: {"findings": ["confirmed_defect"], "outcome": "credit_note"},
            rejected.pk: {
                "findings": ["tampered"],
                "outcome": "not_covered",
                "reason": "W5: housing opened, seal broken.",
                "charge": {"verification": "60.00", "transport": "25.00", "shipment": "15.00"},
            },
        },
    )
    return repair, credit, rejected


def test_a_three_item_claim_goes_from_authorization_to_closed_with_three_outcomes(claim, staff):
    repair, credit, rejected = inspected(claim, staff)

    debit_note = services.issue_debit_note(actor=staff, claim=claim)
    services.ship_outbound(actor=staff, item=repair, carrier="UPS", tracking_number="1Z0001")
    credit_note = services.issue_credit_note(actor=staff, item=credit)
    services.close(actor=staff, claim=claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLOSED
    assert claim.closed_at is not None
    items = {i.pk: i for i in claim.items.all()}
    assert [items[i.pk].outcome for i in (repair, credit, rejected)] == [
        "repair",
        "credit_note",
        "not_covered",
    ]
    assert all(i.verdict_final for i in items.values())
    assert items[repair.pk].outbound_tracking == "1Z0001"
    assert (credit_note.amount, credit_note.currency) == (Decimal("120.00"), "USD")
    assert (debit_note.total, debit_note.currency) == (Decimal("100.00"), "USD")
    assert Charge.objects.get(item=rejected).debit_note == debit_note

    events = list(claim.events.order_by("seq"))
    assert [(e.kind, e.to_status) for e in events] == [
        ("authorize_return", "return_authorized"),
        ("record_shipment", "shipped"),
        ("receive", "received"),
        ("inspect", "inspected"),
        ("issue_debit_note", "inspected"),
        ("ship_outbound", "inspected"),
        ("issue_credit_note", "inspected"),
        ("close", "closed"),
    ]
    assert [e.channel for e in events[:2]] == ["admin", "portal"]
    assert events[-1].data["items"] == [
        {"serial": repair.serial_number, "outcome": "repair"},
        {"serial": credit.serial_number, "outcome": "credit_note"},
        {"serial": rejected.serial_number, "outcome": "not_covered"},
    ]
    assert claim.event_count == len(events)
    assert verify_claim(claim) is None
    # R1, D1 and D2 each call for their document, queued for rendering through the outbox.
    documents = {(d.kind, d.credit_note_id, d.debit_note_id) for d in claim.documents.all()}
    assert documents == {
        ("return_authorization", None, None),
        ("credit_note", credit_note.pk, None),
        ("debit_note", None, debit_note.pk),
    }


def snapshot(claim):
    claim.refresh_from_db()
    return (
        claim.status,
        claim.event_count,
        claim.last_event_hash,
        [
            (i.outcome, i.outbound_shipped_at, i.return_authorized, i.receipt_condition)
            for i in claim.items.order_by("position")
        ],
        CreditNote.objects.count(),
        DebitNote.objects.count(),
    )


def test_close_is_refused_listing_every_unsettled_item_and_changes_nothing(claim, staff):
    repair, credit, rejected = inspected(claim, staff)
    before = snapshot(claim)

    with pytest.raises(InvalidState) as exc:
        services.close(actor=staff, claim=claim)

    assert exc.value.message == (
        "The claim cannot be closed yet: "
        f"{repair.serial_number}: repaired unit not shipped yet; "
        f"{credit.serial_number}: credit note not issued; "
        f"{rejected.serial_number}: D2 charge neither billed nor waived."
    )
    assert snapshot(claim) == before


def test_a_waived_charge_settles_the_not_covered_item(claim, staff):
    repair, credit, rejected = inspected(claim, staff)
    services.ship_outbound(actor=staff, item=repair, carrier="UPS", tracking_number="1")
    services.issue_credit_note(actor=staff, item=credit)
    services.waive_charge(actor=staff, item=rejected, reason="First claim, goodwill.")

    services.close(actor=staff, claim=claim)

    assert claim.status == ClaimStatus.CLOSED
    assert not DebitNote.objects.exists()


@pytest.mark.parametrize(
    "refused_act",
    [
        pytest.param(lambda c, s, b: services.authorize_return(actor=s, claim=c), id="authorize"),
        pytest.param(
            lambda c, s, b: services.record_shipment(
                actor=b, claim=c, carrier="DHL", tracking_number="2"
            ),
            id="shipment",
        ),
        pytest.param(
            lambda c, s, b: services.receive(
                actor=s,
                claim=c,
                original_packaging=False,
                bills_of_purchase=True,
                rma_on_documents=True,
            ),
            id="receive",
        ),
        pytest.param(lambda c, s, b: services.refuse(actor=s, claim=c, reason="x"), id="refuse"),
        pytest.param(lambda c, s, b: services.inspect(actor=s, claim=c, results={}), id="inspect"),
        pytest.param(lambda c, s, b: services.close(actor=b, claim=c), id="close-by-buyer"),
        pytest.param(
            lambda c, s, b: services.issue_credit_note(actor=b, item=c.items.all()[1]),
            id="credit-by-buyer",
        ),
        pytest.param(
            lambda c, s, b: services.ship_outbound(
                actor=s, item=c.items.all()[0], carrier=" ", tracking_number="1"
            ),
            id="outbound-without-carrier",
        ),
    ],
)
def test_a_refused_act_changes_nothing(claim, staff, refused_act):
    inspected(claim, staff)
    before = snapshot(claim)

    with pytest.raises(DomainError):
        refused_act(claim, staff, Actor.buyer(claim.author))

    assert snapshot(claim) == before
