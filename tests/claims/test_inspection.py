"""Inspection: findings, final verdicts and outcomes (N5, W2, W5, D1), D2 charges, on site."""

import datetime
from decimal import Decimal

import pytest

from claims import services
from claims.actors import Actor
from claims.models import Charge, ClaimStatus, FeeSchedule
from rma_portal.exceptions import DomainError, Forbidden, InvalidState, ValidationFailed
from tests.factories import ClaimItemFactory, UnitFactory, submitted_claim

pytestmark = pytest.mark.django_db

REPAIR = {"findings": ["confirmed_defect"], "outcome": "repair"}
TAMPERED = {"findings": ["tampered"], "outcome": "not_covered", "reason": "W5: seal broken."}


def received_claim(staff, items=1, authorize=None, conditions=None):
    """A claim whose return was authorized (all, or ``authorize`` positions) and received."""
    claim = submitted_claim(items)
    rows = list(claim.items.order_by("position"))
    chosen = rows if authorize is None else [rows[i] for i in authorize]
    services.authorize_return(actor=staff, claim=claim, items=chosen)
    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
        conditions={rows[i].pk: c for i, c in (conditions or {}).items()},
    )
    return claim, rows


def state(claim):
    claim.refresh_from_db()
    return (
        claim.status,
        claim.event_count,
        [
            (i.outcome, i.findings, i.verdict_final, i.verdict_status)
            for i in claim.items.order_by("position")
        ],
        Charge.objects.filter(item__claim=claim).count(),
    )


def test_n5_inspection_records_findings_and_outcome_and_makes_the_verdict_final(staff):
    claim, (item,) = received_claim(staff)

    services.inspect(actor=staff, claim=claim, results={item.pk: {**REPAIR, "notes": " ok "}})

    item.refresh_from_db()
    assert claim.status == ClaimStatus.INSPECTED
    assert (item.outcome, item.findings, item.inspection_notes) == (
        "repair",
        ["confirmed_defect"],
        "ok",
    )
    assert (item.verdict_status, item.verdict_final) == ("covered", True)
    assert item.verdict["en"]["preliminary"] is False
    assert item.verdict["ko"]["preliminary"] is False
    assert item.verdict["en"]["status"] == "covered"
    event = claim.events.get(kind="inspect")
    assert event.data["items"] == [
        {
            "serial": item.serial_number,
            "findings": ["confirmed_defect"],
            "outcome": "repair",
            "verdict": "covered",
            "clauses": ["W1", "N1"],
        }
    ]
    assert event.data["on_site"] is False


def test_w5_a_tampered_finding_blocks_a_repair_and_names_the_clause(staff):
    claim, (item,) = received_claim(staff)
    before = state(claim)

    with pytest.raises(ValidationFailed) as exc:
        services.inspect(
            actor=staff,
            claim=claim,
            results={item.pk: {"findings": ["confirmed_defect", "tampered"], "outcome": "repair"}},
        )

    message = exc.value.message
    assert item.serial_number in message
    assert "W5" in message and "tampered" in message
    assert state(claim) == before


@pytest.mark.parametrize("outcome", ["replace", "credit_note"])
def test_w2_a_third_party_part_found_blocks_every_d1_remedy(staff, outcome):
    claim, (item,) = received_claim(staff)

    with pytest.raises(ValidationFailed, match="W2"):
        services.inspect(
            actor=staff,
            claim=claim,
            results={
                item.pk: {
                    "findings": ["confirmed_defect", "third_party_component"],
                    "outcome": outcome,
                }
            },
        )


def test_w1_a_defect_after_the_period_cannot_get_a_remedy(staff):
    claim = submitted_claim(items=0)
    unit = UnitFactory(
        shipment__buyer=claim.organisation,
        shipment__shipment_date=datetime.date(2023, 6, 1),
        shipment__delivery_date=datetime.date(2023, 6, 5),
    )
    item = ClaimItemFactory(claim=claim, unit=unit)
    services.authorize_return(actor=staff, claim=claim)
    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )

    with pytest.raises(ValidationFailed, match="W1: The hidden defect was discovered"):
        services.inspect(actor=staff, claim=claim, results={item.pk: REPAIR})


def test_d2_a_returned_item_found_not_covered_gets_the_fee_schedule_in_force(staff):
    # The seeded USD schedule is 50/30/30 from 2000; a later row supersedes it from its date.
    FeeSchedule.objects.create(
        currency="USD",
        effective_from=datetime.date(2020, 1, 1),
        verification=Decimal("55.00"),
        transport=Decimal("30.00"),
        shipment=Decimal("30.00"),
    )
    claim, (item,) = received_claim(staff)

    services.inspect(actor=staff, claim=claim, results={item.pk: TAMPERED})

    item.refresh_from_db()
    assert (item.outcome, item.outcome_reason, item.verdict_status) == (
        "not_covered",
        "W5: seal broken.",
        "not_covered",
    )
    assert "W5" in item.verdict["en"]["clauses"]
    charge = item.charge
    assert (charge.verification, charge.transport, charge.shipment) == (
        Decimal("55.00"),
        Decimal("30.00"),
        Decimal("30.00"),
    )
    assert charge.currency == item.unit.currency
    assert (charge.waived, charge.debit_note) == (False, None)
    entry = claim.events.get(kind="inspect").data["items"][0]
    assert entry["charge"] == {
        "verification": "55.00",
        "transport": "30.00",
        "shipment": "30.00",
        "total": "115.00",
        "currency": "USD",
    }


