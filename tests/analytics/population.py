"""A generated population with known true failure rates, written with bulk_create.

Two models, ten batches (shipments) of 500 units each, shipped every quarter from January 2024
and delivered a week later:

- model QA-A: each unit fails with probability 2 % at a uniform day of its 24 months (W1);
- model QA-B: 8 %, the same way;
- batch B-7 of QA-B (delivered 2026-05-10): 25 % of its units fail in months 3-5 in service.

The failing units of each batch are drawn without replacement, exactly rate × 500 of them, so
a batch's true rate is its rate, not a draw around it; their failure days are random. A
failure whose day has come by ``TODAY`` is claimed (one claim, one item); three in four are
confirmed at inspection, the rest found without fault. ``expected_claimed`` is the true
probability that a unit is claimed by ``TODAY``, averaged over a group: the truth the computed
rates and their intervals must contain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from accounts.models import Organisation
from claims.models import Claim, ClaimItem
from warranty.models import ProductModel, Shipment, Unit
from warranty.rules import SEOUL, add_months

TODAY = date(2026, 11, 15)
UNITS_PER_BATCH = 500
SERVICE_DAYS = 730
RATES = {"QA-A": 0.02, "QA-B": 0.08}
B7_RATE = 0.25
B7 = "B-7"


@dataclass
class Truth:
    units: dict[str, int] = field(default_factory=dict)  # per model / batch
    expected: dict[str, float] = field(default_factory=dict)  # sum of claim probabilities
    claims: int = 0
    b7_ages: set[int] = field(default_factory=set)

    def expected_claimed(self, key: str) -> float:
        """True probability that a unit of ``key`` (a model code or PI number) is claimed."""
        return self.expected[key] / self.units[key]


def _observed_fraction(start: date, low: date, high: date) -> float:
    """Share of the uniform failure window [low, high) that has come by TODAY."""
    span = (high - low).days
    seen = (min(TODAY + timedelta(days=1), high) - low).days
    return min(max(seen, 0), span) / span


def build(seed: int = 15) -> Truth:
    rng = random.Random(seed)
    truth = Truth()
    buyers = [
        Organisation.objects.get_or_create(code=code, defaults={"name": name, "language": lang})[0]
        for code, name, lang in [("acme", "Acme Vision", "en"), ("hanbit", "한빛전자", "ko")]
    ]
    models = {
        code: ProductModel.objects.get_or_create(code=code, defaults={"name": f"Device {code}"})[0]
        for code in RATES
    }
    shipments, plans = [], []
    for code in RATES:
        for k in range(1, 11):
            pi = f"{code[-1]}-{k}"
            shipped = date(2026, 5, 3) if pi == B7 else add_months(date(2024, 1, 5), 3 * (k - 1))
            shipments.append(
                Shipment(
                    pi_number=pi,
                    po_number=f"PO-{pi}",
                    buyer=buyers[k % 2],
                    shipment_date=shipped,
                    delivery_date=shipped + timedelta(days=7),
                )
            )
            plans.append((code, pi))
    Shipment.objects.bulk_create(shipments)
    units = []
    for shipment, (code, pi) in zip(shipments, plans, strict=True):
        for n in range(UNITS_PER_BATCH):
            units.append(
                Unit(
                    serial_number=f"{pi}-{n:04d}",
                    shipment=shipment,
                    product_model=models[code],
                    unit_price=Decimal("100.00") if code == "QA-A" else Decimal("250.00"),
                    currency="USD" if shipment.buyer.code == "acme" else "KRW",
                )
            )
    Unit.objects.bulk_create(units)

    failing = set()
    for shipment, (code, pi) in zip(shipments, plans, strict=True):
        rate = B7_RATE if pi == B7 else RATES[code]
        batch = [u for u in units if u.shipment is shipment]
        failing.update(u.serial_number for u in rng.sample(batch, round(rate * len(batch))))

    claims, items = [], []
    for unit in units:
        start = unit.shipment.delivery_date
        code, pi = unit.product_model.code, unit.shipment.pi_number
        if pi == B7:
            rate, low, high = B7_RATE, add_months(start, 3), add_months(start, 6)
        else:
            rate, low, high = RATES[code], start, start + timedelta(days=SERVICE_DAYS)
        chance = rate * _observed_fraction(start, low, high)
        for key in (code, pi):
            truth.units[key] = truth.units.get(key, 0) + 1
            truth.expected[key] = truth.expected.get(key, 0.0) + chance
        if unit.serial_number not in failing:
            continue
        defect = low + timedelta(days=rng.randrange((high - low).days))
        if defect > TODAY:
            continue
        if pi == B7:
            truth.b7_ages.add(_months(start, defect))
        notice = min(defect + timedelta(days=2), TODAY)
        claim = Claim(
            organisation=unit.shipment.buyer,
            status="closed",
            rma_number=f"RMA-2026-{len(claims) + 1:06d}",
            notice_at=datetime.combine(notice, time(10), tzinfo=SEOUL),
        )
        claims.append(claim)
        confirmed = rng.random() < 0.75
        items.append(
            ClaimItem(
                claim=claim,
                unit=unit,
                serial_number=unit.serial_number,
                model_code=code,
                shipment_date=unit.shipment.shipment_date,
                po_number=unit.shipment.po_number,
                pi_number=pi,
                defect_kind="hidden",
                defect_date=defect,
                verdict_status="covered",
                verdict_final=True,
                findings=["confirmed_defect"] if confirmed else ["no_fault_found"],
                outcome="repair" if confirmed else "not_covered",
            )
        )
    Claim.objects.bulk_create(claims)
    for item in items:
        item.claim_id = item.claim.pk
    ClaimItem.objects.bulk_create(items)
    truth.claims = len(items)
    return truth


def _months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months
