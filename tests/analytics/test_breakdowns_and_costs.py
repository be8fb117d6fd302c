"""Breakdowns by cause and component, no fault found (D2), and the warranty cost per currency,
on a handful of claims whose every figure is known."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import selectors
from claims.models import Charge, CreditNote, DebitNote
from tests.factories import ClaimFactory, ClaimItemFactory, ComponentFactory, ProductModelFactory
from warranty.models import ComponentKind
from warranty.rules import SEOUL

pytestmark = pytest.mark.django_db

NOTICE = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=SEOUL)


@pytest.fixture
def model():
    return ProductModelFactory(code="BD-1")


def item(model, n, currency="USD", price="120.00", **fields):
    claim = ClaimFactory(status="closed", rma_number=f"RMA-2025-{n:06d}", notice_at=NOTICE)
    return ClaimItemFactory(
        claim=claim,
        unit__product_model=model,
        unit__currency=currency,
        unit__unit_price=Decimal(price),
        model_code=model.code,
        **fields,
    )


@pytest.fixture
def claims(model):
    camera = ComponentFactory(product_model=model, name="lens", kind=ComponentKind.CAMERA_MODULE)
    sd = ComponentFactory(product_model=model, name="microSD", kind=ComponentKind.THIRD_PARTY)
    return {
        "repaired": item(
            model, 1, component=camera, findings=["confirmed_defect"], outcome="repair"
        ),
        "w2": item(
            model, 2, component=sd, verdict_status="not_covered", findings=["third_party_component"]
        ),
        "late": item(model, 3, verdict_status="not_covered", notice_late=True),
        "late_excused": item(model, 4, notice_late=True, notice_exception="Customs held it."),
        "w5": item(model, 5, verdict_status="not_covered", findings=["tampered"]),
        "period": item(
            model,
            6,
            verdict_status="not_covered",
            defect_date=datetime.date(2025, 12, 1),
            verdict={"en": {"end_date": "2025-06-01"}, "ko": {"end_date": "2025-06-01"}},
        ),
        "nff": item(
            model,
            7,
            verdict_status="not_covered",
            findings=["no_fault_found"],
            outcome="not_covered",
        ),
        "replaced": item(
            model,
            8,
            currency="KRW",
            price="150000.00",
            findings=["confirmed_defect"],
            outcome="replace",
        ),
    }


def test_not_covered_items_are_counted_by_each_cause(claims):
    (row,) = selectors.breakdowns().not_covered

    assert row == {
        "model": "BD-1",
        "items": 8,
        "not_covered": 5,
        "period": 1,
        "n1": 1,  # the late notice with an exception recorded is not counted (N1)
        "w2": 1,
        "w5": 1,
    }


def test_failed_components_by_kind(claims):
    assert selectors.breakdowns().components == {
        "BD-1": {"camera_module": 1, "third_party": 1, "unknown": 6}
    }


def test_no_fault_found_share_of_inspected_items_per_model_and_organisation(claims):
    found = selectors.breakdowns()
    (by_model,) = found.nff_by_model

    assert (by_model["key"], by_model["inspected"], by_model["nff"]) == ("BD-1", 5, 1)
    assert by_model["share"].low < 0.2 < by_model["share"].high
    assert sum(r["inspected"] for r in found.nff_by_organisation) == 5
    assert sum(r["nff"] for r in found.nff_by_organisation) == 1


def test_filters_narrow_the_breakdowns_to_the_notice_dates(claims):
    later = selectors.Filters(date_from=datetime.date(2026, 1, 1))

    assert selectors.breakdowns(later).not_covered == []


def test_warranty_cost_per_model_month_and_currency_without_conversion(claims):
    repaired, nff, replaced = claims["repaired"], claims["nff"], claims["replaced"]
    CreditNote.objects.create(
        number="CN-2026-00001",
        claim=repaired.claim,
        item=repaired,
        amount=Decimal("120.00"),
        currency="USD",
    )
    note = DebitNote.objects.create(
        number="DN-2026-00001", claim=nff.claim, total=Decimal("80.00"), currency="USD"
    )
    Charge.objects.create(
        item=nff,
        verification=Decimal("50.00"),
        transport=Decimal("20.00"),
        shipment=Decimal("10.00"),
        currency="USD",
        debit_note=note,
    )
    Charge.objects.create(
        item=claims["w5"], verification=Decimal("50.00"), currency="USD", waived=True
    )
    replaced.claim.decided_at = timezone.now()
    replaced.claim.save(update_fields=["decided_at"])
    month = timezone.now().astimezone(SEOUL).date().replace(day=1)

    rows = selectors.warranty_costs()

    assert [(r.model, r.month, r.currency) for r in rows] == [
        ("BD-1", month, "KRW"),
        ("BD-1", month, "USD"),
    ]
    krw, usd = rows
    assert (krw.credit_notes, krw.replacements, krw.recovered) == (0, Decimal("150000.00"), 0)
    assert (usd.credit_notes, usd.replacements, usd.recovered) == (
        Decimal("120.00"),
        0,
        Decimal("80.00"),  # the waived charge is not recovered (D2)
    )
    assert usd.net == Decimal("40.00")
    totals = selectors.currency_totals(rows)
    assert [(t.currency, t.net) for t in totals] == [
        ("KRW", Decimal("150000.00")),
        ("USD", Decimal("40.00")),
    ]
