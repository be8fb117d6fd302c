"""Sales staff walk a claim through every act in the admin (test client, no superuser)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims import document_service, services
from claims.actors import Actor
from claims.events import verify_claim
from claims.models import (
    Charge,
    ClaimItem,
    ClaimStatus,
    CreditNote,
    DebitNote,
    DocumentKind,
    Message,
    Outcome,
    ReceiptCondition,
)
from tests.factories import ClaimItemFactory
from warranty.models import Unit

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db


def act_url(claim, key):
    return reverse("admin:claims_claim_act", args=[claim.pk, key])


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def do(client, claim, key, data=None):
    """Post one act's form; it must succeed and lead back to the claim."""
    response = client.post(act_url(claim, key), data or {})
    assert response.status_code == 302, shown_messages(response) or response.text[:3000]
    assert response["Location"] == change_url(claim)
    claim.refresh_from_db()
    return response


def test_sales_staff_walk_one_claim_through_every_act(clerk_client, clerk):
    claim = submitted_claim(items=0)
    make = lambda position, **kw: ClaimItemFactory(  # noqa: E731
        claim=claim, position=position, verdict_status="covered", **kw
    )
    repair, replace, late, charged, waived, kept = (
        make(0),
        make(1),
        make(2, defect_date=datetime.date(2025, 11, 1), notice_late=True),  # N1: 32 days
        make(3),
        make(4),
        make(5),
    )
    buyer = Actor.buyer(claim.author)

    page = clerk_client.get(change_url(claim))
    assert page.status_code == 200
    for key in ["request-info", "authorize-return", "notice-exception", "reject", "inspect"]:
        assert act_url(claim, key) in page.text
    assert act_url(claim, "close") not in page.text

    do(clerk_client, claim, "request-info", {"text": "Which firmware version runs on them?"})
    assert claim.status == ClaimStatus.INFO_REQUESTED
    services.answer_info(actor=buyer, claim=claim, answer="v2.1.7 on all six.")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED

    do(clerk_client, claim, "message", {"text": "Thank you, we are reviewing them."})
    do(clerk_client, claim, "note", {"text": "Buyer is a key account; be quick."})
    assert Message.objects.filter(claim=claim, internal=True).count() == 1

    do(
        clerk_client,
        claim,
        "notice-exception",
        {"item": late.pk, "reason": "The buyer's site was closed for the holidays."},
    )
    late.refresh_from_db()
    assert late.notice_exception and late.verdict_status == "covered"

    do(
        clerk_client,
        claim,
        "authorize-return",
        {"items": [repair.pk, replace.pk, late.pk, charged.pk, waived.pk]},
    )
    assert claim.status == ClaimStatus.RETURN_AUTHORIZED
    assert list(claim.items.filter(return_authorized=False)) == [kept]

    services.record_shipment(actor=buyer, claim=claim, carrier="DHL", tracking_number="JD0146")
    claim.refresh_from_db()
    page = clerk_client.get(change_url(claim))
    assert act_url(claim, "receive") in page.text
    assert act_url(claim, "authorize-return") not in page.text

    conditions = {f"condition_{i.pk}": ReceiptCondition.AS_EXPECTED for i in (repair, late)}
    conditions.update(
        {f"condition_{i.pk}": ReceiptCondition.AS_EXPECTED for i in (replace, charged, waived)}
    )
    do(
        clerk_client,
        claim,
        "receive",
        {"original_packaging": "on", "bills_of_purchase": "on", "rma_on_documents": "on"}
        | conditions,
    )
    assert claim.status == ClaimStatus.RECEIVED
    assert claim.original_packaging and claim.bills_of_purchase and claim.rma_on_documents

    confirmed = {"findings": "confirmed_defect"}
    results = {
        repair: confirmed | {"outcome": "repair"},
        replace: confirmed | {"outcome": "replace"},
        late: confirmed | {"outcome": "credit_note"},
        charged: {
            "findings": "tampered",
            "outcome": "not_covered",
            "reason": "W5: housing opened, seal broken.",
            "verification": "60.00",
            "transport": "25.00",
            "shipment": "15.00",
        },
        waived: {
            "findings": "third_party_repair",
            "outcome": "not_covered",
            "reason": "W5: repaired by a third party.",
        },
        kept: {"outcome": "not_covered", "reason": "Not returned: nothing to examine (N5)."},
    }
    do(
        clerk_client,
        claim,
        "inspect",
        {
            f"{name}_{item.pk}": value
            for item, fields in results.items()
            for name, value in fields.items()
        },
    )
    assert claim.status == ClaimStatus.INSPECTED
    outcomes = dict(claim.items.values_list("pk", "outcome"))
    assert outcomes == {
        repair.pk: Outcome.REPAIR,
        replace.pk: Outcome.REPLACE,
        late.pk: Outcome.CREDIT_NOTE,
        charged.pk: Outcome.NOT_COVERED,
        waived.pk: Outcome.NOT_COVERED,
        kept.pk: Outcome.NOT_COVERED,
    }
    assert Charge.objects.get(item=charged).total == Decimal("100.00")
    assert not Charge.objects.filter(item=kept).exists()  # not returned: no D2 charge

    do(clerk_client, claim, "credit-note", {"item": late.pk})
    credit_note = CreditNote.objects.get(item=late)
    assert credit_note.amount == late.unit.unit_price

    do(
        clerk_client,
        claim,
        "set-charge",
        {"item": charged.pk, "verification": "40.00", "transport": "25.00", "shipment": "15.00"},
    )
    assert Charge.objects.get(item=charged).total == Decimal("80.00")
    do(clerk_client, claim, "waive-charge", {"item": waived.pk, "reason": "Goodwill: key account."})
    assert Charge.objects.get(item=waived).waived

    do(clerk_client, claim, "debit-note")
    debit_note = DebitNote.objects.get(claim=claim)
    assert debit_note.total == Decimal("80.00")
    assert Charge.objects.get(item=charged).debit_note == debit_note

    do(
        clerk_client,
        claim,
        "ship-outbound",
        {"item": repair.pk, "carrier": "UPS", "tracking_number": "1Z0001"},
    )
    do(
        clerk_client,
        claim,
        "ship-outbound",
        {
            "item": replace.pk,
            "carrier": "UPS",
            "tracking_number": "1Z0002",
            "replacement_serial": "SNREPL00001",
        },
    )
    replace.refresh_from_db()
    assert replace.replacement_unit == Unit.objects.get(serial_number="SNREPL00001")

    page = clerk_client.get(change_url(claim))
    assert "Everything is settled" in page.text
    response = do(clerk_client, claim, "close")
    assert claim.status == ClaimStatus.CLOSED
    assert "Claim closed." in shown_messages(response)

    kinds = list(claim.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == [
        "request_info",
        "answer_info",
        "post_message",
        "internal_note",
        "grant_notice_exception",
        "authorize_return",
        "record_shipment",
        "receive",
        "inspect",
        "issue_credit_note",
        "charge",
        "waive_charge",
        "issue_debit_note",
        "ship_outbound",
        "ship_outbound",
        "close",
    ]
    staff_events = claim.events.exclude(kind__in=["answer_info", "record_shipment"])
    assert set(staff_events.values_list("channel", "actor_label")) == {("admin", clerk.username)}
    assert verify_claim(claim) is None
    page = clerk_client.get(change_url(claim))
    assert not any(act_url(claim, key) in page.text for key in ["close", "inspect", "reject"])


def test_reject_decides_without_a_return_and_records_who_decided(clerk_client, clerk):
    claim = submitted_claim(items=2)

    do(clerk_client, claim, "reject", {"text": "W1: the records show the period ended."})

    assert claim.status == ClaimStatus.REJECTED
    assert claim.decision_reason == "W1: the records show the period ended."
    assert claim.decided_by == clerk and claim.decided_at is not None
    page = clerk_client.get(change_url(claim)).text
    assert "Decided by" in page and ">clerk<" in page.replace("\n", "").replace(" ", "")


def test_goods_arriving_without_authorization_are_refused(clerk_client):
    claim = submitted_claim(items=1)

    do(clerk_client, claim, "refuse-unauthorized", {"note": "Box left at the gate."})

    assert claim.status == ClaimStatus.REFUSED
    assert "without CPRO's return authorization" in claim.refusal_reason
    assert "Box left at the gate." in claim.refusal_reason


def test_an_authorized_return_can_be_refused_with_a_reason(clerk_client):
    claim = submitted_claim(items=1, status=ClaimStatus.SHIPPED)
    claim.items.update(return_authorized=True)
    page = clerk_client.get(change_url(claim))
    assert act_url(claim, "refuse") in page.text
    assert act_url(claim, "refuse-unauthorized") not in page.text

    do(clerk_client, claim, "refuse", {"text": "Parcel opened and repacked by the carrier."})

    assert claim.status == ClaimStatus.REFUSED
    assert claim.refusal_reason == "Parcel opened and repacked by the carrier."


def test_a_failed_receiving_checklist_refuses_the_return(clerk_client):
    claim = submitted_claim(items=2, status=ClaimStatus.SHIPPED)
    first, second = claim.items.order_by("position")
    claim.items.update(return_authorized=True)

    response = do(
        clerk_client,
        claim,
        "receive",
        {
            "original_packaging": "on",
            "rma_on_documents": "on",
            "confirm_refusal": "on",
            f"condition_{first.pk}": ReceiptCondition.AS_EXPECTED,
            f"condition_{second.pk}": ReceiptCondition.DAMAGED_IN_TRANSIT,
        },
    )

    assert claim.status == ClaimStatus.REFUSED
    assert claim.bills_of_purchase is False
    assert "without the bills of purchase" in claim.refusal_reason
    assert claim.refusal_reason in shown_messages(response)
    second.refresh_from_db()
    assert second.receipt_condition == ReceiptCondition.DAMAGED_IN_TRANSIT


def test_an_unticked_box_refuses_nothing_until_the_refusal_is_confirmed(clerk_client):
    claim = submitted_claim(items=1, status=ClaimStatus.SHIPPED)
    claim.items.update(return_authorized=True)
    item = claim.items.get()

    response = clerk_client.post(
        act_url(claim, "receive"),
        {
            "original_packaging": "on",
            "bills_of_purchase": "on",
            f"condition_{item.pk}": ReceiptCondition.AS_EXPECTED,
        },
    )

    assert response.status_code == 200
    assert "which refuses the return (R2)" in response.text
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SHIPPED
    assert claim.events.count() == 0


def test_staff_may_inspect_on_site_during_the_hold(clerk_client):
    claim = submitted_claim(items=1)
    item = claim.items.get()

    do(
        clerk_client,
        claim,
        "inspect",
        {f"findings_{item.pk}": "confirmed_defect", f"outcome_{item.pk}": "credit_note"},
    )

    assert claim.status == ClaimStatus.INSPECTED
    item.refresh_from_db()
    assert item.inspected_on_site and item.verdict_final
    assert not Charge.objects.filter(item=item).exists()


def test_the_claim_page_offers_only_the_acts_its_status_allows(clerk_client):
    claim = submitted_claim(items=1, status=ClaimStatus.INSPECTED)

    page = clerk_client.get(change_url(claim))

    offered = {"close", "message", "note"}
    hidden = {"request-info", "authorize-return", "receive", "reject", "inspect", "refuse"}
    assert all(act_url(claim, key) in page.text for key in offered)
    assert not any(act_url(claim, key) in page.text for key in hidden)
    # Nothing waits for a credit note, a charge or a shipment: those buttons stay away too.
    assert act_url(claim, "credit-note") not in page.text
    assert act_url(claim, "debit-note") not in page.text


def test_a_form_error_keeps_the_page_and_changes_nothing(clerk_client):
    claim = submitted_claim(items=1)

    response = clerk_client.post(act_url(claim, "reject"), {"text": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.text
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_service_field_errors_are_shown_beside_the_item(clerk_client):
    claim = submitted_claim(items=1, status=ClaimStatus.RECEIVED)
    item = claim.items.get()
    ClaimItem.objects.filter(pk=item.pk).update(
        return_authorized=True, receipt_condition=ReceiptCondition.AS_EXPECTED
    )

    response = clerk_client.post(act_url(claim, "inspect"), {f"outcome_{item.pk}": "not_covered"})

    assert response.status_code == 200
    message = f"{item.serial_number}: record at least one finding"
    assert any(m.startswith(message) for m in shown_messages(response))
    assert message in response.text
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RECEIVED
    assert claim.events.count() == 0


def test_staff_void_a_document_with_a_reason_and_the_paper_then_says_so(clerk_client, clerk):
    claim = submitted_claim(items=1, status=ClaimStatus.RETURN_AUTHORIZED)
    claim.items.update(return_authorized=True)
    bare = submitted_claim(items=1, rma="RMA-2025-000043")
    document = document_service.render(
        document_service.request_document(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    )
    assert act_url(claim, "void-document") in clerk_client.get(change_url(claim)).text
    assert act_url(bare, "void-document") not in clerk_client.get(change_url(bare)).text

    do(
        clerk_client,
        claim,
        "void-document",
        {"document": document.pk, "public_reason": "issued_in_error", "reason": "Wrong items."},
    )

    document.refresh_from_db()
    assert (document.valid, document.void_reason) == (False, "Wrong items.")
    assert document.void_public_reason == "issued_in_error"
    event = claim.events.get(kind="void_document")
    assert (event.actor, event.channel, event.data["reason"]) == (clerk, "admin", "Wrong items.")
    verify_page = clerk_client.get(reverse("documents:verify", args=[document.display_code]))
    assert "Genuine, but no longer valid" in verify_page.text
    assert "Issued in error" in verify_page.text and "Wrong items." not in verify_page.text
