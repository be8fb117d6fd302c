"""D1 outbound: the repaired unit or a replacement ships back; a replacement's warranty."""

import datetime
import itertools
from decimal import Decimal

import pytest

from claims import services
from claims.actors import Actor
from claims.models import ClaimStatus
from rma_portal.exceptions import DomainError, InvalidState, RuleInputError
from tests.factories import (
    ClaimFactory,
    ClaimItemFactory,
    ComponentFactory,
    ProductModelFactory,
    UnitFactory,
    UserFactory,
)
from warranty import rules
from warranty.models import ComponentKind, Unit, WarrantyPolicy
from warranty.selectors import component_facts, seoul_today, unit_verdict

pytestmark = pytest.mark.django_db

NOTICE = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=rules.SEOUL)
REPLACED_END = datetime.date(2027, 6, 10)  # factory delivery 2025-06-10 + 24 months (W1)
_rma = itertools.count(1)


@pytest.fixture
def staff():
    return Actor.staff(UserFactory(username="clerk", is_staff=True, organisation=None))


def decided_item(outcome, **unit_fields):
    claim = ClaimFactory(
        status=ClaimStatus.INSPECTED, rma_number=f"RMA-2025-{next(_rma):06d}", notice_at=NOTICE
    )
    unit = UnitFactory(shipment__buyer=claim.organisation, **unit_fields)
    return ClaimItemFactory(
        claim=claim, unit=unit, outcome=outcome, return_authorized=True, verdict_final=True
    )


def event_count(item):
    item.claim.refresh_from_db()
    return item.claim.event_count


# --- Shipping back ---------------------------------------------------------------------------


def test_d1_a_repaired_unit_ships_back_with_carrier_and_tracking(staff):
    item = decided_item("repair")

    services.ship_outbound(actor=staff, item=item, carrier=" UPS ", tracking_number=" 1Z99 ")

    assert (item.outbound_carrier, item.outbound_tracking) == ("UPS", "1Z99")
    assert item.outbound_shipped_at is not None
    assert item.replacement_unit is None
    event = item.claim.events.get(kind="ship_outbound")
    assert event.data == {
        "serial": item.serial_number,
        "outcome": "repair",
        "carrier": "UPS",
        "tracking_number": "1Z99",
    }


def test_d1_a_repaired_unit_keeps_its_serial(staff):
    item = decided_item("repair")

    with pytest.raises(DomainError, match="its own serial number"):
        services.ship_outbound(
            actor=staff, item=item, carrier="UPS", tracking_number="1", replacement_serial="NEW-1"
        )

    assert not Unit.objects.filter(serial_number="NEW-1").exists()


def test_d1_a_replacement_registers_a_new_unit_linked_to_the_item(staff):
    item = decided_item("replace", unit_price=Decimal("899.00"), currency="EUR")
    old = item.unit

    services.ship_outbound(
        actor=staff, item=item, carrier="DHL", tracking_number="JD1", replacement_serial=" NEW-1 "
    )

    new = Unit.objects.get(serial_number="NEW-1")
    assert item.replacement_unit == new
    assert new.replaces_item == item
    assert (new.product_model, new.shipment, new.unit_price, new.currency) == (
        old.product_model,
        old.shipment,
        Decimal("899.00"),
        "EUR",
    )
    event = item.claim.events.get(kind="ship_outbound")
    assert event.data["replacement_serial"] == "NEW-1"


def test_d1_a_replacement_needs_its_serial(staff):
    item = decided_item("replace")
    events = event_count(item)

    with pytest.raises(DomainError) as exc:
        services.ship_outbound(actor=staff, item=item, carrier="DHL", tracking_number="1")

    assert exc.value.field == "replacement_serial"
    item.refresh_from_db()
    assert (item.outbound_shipped_at, event_count(item)) == (None, events)


@pytest.mark.parametrize("taken", ["TAKEN-1", "taken-1"])
def test_d1_a_replacement_serial_already_registered_is_refused_and_changes_nothing(staff, taken):
    UnitFactory(serial_number="TAKEN-1")
    item = decided_item("replace")
    units = Unit.objects.count()
    events = event_count(item)

    with pytest.raises(DomainError, match="already registered"):
        services.ship_outbound(
            actor=staff, item=item, carrier="DHL", tracking_number="1", replacement_serial=taken
        )

    item.refresh_from_db()
    assert (item.replacement_unit, item.outbound_shipped_at) == (None, None)
    assert Unit.objects.count() == units
    assert event_count(item) == events


def test_d1_an_item_ships_back_once(staff):
    item = decided_item("repair")
    services.ship_outbound(actor=staff, item=item, carrier="UPS", tracking_number="1")

    with pytest.raises(InvalidState, match="already shipped back"):
        services.ship_outbound(actor=staff, item=item, carrier="UPS", tracking_number="2")

    item.refresh_from_db()
    assert item.outbound_tracking == "1"


@pytest.mark.parametrize("outcome", ["credit_note", "not_covered"])
def test_d1_only_repairs_and_replacements_ship_back(staff, outcome):
    item = decided_item(outcome)

    with pytest.raises(InvalidState, match="not decided for repair or replacement"):
        services.ship_outbound(actor=staff, item=item, carrier="UPS", tracking_number="1")


def test_a_buyer_cannot_ship_outbound():
    item = decided_item("repair")

    with pytest.raises(DomainError):
        services.ship_outbound(
            actor=Actor.buyer(item.claim.author), item=item, carrier="UPS", tracking_number="1"
        )


# --- The replacement's warranty (D1) ---------------------------------------------------------


