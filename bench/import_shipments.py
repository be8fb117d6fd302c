"""Time the shipment CSV import on PostgreSQL beside a plain COPY of the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
        .venv/bin/python bench/import_shipments.py --rows 100000

DATABASE_URL names the PostgreSQL server and credentials; the bench works in its own scratch
database on that server (``--database``, default ``rma_bench``), created and migrated if missing.
Each run first empties the units and shipments of that scratch database.

The anchor is PostgreSQL's ``COPY … FROM STDIN (FORMAT csv)`` of the same file, streamed from
this process, into a table of the same nine columns. A second figure shows what writing the
units costs PostgreSQL itself: the copied rows inserted by one ``INSERT … SELECT`` into a table
like ``warranty_unit`` (its primary key, unique serial and shipment indexes; no triggers). The
import runs in a child process (the whole ``import_shipments`` call, on an empty database, then
again as a re-import) so that its peak resident size is its own.
"""

import argparse
import csv
import datetime
import json
import resource
import statistics
import subprocess
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


def child(path: str) -> None:
    """In a fresh process: import the file, then re-import it; print times and peak RSS."""
    from warranty.importing import import_shipments

    times = []
    for _label in ("import", "re-import"):
        started = time.perf_counter()
        result = import_shipments(source=path)
        times.append((time.perf_counter() - started, result.summary()))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mb": peak_mb}))


# What ``--index-floors`` writes into: a table like ``warranty_unit`` with fewer indexes.
INDEX_FLOORS = (
    ("no index", "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS", []),
    ("primary key", "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS", ["pk"]),
    (
        "+ unique serial",
        "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS",
        ["pk", "serial"],
    ),
    ("+ shipment index (= warranty_unit)", "INCLUDING ALL", []),
)


def index_floors(cursor) -> list[tuple[str, float]]:
    """Seconds for the units INSERT … SELECT from ``bench_copy`` into tables like
    ``warranty_unit`` with none, some and all of its three indexes (each created, filled,
    committed and dropped here): what each index costs PostgreSQL itself."""
    from django.db import transaction

    floors = []
    for label, like, indexes in INDEX_FLOORS:
        cursor.execute(f"CREATE TABLE bench_floor (LIKE warranty_unit {like})")
        try:
            if "pk" in indexes:
                cursor.execute("ALTER TABLE bench_floor ADD PRIMARY KEY (id)")
            if "serial" in indexes:
                cursor.execute("ALTER TABLE bench_floor ADD UNIQUE (serial_number)")
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(UNITS_INSERT.format(table="bench_floor"))
            floors.append((label, time.perf_counter() - started))
        finally:
            cursor.execute("DROP TABLE bench_floor")
    return floors


UNITS_INSERT = (
    "INSERT INTO {table} (serial_number, shipment_id, product_model_id, unit_price, currency) "
    "SELECT serial_number, length(pi_number), length(model_code), unit_price, currency "
    "FROM bench_copy"
)


def anchors(path: Path, floors: bool = False) -> tuple[float, float, list[tuple[str, float]]]:
    """Seconds for COPY of the same CSV into a table of the same columns, and for PostgreSQL's
    own write of those rows as units: one INSERT … SELECT from that table into a table like
    ``warranty_unit`` (its columns and indexes, logged, no triggers), committed; with
    ``floors``, the same INSERT with fewer indexes (``index_floors``). Every table is created
    and dropped here."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_copy (pi_number text, po_number text, buyer text, "
            "shipment_date date, delivery_date date, serial_number text, model_code text, "
            "unit_price numeric(12, 2), currency text)"
        )
        started = time.perf_counter()
        with (
            open(path, "rb") as f,
            cursor.cursor.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        copied = time.perf_counter() - started
        cursor.execute("CREATE TABLE bench_units (LIKE warranty_unit INCLUDING ALL)")
        try:
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(UNITS_INSERT.format(table="bench_units"))
            written = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_units")
            by_index = index_floors(cursor) if floors else []
        finally:
            cursor.execute("DROP TABLE IF EXISTS bench_units, bench_copy")
    return copied, written, by_index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shipments", type=int, default=500)
    parser.add_argument("--database", default="rma_bench")
    parser.add_argument(
        "--runs", type=int, default=1, help="repeat anchors and import; print the medians"
    )
    parser.add_argument(
        "--index-floors",
        action="store_true",
        help="also time the units INSERT into tables with fewer indexes: the best ratio to "
        "COPY that any import staging the file with COPY could reach",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    setup_django(args.database)
    if args.child:
        child(args.child)
        return
    from django.db import connection

    from accounts.models import Organisation
    from warranty.models import ProductModel

    for code, name, camera, mechanical in MODELS:
        ProductModel.objects.update_or_create(
            code=code,
            defaults={"name": name, "is_camera_module": camera, "mechanical_wear": mechanical},
        )
    for code in BUYERS:
        Organisation.objects.get_or_create(code=code, defaults={"name": code})

    runs = []
    floor_runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shipments.csv"
        write_csv(path, args.rows, args.shipments)
        size = path.stat().st_size / 2**20
        print(f"{args.rows:,} rows over {args.shipments} shipments ({size:.1f} MB) on PostgreSQL")
        for _run in range(args.runs):
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE warranty_unit, warranty_shipment CASCADE")
            anchor, floor, by_index = anchors(path, floors=args.index_floors)
            for label, seconds in by_index:
                floor_runs.setdefault(label, []).append((anchor, seconds))
            done = subprocess.run(
                [sys.executable, __file__, "--database", args.database, "--child", str(path)],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                sys.exit(f"The import failed:\n{done.stderr}")
            report = json.loads(done.stdout.strip().splitlines()[-1])
            (seconds, summary), (again, again_summary) = report["times"]
            runs.append((anchor, floor, seconds, again, report["peak_mb"]))
            if args.runs > 1:
                print(
                    f"  run {_run + 1}: COPY {anchor:.2f} s, units {floor:.2f} s, "
                    f"import {seconds:.2f} s, re-import {again:.2f} s"
                )
    medians = (statistics.median(column) for column in zip(*runs, strict=True))
    anchor, floor, seconds, again, peak_mb = medians
    if args.runs > 1:
        print(f"medians of {args.runs} runs:")
    print(f"     COPY: {anchor:6.2f} s  {args.rows / anchor:9,.0f} rows/s  (anchor)")
    print(
        f"    units: {floor:6.2f} s  {args.rows / floor:9,.0f} rows/s  "
        "(PostgreSQL's own INSERT of the same rows into a table like warranty_unit)"
    )
    print(f"   import: {seconds:6.2f} s  {args.rows / seconds:9,.0f} rows/s  {summary}")
    print(f"re-import: {again:6.2f} s  {args.rows / again:9,.0f} rows/s  {again_summary}")
    print(
        f"    ratio: {anchor / seconds:.2f}x COPY's speed, {floor / seconds:.2f}x the units "
        f"INSERT's; peak RSS {peak_mb:.0f} MB"
    )
    if floor_runs:
        print(
            "   floors: the units INSERT alone, by the indexes it keeps up (medians); beside "
            "each, the ratio to COPY of COPY + that INSERT and nothing else:"
        )
        for label, pairs in floor_runs.items():
            seconds = statistics.median(s for _a, s in pairs)
            best = statistics.median(a / (a + s) for a, s in pairs)
            print(f"           {label:36} {seconds:6.3f} s   at best {best:.2f}x COPY")


if __name__ == "__main__":
    main()
