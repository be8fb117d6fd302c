"""One claim, three outcomes: repair, credit note (D1), not covered with D2 charges; closed."""

from decimal import Decimal

import pytest
from celery import current_app
from django.core import mail

from claims import document_service, services
from claims.actors import Actor
from claims.events import verify_claim
from claims.models import Charge, ClaimStatus, CreditNote, DebitNote
from notifications.models import OutboxMessage, SentEmail
from rma_portal.exceptions import DomainError, InvalidState
from tests.factories import submitted_claim
from tests.notifications.conftest import run_outbox
from warranty.models import Unit
from warranty.selectors import unit_verdict

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


# --- What the buyer is told: every act by e-mail, once, in the organisation's language --------


def run_email_tasks() -> None:
    """Run every queued e-mail task as the worker would, then run each of them again (a
    redelivered task): SentEmail must make the second run send nothing."""
    run_outbox()
    for message in OutboxMessage.objects.filter(task_name__startswith="notifications.").order_by(
        "pk"
    ):
        current_app.tasks[message.task_name].apply(args=message.args, throw=True)


DESK = "rma-desk@buyer.example"

WALK = {
    "en": {
        "currency": "USD",
        "price": Decimal("120.00"),
        "charge": {"verification": "60.00", "transport": "25.00", "shipment": "15.00"},
        "subjects": [
            "CPRO needs more information",
            "Your answer has reached CPRO",
            "Return authorized",
            "Your return has arrived",
            "Inspection result",
            "Debit note DN-",
            "Repaired unit shipped",
            "Credit note CN-",
            "Claim closed",
        ],
        "amounts": {"credit": "120.00 USD", "debit": "100.00 USD", "line": "60.00 USD"},
        "words": {"tracking": "Tracking number: 1Z0001", "closed": "Credit note"},
    },
    "ko": {
        "currency": "KRW",
        "price": Decimal("165000"),
        "charge": {"verification": "65000", "transport": "40000", "shipment": "40000"},
        "subjects": [
            "추가 정보 요청",
            "답변 접수",
            "반품",
            "반품 물품 도착",
            "검사 결과",
            "데빗 노트 DN-",
            "수리품 발송",
            "크레딧 노트 CN-",
            "종결",
        ],
        "amounts": {"credit": "165,000원", "debit": "145,000원", "line": "65,000원"},
        "words": {"tracking": "운송장 번호: 1Z0001", "closed": "크레딧 노트"},
    },
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_act_of_the_walk_through_is_e_mailed_to_the_buyer_and_the_desk_once_in_their_language(
    staff, lang, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    walk = WALK[lang]
    claim = submitted_claim(
        items=3,
        rma_number="RMA-2025-000077",
        organisation__language=lang,
        organisation__notification_email=DESK,
    )
    Unit.objects.filter(claim_items__claim=claim).update(
        currency=walk["currency"], unit_price=walk["price"]
    )
    repair, credit, rejected = claim.items.order_by("position")
    services.request_info(actor=staff, claim=claim, question="Which firmware, please?")
    services.post_buyer_message(
        actor=Actor.buyer(claim.author), claim=claim, body="Firmware v2.3.1."
    )
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
                "reason": "W5",
                "charge": walk["charge"],
            },
        },
    )
    debit_note = services.issue_debit_note(actor=staff, claim=claim)
    services.ship_outbound(actor=staff, item=repair, carrier="UPS", tracking_number="1Z0001")
    credit_note = services.issue_credit_note(actor=staff, item=credit)
    services.close(actor=staff, claim=claim)
    mail.outbox.clear()

    run_email_tasks()

    buyer = [m for m in mail.outbox if m.to == [claim.author.email]]
    desk = [m for m in mail.outbox if m.to == [DESK]]
    assert len(buyer) == len(desk) == len(walk["subjects"])  # each once, none twice
    assert len(mail.outbox) == 2 * len(walk["subjects"])  # nobody else
    # The organisation's notification address gets its copy of each, in the same language.
    assert [m.subject for m in desk] == [m.subject for m in buyer]
    assert [m.body for m in desk] == [m.body for m in buyer]
    for message, expected in zip(buyer, walk["subjects"], strict=True):
        assert message.subject.startswith("[RMA-2025-000077] "), message.subject
        assert expected in message.subject, (expected, message.subject)
        assert "RMA-2025-000077" in message.body
    by_kind = dict(
        zip(
            SentEmail.objects.filter(claim=claim, recipients=[claim.author.email])
            .order_by("pk")
            .values_list("kind", flat=True),
            buyer,
            strict=True,
        )
    )
    copies = SentEmail.objects.filter(claim=claim, recipients=[DESK])
    assert sorted(copies.values_list("kind", flat=True)) == sorted(by_kind)
    assert set(SentEmail.objects.filter(claim=claim).values_list("language", flat=True)) == {lang}
    amounts = walk["amounts"]

    assert "Which firmware, please?" in by_kind["info_requested"].body
    assert "Firmware v2.3.1." in by_kind["info_answered"].body
    for item in (repair, credit, rejected):
        assert item.serial_number in by_kind["return_authorized"].body
        assert item.serial_number in by_kind["inspected"].body
        assert item.serial_number in by_kind["closed"].body

    debit = by_kind["debit_note_issued"]
    assert debit_note.number in debit.subject
    assert amounts["debit"] in debit.body and amounts["line"] in debit.body
    assert rejected.serial_number in debit.body
    assert f"/documents/{debit_note.documents.get().pk}/download/" in debit.body

    shipped = by_kind["outbound_shipped"]
    assert walk["words"]["tracking"] in shipped.body and "UPS" in shipped.body
    assert repair.serial_number in shipped.body

    credited = by_kind["credit_note_issued"]
    assert credit_note.number in credited.subject
    assert amounts["credit"] in credited.body and credit.serial_number in credited.body
    assert f"/documents/{credit_note.documents.get().pk}/download/" in credited.body

    closed = by_kind["closed"]
    for number in (credit_note.number, debit_note.number, "1Z0001", "UPS"):
        assert number in closed.body
    assert walk["words"]["closed"] in closed.body
    assert amounts["debit"] in by_kind["inspected"].body

    run_email_tasks()  # a third delivery: still nothing new
    assert len(mail.outbox) == 2 * len(walk["subjects"])