def test_d2_charge_lines_given_by_staff_are_used_in_the_units_currency(staff):
    claim = submitted_claim(items=0)
    item = ClaimItemFactory(
        claim=claim, unit=UnitFactory(shipment__buyer=claim.organisation, currency="KRW")
    )
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
            item.pk: {
                "findings": ["no_fault_found"],
                "outcome": "not_covered",
                "reason": "No fault found.",
                "charge": {"verification": "70000", "transport": 15000, "shipment": "0"},
            }
        },
    )

    charge = Charge.objects.get(item=item)
    assert (charge.total, charge.currency) == (Decimal("85000.00"), "KRW")


def test_d2_no_fault_found_is_a_covered_unit_but_an_unjustified_return(staff):
    claim, (item,) = received_claim(staff)

    services.inspect(
        actor=staff,
        claim=claim,
        results={
            item.pk: {"findings": ["no_fault_found"], "outcome": "not_covered", "reason": "NFF"}
        },
    )

    item.refresh_from_db()
    assert (item.verdict_status, item.outcome) == ("covered", "not_covered")
    assert Charge.objects.filter(item=item).exists()


@pytest.mark.parametrize(
    ("charge", "words"),
    [
        ({"verification": "-1"}, "cannot be negative"),
        ({"verification": "abc"}, "must be an amount"),
        ({"verification": "1.234"}, "two decimal places"),
        ({"verification": 0, "transport": 0, "shipment": 0}, "waive it with a reason"),
        ({"handling": "5"}, "unknown charge line"),
    ],
)
def test_d2_bad_charge_lines_are_refused_and_change_nothing(staff, charge, words):
    claim, (item,) = received_claim(staff)
    before = state(claim)

    with pytest.raises(ValidationFailed, match=words):
        services.inspect(
            actor=staff, claim=claim, results={item.pk: {**TAMPERED, "charge": charge}}
        )

    assert state(claim) == before


def test_a_charge_on_a_covered_outcome_is_refused(staff):
    claim, (item,) = received_claim(staff)

    with pytest.raises(ValidationFailed, match="only to returned items found not covered"):
        services.inspect(
            actor=staff, claim=claim, results={item.pk: {**REPAIR, "charge": {"verification": 5}}}
        )


def test_not_covered_needs_a_reason(staff):
    claim, (item,) = received_claim(staff)
    before = state(claim)

    with pytest.raises(ValidationFailed, match="not covered needs a reason") as exc:
        services.inspect(
            actor=staff,
            claim=claim,
            results={item.pk: {"findings": ["tampered"], "outcome": "not_covered", "reason": " "}},
        )

    assert f"results.{item.pk}.reason" in exc.value.errors
    assert state(claim) == before


def test_d1_a_remedy_needs_a_confirmed_defect(staff):
    claim, (item,) = received_claim(staff)

    with pytest.raises(ValidationFailed, match="Defect confirmed"):
        services.inspect(
            actor=staff,
            claim=claim,
            results={item.pk: {"findings": ["no_fault_found"], "outcome": "credit_note"}},
        )


@pytest.mark.parametrize(
    ("result", "words"),
    [
        ({"findings": [], "outcome": "repair"}, "at least one finding"),
        ({"findings": ["melted"], "outcome": "repair"}, "unknown finding"),
        ({"findings": "tampered", "outcome": "repair"}, "must be a list"),
        ({"findings": ["confirmed_defect"], "outcome": "refund"}, "choose an outcome"),
        ({"findings": ["confirmed_defect", "no_fault_found"], "outcome": "repair"}, "both"),
    ],
)
def test_bad_results_are_refused_with_a_clear_message(staff, result, words):
    claim, (item,) = received_claim(staff)

    with pytest.raises(ValidationFailed, match=words):
        services.inspect(actor=staff, claim=claim, results={item.pk: result})


def test_every_examined_item_needs_a_result_and_all_problems_are_reported_at_once(staff):
    claim, rows = received_claim(staff, items=3)
    before = state(claim)

    with pytest.raises(ValidationFailed) as exc:
        services.inspect(
            actor=staff,
            claim=claim,
            results={
                rows[0].pk: REPAIR,
                rows[1].pk: {"findings": ["tampered"], "outcome": "repair"},
            },
        )

    assert set(exc.value.errors) == {f"results.{rows[1].pk}.outcome", f"results.{rows[2].pk}"}
    assert state(claim) == before


def test_results_for_an_item_of_another_claim_are_refused(staff):
    claim, (item,) = received_claim(staff)
    stranger = submitted_claim(items=1).items.get()

    with pytest.raises(DomainError, match="not in this claim"):
        services.inspect(actor=staff, claim=claim, results={item.pk: REPAIR, stranger.pk: REPAIR})


