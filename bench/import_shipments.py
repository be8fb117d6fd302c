"""Time the shipment CSV import on PostgreSQL: a first import, then a re-import of the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
        .venv/bin/python bench/import_shipments.py --rows 100000

DATABASE_URL names the PostgreSQL server and credentials; the bench works in its own scratch
database on that server (``--database``, default ``rma_bench``), created and migrated if missing.
Each run first deletes the units and shipments of earlier bench runs (PI numbers ``BENCH-…``).
"""

import argparse
import csv
import datetime
import sys
import tempfile
import time
from pathlib import Path

from _scratch import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = [
    ("BENCH-CAM-100", "Dome camera module", True, False),
    ("BENCH-CAM-200", "Bullet camera module", True, False),
    ("BENCH-PTZ-20", "PTZ camera", False, True),
    ("BENCH-DVR-8", "8-channel recorder", False, False),
    ("BENCH-NVR-16", "16-channel network recorder", False, False),
    ("BENCH-IO-4", "I/O expansion box", False, False),
]
BUYERS = [f"bench-buyer-{n:02d}" for n in range(1, 21)]


def write_csv(path: Path, rows: int, shipments: int) -> None:
    per_shipment = max(rows // shipments, 1)
    start = datetime.date(2024, 1, 2)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "pi_number",
                "po_number",
                "buyer",
                "shipment_date",
                "delivery_date",
                "serial_number",
                "model_code",
                "unit_price",
                "currency",
            ]
        )
        for n in range(rows):
            s = n // per_shipment
            shipped = start + datetime.timedelta(days=s % 700)
            delivered = "" if s % 10 == 0 else (shipped + datetime.timedelta(days=5 + s % 20))
            model = MODELS[(n * 7 + s) % len(MODELS)][0]
            writer.writerow(
                [
                    f"BENCH-PI-{s:06d}",
                    f"PO-{(s * 7919) % 10**6:06d}-{s}",
                    BUYERS[s % len(BUYERS)],
                    shipped.isoformat(),
                    delivered if isinstance(delivered, str) else delivered.isoformat(),
                    f"BSN{n:09d}",
                    model,
                    f"{50 + (n % 400)}.{n % 100:02d}",
                    "USD" if s % 3 else "EUR",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shipments", type=int, default=500)
    parser.add_argument("--database", default="rma_bench")
    args = parser.parse_args()

    setup_django(args.database)
    from django.db import connection

    from accounts.models import Organisation
    from warranty.importing import import_shipments
    from warranty.models import ProductModel

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM warranty_unit WHERE shipment_id IN "
            "(SELECT id FROM warranty_shipment WHERE pi_number LIKE 'BENCH-%%')"
        )
        cursor.execute("DELETE FROM warranty_shipment WHERE pi_number LIKE 'BENCH-%%'")
    for code, name, camera, mechanical in MODELS:
        ProductModel.objects.update_or_create(
            code=code,
            defaults={"name": name, "is_camera_module": camera, "mechanical_wear": mechanical},
        )
    for code in BUYERS:
        Organisation.objects.get_or_create(code=code, defaults={"name": code})

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shipments.csv"
        write_csv(path, args.rows, args.shipments)
        size = path.stat().st_size / 2**20
        print(f"{args.rows:,} rows over {args.shipments} shipments ({size:.1f} MB) on PostgreSQL")
        for label in ("import", "re-import"):
            started = time.perf_counter()
            result = import_shipments(source=path)
            seconds = time.perf_counter() - started
            print(
                f"{label:>9}: {seconds:6.2f} s  {args.rows / seconds:9,.0f} rows/s  "
                f"{result.summary()}"
            )


if __name__ == "__main__":
    main()