def ship_replacement(staff, serial="NEW-1", **unit_fields):
    item = decided_item("replace", **unit_fields)
    services.ship_outbound(
        actor=staff, item=item, carrier="DHL", tracking_number="1", replacement_serial=serial
    )
    return item, item.replacement_unit


def test_d1_a_replacement_is_covered_to_the_replaced_units_end_and_says_so(staff):
    item, new = ship_replacement(staff)

    verdict = unit_verdict(new)

    assert verdict.covered
    assert (verdict.start_date, verdict.start_basis) == (seoul_today(), "shipment")
    assert verdict.end_date == REPLACED_END
    assert verdict.period_clause == "D1"
    assert "D1" in verdict.clauses
    texts = [r["text"] for r in verdict.as_dict("en")["reasons"]]
    assert (
        f"Replacement for unit {item.serial_number}: covered until the replaced unit's "
        f"warranty end, {REPLACED_END.isoformat()}."
    ) in texts
    ko = " ".join(r["text"] for r in verdict.as_dict("ko")["reasons"])
    assert "교체품" in ko and REPLACED_END.isoformat() in ko


def test_d1_a_policy_minimum_extends_a_replacement_past_the_replaced_units_end(staff):
    WarrantyPolicy.objects.filter(version="CPRO-LW-1").update(replacement_min_months=12)
    item, new = ship_replacement(staff)
    minimum_end = rules.add_months(seoul_today(), 12)
    assert minimum_end > REPLACED_END  # today is after 2026-06-10

    verdict = unit_verdict(new)

    assert verdict.end_date == minimum_end
    reason = next(r for r in verdict.reasons if r.code == "replacement_minimum")
    assert reason.clause == "D1"
    assert "at least 12 months" in reason.text_en
    assert REPLACED_END.isoformat() in reason.text_en
    assert "최소 12개월" in reason.text_ko


def test_d1_a_policy_minimum_shorter_than_the_replaced_warranty_changes_nothing(staff):
    WarrantyPolicy.objects.filter(version="CPRO-LW-1").update(replacement_min_months=1)
    _item, new = ship_replacement(staff)

    assert unit_verdict(new).end_date == REPLACED_END


def test_d1_a_claim_on_the_replacement_is_judged_from_its_shipment(staff):
    _item, new = ship_replacement(staff)
    today = seoul_today()

    verdict = unit_verdict(
        new, defect_kind="hidden", defect_date=today, notice_date=today, final=True
    )
    assert verdict.covered and not verdict.preliminary

    with pytest.raises(RuleInputError, match="before the shipment date"):
        unit_verdict(new, defect_kind="hidden", defect_date=today - datetime.timedelta(days=1))


def test_d1_a_replacement_of_a_replacement_counts_back_to_the_first_unit(staff):
    first_item, second = ship_replacement(staff, serial="NEW-1")
    claim = ClaimFactory(
        organisation=first_item.claim.organisation,
        status=ClaimStatus.INSPECTED,
        rma_number=f"RMA-2025-{next(_rma):06d}",
        notice_at=NOTICE,
    )
    again = ClaimItemFactory(claim=claim, unit=second, outcome="replace")
    services.ship_outbound(
        actor=staff, item=again, carrier="DHL", tracking_number="2", replacement_serial="NEW-2"
    )

    verdict = unit_verdict(again.replacement_unit)

    assert verdict.end_date == REPLACED_END
    assert any("Replacement for unit NEW-1" in r.text_en for r in verdict.reasons)


def test_d1_w3_a_replaced_camera_module_component_keeps_its_shorter_end(staff):
    model = ProductModelFactory(code="PTZ-R")
    ComponentFactory(product_model=model, name="camera", kind=ComponentKind.CAMERA_MODULE)
    _item, new = ship_replacement(staff, product_model=model)

    camera = unit_verdict(new, component=component_facts(new, "camera"))

    assert camera.end_date == datetime.date(2026, 6, 10)  # W3: 12 months from 2025-06-10
    assert not camera.covered  # today is past that end
    assert unit_verdict(new).end_date == REPLACED_END


# --- The rule itself (pure) ------------------------------------------------------------------

TERMS = rules.PolicyTerms(version="t")
FACTS = {
    "product": rules.ProductFacts(model_code="M", is_camera_module=True),
    "component": None,
    "shipment_date": datetime.date(2024, 1, 5),
    "delivery_date": datetime.date(2024, 1, 10),
    "today": datetime.date(2024, 9, 1),
}


def test_rule_replacement_runs_to_the_replaced_end_not_its_own_product_period():
    replacement = rules.ReplacementFacts(
        "OLD-1", datetime.date(2025, 1, 10), datetime.date(2024, 8, 1)
    )

    verdict = rules.judge(terms=TERMS, replacement=replacement, **FACTS)

    assert (verdict.start_date, verdict.end_date) == (
        datetime.date(2024, 8, 1),
        datetime.date(2025, 1, 10),
    )
    assert (verdict.period_months, verdict.period_clause, verdict.clauses) == (5, "D1", ("D1",))


def test_rule_replacement_minimum_from_the_policy():
    terms = rules.PolicyTerms(version="t", replacement_min_months=6)
    replacement = rules.ReplacementFacts(
        "OLD-1", datetime.date(2024, 9, 30), datetime.date(2024, 8, 31)
    )

    verdict = rules.judge(terms=terms, replacement=replacement, **FACTS)

    assert verdict.end_date == datetime.date(2025, 2, 28)  # 31 Aug + 6 months, month's last day
    assert verdict.period_months == 6


def test_rule_a_negative_replacement_minimum_is_refused():
    with pytest.raises(RuleInputError):
        rules.PolicyTerms(version="t", replacement_min_months=-1)