def test_a_missing_item_is_decided_not_covered_without_findings_and_without_a_charge(staff):
    claim, (present, missing) = received_claim(staff, items=2, conditions={1: "missing"})

    with pytest.raises(ValidationFailed, match="was not examined"):
        services.inspect(
            actor=staff,
            claim=claim,
            results={present.pk: REPAIR, missing.pk: {"findings": [], "outcome": "repair"}},
        )

    services.inspect(
        actor=staff,
        claim=claim,
        results={
            present.pk: REPAIR,
            missing.pk: {"outcome": "not_covered", "reason": "Never arrived (short shipment)."},
        },
    )

    missing.refresh_from_db()
    assert (missing.outcome, missing.findings, missing.verdict_final) == ("not_covered", [], True)
    assert not Charge.objects.filter(item=missing).exists()


def test_d2_a_wrong_item_returned_is_not_covered_and_charged(staff):
    claim, (item,) = received_claim(staff, conditions={0: "wrong_item"})

    services.inspect(
        actor=staff,
        claim=claim,
        results={item.pk: {"outcome": "not_covered", "reason": "Another unit arrived."}},
    )

    assert Charge.objects.filter(item=item).exists()


def test_an_item_not_authorized_for_return_needs_a_decision_not_covered_and_no_charge(staff):
    claim, (returned, kept) = received_claim(staff, items=2, authorize=[0])

    with pytest.raises(ValidationFailed) as exc:
        services.inspect(actor=staff, claim=claim, results={returned.pk: REPAIR})
    assert set(exc.value.errors) == {f"results.{kept.pk}"}

    with pytest.raises(ValidationFailed, match="was not examined"):
        services.inspect(actor=staff, claim=claim, results={returned.pk: REPAIR, kept.pk: REPAIR})

    services.inspect(
        actor=staff,
        claim=claim,
        results={
            returned.pk: REPAIR,
            kept.pk: {"outcome": "not_covered", "reason": "Records show a third-party PSU (W2)."},
        },
    )

    kept.refresh_from_db()
    assert (kept.outcome, kept.inspected_on_site) == ("not_covered", False)
    assert not Charge.objects.filter(item=kept).exists()


# --- On site, during the hold, without a return (N4) -----------------------------------------


def test_on_site_inspection_during_the_hold_decides_every_item_without_a_return(staff):
    claim = submitted_claim(items=2)
    first, second = claim.items.order_by("position")

    services.inspect(
        actor=staff,
        claim=claim,
        on_site=True,
        results={
            first.pk: {"findings": ["confirmed_defect"], "outcome": "credit_note"},
            second.pk: {**TAMPERED},
        },
    )

    assert claim.status == ClaimStatus.INSPECTED
    rows = list(claim.items.order_by("position"))
    assert [(i.outcome, i.inspected_on_site, i.return_authorized) for i in rows] == [
        ("credit_note", True, False),
        ("not_covered", True, False),
    ]
    # D2 charges are for returned goods only.
    assert not Charge.objects.filter(item__claim=claim).exists()
    event = claim.events.get(kind="inspect")
    assert (event.from_status, event.to_status, event.data["on_site"]) == (
        "submitted",
        "inspected",
        True,
    )


def test_on_site_every_item_needs_findings(staff):
    claim = submitted_claim(items=2)
    first, second = claim.items.order_by("position")

    with pytest.raises(ValidationFailed) as exc:
        services.inspect(
            actor=staff,
            claim=claim,
            on_site=True,
            results={first.pk: REPAIR, second.pk: {"outcome": "not_covered", "reason": "x"}},
        )

    assert set(exc.value.errors) == {f"results.{second.pk}.findings"}


def test_without_a_return_the_inspection_must_be_on_site(staff):
    claim = submitted_claim(items=1)
    before = state(claim)

    with pytest.raises(InvalidState, match="on site"):
        services.inspect(actor=staff, claim=claim, results={claim.items.get().pk: REPAIR})

    assert state(claim) == before


def test_returned_goods_are_not_inspected_on_site(staff):
    claim, (item,) = received_claim(staff)

    with pytest.raises(InvalidState, match="not on site"):
        services.inspect(actor=staff, claim=claim, on_site=True, results={item.pk: REPAIR})


def test_a_buyer_cannot_inspect(staff):
    claim, (item,) = received_claim(staff)
    before = state(claim)

    with pytest.raises(Forbidden):
        services.inspect(actor=Actor.buyer(claim.author), claim=claim, results={item.pk: REPAIR})

    assert state(claim) == before


def test_a_shipped_return_cannot_be_inspected_before_it_is_received(staff):
    claim = submitted_claim(items=1)
    services.authorize_return(actor=staff, claim=claim)
    services.record_shipment(
        actor=Actor.buyer(claim.author), claim=claim, carrier="DHL", tracking_number="1"
    )

    with pytest.raises(InvalidState):
        services.inspect(actor=staff, claim=claim, results={claim.items.get().pk: REPAIR})