def test_a_waived_charge_and_a_replacement_shipped_are_e_mailed(staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    claim = submitted_claim(items=2, rma_number="RMA-2025-000078")
    replace, rejected = claim.items.order_by("position")
    services.authorize_return(actor=staff, claim=claim)
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
            replace.pk: {"findings": ["confirmed_defect"], "outcome": "replace"},
            rejected.pk: {"findings": ["tampered"], "outcome": "not_covered", "reason": "W5"},
        },
    )
    services.ship_outbound(
        actor=staff,
        item=replace,
        carrier="FedEx",
        tracking_number="FX77",
        replacement_serial="SN-NEW-0001",
    )
    services.waive_charge(actor=staff, item=rejected, reason="Goodwill.")
    mail.outbox.clear()

    run_email_tasks()

    sent = dict(
        zip(
            SentEmail.objects.filter(claim=claim).order_by("pk").values_list("kind", flat=True),
            mail.outbox,
            strict=True,
        )
    )
    shipped = sent["outbound_shipped"]
    assert shipped.subject == "[RMA-2025-000078] Replacement unit shipped"
    end = unit_verdict(Unit.objects.get(serial_number="SN-NEW-0001")).end_date
    assert "SN-NEW-0001" in shipped.body and end.isoformat() in shipped.body
    assert "FX77" in shipped.body and replace.serial_number in shipped.body
    waived = sent["charge_waived"]
    assert waived.subject == "[RMA-2025-000078] Charge waived"
    assert "110.00 USD" in waived.body and rejected.serial_number in waived.body


def test_a_voided_document_and_its_replacement_are_e_mailed(staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    claim = submitted_claim(items=1, rma_number="RMA-2025-000079")
    services.authorize_return(actor=staff, claim=claim)
    old = claim.documents.get()
    mail.outbox.clear()
    run_outbox()
    mail.outbox.clear()

    new = document_service.reissue_document(actor=staff, document=old, reason="Typo.")
    run_email_tasks()

    (voided,) = mail.outbox
    assert voided.subject == (
        "[RMA-2025-000079] Return Authorization RMA-2025-000079 is no longer valid"
    )
    assert f"verification code {old.display_code}) is no longer valid" in voided.body
    assert f"replaced by RMA-2025-000079 (verification code {new.display_code})" in voided.body
    assert f"/documents/{new.pk}/download/" in voided.body


def test_who_decided_when_and_why_is_recorded_at_inspection_and_close(claim, staff):
    repair, credit, rejected = inspected(claim, staff)

    claim.refresh_from_db()
    assert claim.decided_by == staff.user and claim.decided_at is not None
    assert claim.decision_reason == (
        f"{repair.serial_number}: Repair (D1); {credit.serial_number}: Credit note (D1); "
        f"{rejected.serial_number}: Not covered (W5: housing opened, seal broken.)"
    )
    services.ship_outbound(actor=staff, item=repair, carrier="UPS", tracking_number="1")
    services.issue_credit_note(actor=staff, item=credit)
    services.waive_charge(actor=staff, item=rejected, reason="Goodwill.")
    services.close(actor=staff, claim=claim)

    claim.refresh_from_db()
    assert claim.closed_by == staff.user and claim.closed_at is not None


def test_who_rejected_when_and_why_is_recorded(claim, staff):
    services.reject(actor=staff, claim=claim, reason="W1: the period ended.")

    claim.refresh_from_db()
    assert (claim.decided_by, claim.decision_reason) == (staff.user, "W1: the period ended.")
    assert claim.decided_at is not None
