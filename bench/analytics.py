"""Time the warranty quality analytics pages on 1,000,000 units and 100,000 claims (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
        .venv/bin/python bench/analytics.py

DATABASE_URL names the PostgreSQL server; the bench works in its own scratch database
(``--database``, default ``rma_bench_analytics``), created and migrated if missing, and keeps the
data between runs (``--rebuild`` writes it again). Each page is requested with Django's test
client as a sales clerk (the "Sales staff" group, not a superuser): one cold request, then
``--runs`` warm ones. Beside each page's median it prints the anchor measured in the same run,
a plain ``SELECT product_model_id, count(*) FROM warranty_unit GROUP BY 1``, and the ratio; it
exits with status 1 if a page takes a second or more.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

from _scratch import setup_django
from admin_changelist import clerk, copy_rows, measure, reset_sequences

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MS = 1000
ORGANISATIONS = 50
MODELS = [
    ("AN-CAM-100", "Dome camera module", True, False),
    ("AN-CAM-200", "Bullet camera module", True, False),
    ("AN-PTZ-20", "PTZ camera", False, True),
    ("AN-DVR-8", "8-channel recorder", False, False),
    ("AN-NVR-16", "16-channel network recorder", False, False),
    ("AN-NVR-32", "32-channel network recorder", False, False),
    ("AN-IO-4", "I/O expansion box", False, False),
    ("AN-POE-8", "8-port PoE switch", False, False),
]
FINDINGS = [
    (["confirmed_defect"], "repair", 40),
    (["confirmed_defect"], "replace", 15),
    (["confirmed_defect"], "credit_note", 15),
    (["no_fault_found"], "not_covered", 20),
    (["tampered"], "not_covered", 5),
    (["third_party_component"], "not_covered", 5),
]


def build(units: int, claims: int, seed: int = 15) -> None:
    from django.db import connection, transaction

    from accounts.models import Organisation
    from claims.models import Charge, Claim, ClaimItem, CreditNote, DebitNote
    from warranty.models import ProductModel, Shipment, Unit
    from warranty.rules import SEOUL

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(SEOUL).date()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE claims_claim, claims_claimitem, claims_claimevent, claims_message, "
            "claims_attachment, claims_document, claims_creditnote, claims_debitnote, "
            "claims_charge, warranty_unit, warranty_shipment RESTART IDENTITY CASCADE"
        )
    models = [
        ProductModel.objects.update_or_create(
            code=code,
            defaults={"name": name, "is_camera_module": camera, "mechanical_wear": wear},
        )[0].pk
        for code, name, camera, wear in MODELS
    ]
    organisations = [
        Organisation.objects.get_or_create(
            code=f"bench-an-{n:02d}", defaults={"name": f"Bench Analytics Buyer {n:02d}"}
        )[0].pk
        for n in range(ORGANISATIONS)
    ]
    started = time.perf_counter()
    per_shipment = 200
    shipments, unit_rows = [], []
    first = today - timedelta(days=3 * 365)
    with transaction.atomic():
        for n in range(units // per_shipment):
            shipped = first + timedelta(days=n * 3 * 365 // (units // per_shipment))
            currency = "KRW" if n % 5 == 0 else "USD"
            shipments.append(
                {
                    "id": n + 1,
                    "pi_number": f"AN-PI-{n:06d}",
                    "po_number": f"AN-PO-{n:06d}",
                    "buyer_id": organisations[n % ORGANISATIONS],
                    "shipment_date": shipped,
                    "delivery_date": shipped + timedelta(days=7),
                    "created_at": now,
                }
            )
            pair = rng.sample(models, 2)
            price = Decimal("150000") if currency == "KRW" else Decimal("120.00")
            for k in range(per_shipment):
                unit_rows.append(
                    {
                        "id": len(unit_rows) + 1,
                        "serial_number": f"AN{len(unit_rows) + 1:09d}",
                        "shipment_id": n + 1,
                        "product_model_id": pair[k % 2],
                        "unit_price": price,
                        "currency": currency,
                    }
                )
        copy_rows(Shipment, shipments)
        copy_rows(Unit, unit_rows)

        claim_rows, items, credit_notes, debit_notes, charges = [], [], [], [], []
        weights = [w for _f, _o, w in FINDINGS]
        for unit_id in rng.sample(range(1, len(unit_rows) + 1), claims):
            unit = unit_rows[unit_id - 1]
            shipment = shipments[unit["shipment_id"] - 1]
            start = shipment["delivery_date"]
            age = max(0, min(730, (today - start).days - 10))
            defect = start + timedelta(days=rng.randrange(age + 1))
            notice = min(defect + timedelta(days=rng.randrange(1, 10)), today)
            notice_at = datetime.combine(notice, clock(10), tzinfo=SEOUL)
            claim_id = len(claim_rows) + 1
            decided = rng.random() < 0.8
            findings, outcome, _w = rng.choices(FINDINGS, weights)[0] if decided else ([], "", 0)
            decided_at = min(notice_at + timedelta(days=rng.randrange(5, 40)), now)
            claim_rows.append(
                {
                    "id": claim_id,
                    "organisation_id": shipment["buyer_id"],
                    "rma_number": f"RMA-{notice.year}-{claim_id:06d}",
                    "status": "closed" if decided else "submitted",
                    "notice_at": notice_at,
                    "hold_until": notice + timedelta(days=30),
                    "decided_at": decided_at if decided else None,
                    "created_at": notice_at,
                    "updated_at": decided_at if decided else notice_at,
                }
            )
            late = rng.random() < 0.05
            end = start + timedelta(days=365 if rng.random() < 0.3 else 730)
            items.append(
                {
                    "id": claim_id,
                    "claim_id": claim_id,
                    "unit_id": unit_id,
                    "serial_number": unit["serial_number"],
                    "model_code": "",
                    "shipment_date": shipment["shipment_date"],
                    "po_number": shipment["po_number"],
                    "pi_number": shipment["pi_number"],
                    "defect_kind": "hidden",
                    "defect_date": defect,
                    "verdict_status": "not_covered"
                    if late or outcome == "not_covered" or defect > end
                    else "covered",
                    "verdict_final": decided,
                    "verdict": {"en": {"end_date": end.isoformat()}},
                    "notice_late": late,
                    "findings": findings,
                    "outcome": outcome,
                }
            )
            if outcome == "credit_note":
                credit_notes.append(
                    {
                        "number": f"CN-{decided_at.year}-{len(credit_notes) + 1:06d}",
                        "claim_id": claim_id,
                        "item_id": claim_id,
                        "amount": unit["unit_price"],
                        "currency": unit["currency"],
                        "issued_at": decided_at,
                    }
                )
            if findings == ["no_fault_found"]:
                debit_notes.append(
                    {
                        "id": len(debit_notes) + 1,
                        "number": f"DN-{decided_at.year}-{len(debit_notes) + 1:06d}",
                        "claim_id": claim_id,
                        "total": Decimal("80.00"),
                        "currency": "USD",
                        "issued_at": decided_at,
                    }
                )
                charges.append(
                    {
                        "item_id": claim_id,
                        "verification": Decimal("50.00"),
                        "transport": Decimal("20.00"),
                        "shipment": Decimal("10.00"),
                        "currency": "USD",
                        "waived": rng.random() < 0.1,
                        "debit_note_id": len(debit_notes),
                        "created_at": decided_at,
                    }
                )
        copy_rows(Claim, claim_rows)
        copy_rows(ClaimItem, items)
        copy_rows(CreditNote, credit_notes)
        copy_rows(DebitNote, debit_notes)
        copy_rows(Charge, charges)
    reset_sequences(Shipment, Unit, Claim, ClaimItem, CreditNote, DebitNote, Charge)
    with connection.cursor() as cursor:
        for table in ["warranty_shipment", "warranty_unit", "claims_claim", "claims_claimitem"]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"Wrote {len(unit_rows):,} units in {len(shipments):,} shipments, {len(claim_rows):,} "
        f"claims, {len(credit_notes):,} credit notes, {len(charges):,} D2 charges in "
        f"{time.perf_counter() - started:.1f} s"
    )


def anchor(runs: int) -> float:
    """The same run's yardstick: one GROUP BY over every unit, nothing else."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _run in range(runs + 1):
            started = time.perf_counter()
            cursor.execute("SELECT product_model_id, count(*) FROM warranty_unit GROUP BY 1")
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="rma_bench_analytics")
    parser.add_argument("--rebuild", action="store_true", help="write the data again")
    args = parser.parse_args()

    setup_django(args.database)
    from django.test import Client
    from django.urls import reverse

    from claims.models import Claim
    from warranty.models import Unit

    if args.rebuild or (Unit.objects.count(), Claim.objects.count()) != (args.units, args.claims):
        build(args.units, args.claims)
    else:
        print(f"Reusing the data in {args.database} (--rebuild to write it again)")

    client = Client()
    client.force_login(clerk())
    rates = reverse("analytics:rates")
    pages = [
        ("failure rates", rates),
        ("  model AN-PTZ-20", f"{rates}?model=AN-PTZ-20"),
        ("  organisation, 2025", f"{rates}?organisation=bench-an-07&date_from=2025-01-01"),
        ("nevada", reverse("analytics:nevada")),
        ("breakdowns", reverse("analytics:breakdowns")),
        ("warranty cost", reverse("analytics:costs")),
        ("early warning", reverse("analytics:early_warning")),
        ("  CSV of every batch", f"{rates}?csv=rates-batch"),
    ]
    base = anchor(args.runs)
    print(
        f"{Unit.objects.count():,} units, {Claim.objects.count():,} claims on PostgreSQL; "
        f"median of {args.runs} warm requests; anchor (GROUP BY over all units) {base:.0f} ms"
    )
    print(f"{'page':<24} {'cold ms':>8} {'median ms':>10} {'× anchor':>9} {'queries':>8}")
    slow = []
    for label, url in pages:
        cold, median, queries = measure(client, url, args.runs)
        flag = ""
        if median >= BUDGET_MS:
            slow.append(label.strip())
            flag = "  over budget"
        print(f"{label:<24} {cold:8.0f} {median:10.0f} {median / base:9.1f} {queries:8d}{flag}")
    print(f"anchor, measured again: {anchor(args.runs):.0f} ms")
    if slow:
        sys.exit(f"Over {BUDGET_MS} ms: {', '.join(slow)}")


if __name__ == "__main__":
    main()
