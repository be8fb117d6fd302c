"""Time the sales staff's claim list, claim page and dashboard on 100,000 claims (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
        .venv/bin/python bench/admin_changelist.py --claims 100000

DATABASE_URL names the PostgreSQL server and credentials; the bench works in its own scratch
database on that server (``--database``, default ``rma_bench_admin``), created and migrated if
missing. The claims, their items, units and events are written with COPY and kept between runs
(``--rebuild`` writes them again). Pages are requested with Django's test client, logged in as
a sales clerk (staff, in the "Sales staff" group, not a superuser): one cold request, then
``--runs`` warm ones; it prints the median and the query count of each page, then the anchor
measured in the same run (a plain ``SELECT status, count(*)`` over the claims) and the
dashboard's ratio to it and to the claim list (issue 19: goal under 150 ms), and exits with
status 1 if the list or the dashboard takes a second or more. The claims' threads (messages)
and the columns the services keep from them are written as the services would have.
"""

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from _scratch import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MS = 1000
DASHBOARD_GOAL_MS = 150  # issue 19
ORGANISATIONS = 50
SHIPMENTS = 3000
MODELS = [
    ("BA-CAM-100", "Dome camera module", True, False),
    ("BA-CAM-200", "Bullet camera module", True, False),
    ("BA-PTZ-20", "PTZ camera", False, True),
    ("BA-DVR-8", "8-channel recorder", False, False),
    ("BA-NVR-16", "16-channel network recorder", False, False),
    ("BA-NVR-32", "32-channel network recorder", False, False),
    ("BA-IO-4", "I/O expansion box", False, False),
    ("BA-POE-8", "8-port PoE switch", False, False),
]
# Status mix of a mature queue: most claims decided, a working set open.
STATUS_WEIGHTS = {
    "draft": 3,
    "submitted": 15,
    "info_requested": 4,
    "return_authorized": 8,
    "shipped": 6,
    "received": 4,
    "inspected": 8,
    "closed": 40,
    "rejected": 6,
    "cancelled": 4,
    "refused": 2,
}
OPEN = {"submitted", "info_requested", "return_authorized", "shipped", "received", "inspected"}
OUTCOMES = ["repair", "replace", "credit_note", "not_covered"]


def copy_rows(model, rows: list[dict]) -> int:
    """COPY dicts (by attname) into the model's table; unset columns take the field default,
    and the id its sequence when the rows give none."""
    from django.db import connection

    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk or pk.attname in rows[0]]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    count = 0
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            values = []
            for f in fields:
                value = row.get(f.attname, defaults[f.attname])
                if f.attname in json_fields:
                    value = json.dumps(value)
                values.append(value)
            copy.write_row(values)
            count += 1
    return count


def reset_sequences(*models) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )


def build(claims: int, seed: int = 20261125) -> None:
    """Write ``claims`` claims (1-3 items each, one unit per item, as many units again that
    were never claimed), their events, on CPRO's records of shipments and models."""
    from django.db import connection, transaction

    from accounts.models import Organisation, User
    from claims.models import Claim, ClaimEvent, ClaimItem, DefectReason, Message
    from warranty.models import ProductModel, Shipment, Unit
    from warranty.rules import SEOUL

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE claims_claim, claims_claimitem, claims_claimevent, claims_message, "
            "claims_attachment, claims_document, claims_creditnote, claims_debitnote, "
            "claims_charge, warranty_unit, warranty_shipment RESTART IDENTITY CASCADE"
        )
    models = []
    for code, name, camera, mechanical in MODELS:
        model, _ = ProductModel.objects.update_or_create(
            code=code,
            defaults={"name": name, "is_camera_module": camera, "mechanical_wear": mechanical},
        )
        models.append(model)
    organisations = [
        Organisation.objects.get_or_create(
            code=f"bench-adm-{n:02d}", defaults={"name": f"Bench Buyer {n:02d} Co., Ltd."}
        )[0]
        for n in range(ORGANISATIONS)
    ]
    authors = [
        User.objects.get_or_create(username=f"bench-buyer-{org.code}", organisation=org)[0]
        for org in organisations
    ]
    reasons = list(DefectReason.objects.values_list("pk", flat=True)) + [None]

    started = time.perf_counter()
    with transaction.atomic():
        first_day = date(2024, 1, 2)
        shipments = []
        for n in range(SHIPMENTS):
            shipped = first_day + timedelta(days=n * 1000 // SHIPMENTS)
            shipments.append(
                {
                    "id": n + 1,
                    "pi_number": f"BA-PI-{n:06d}",
                    "po_number": f"BA-PO-{n:06d}",
                    "buyer_id": organisations[n % ORGANISATIONS].pk,
                    "shipment_date": shipped,
                    "delivery_date": shipped + timedelta(days=7),
                    "created_at": now,
                }
            )
        copy_rows(Shipment, shipments)
        by_org = {}
        for s in shipments:
            by_org.setdefault(s["buyer_id"], []).append(s)

        units, claim_rows, items, events, messages = [], [], [], [], []
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        unit_id = 0
        item_id = 0
        for claim_id in range(1, claims + 1):
            org_index = rng.randrange(ORGANISATIONS)
            org = organisations[org_index]
            status = rng.choices(statuses, weights)[0]
            # Open claims are recent; decided ones spread over the last eighteen months.
            age = rng.randrange(0, 45 if status in OPEN else 540)
            notice_at = now - timedelta(days=age, minutes=rng.randrange(1440))
            notice_date = notice_at.astimezone(SEOUL).date()
            submitted = status != "draft"
            decided = status in {"inspected", "closed", "rejected"}
            decision_at = notice_at + timedelta(days=rng.randrange(1, 30), hours=rng.randrange(24))
            decision_at = min(decision_at, now)
            # (kind, at, message): the thread's acts write a message each, as the services do
            # (claims/messages.py): from_staff, internal.
            claim_events = []
            if submitted:
                claim_events.append(("submit", notice_at, None))
                thread_at = notice_at
                if status == "info_requested" or (status != "submitted" and rng.random() < 0.2):
                    thread_at += timedelta(hours=2)
                    claim_events.append(("request_info", thread_at, (True, False)))
                    if status != "info_requested":
                        thread_at += timedelta(hours=rng.randrange(1, 48))
                        claim_events.append(("answer_info", min(thread_at, now), (False, False)))
                for _m in range(rng.randrange(0, 4)):
                    thread_at += timedelta(hours=rng.randrange(1, 30))
                    author = (rng.random() < 0.5, False)
                    claim_events.append(("post_message", min(thread_at, now), author))
                if rng.random() < 0.15:
                    thread_at += timedelta(hours=1)
                    claim_events.append(("internal_note", min(thread_at, now), (True, True)))
                if decided:
                    kind = "reject" if status == "rejected" else "inspect"
                    claim_events.append((kind, decision_at, None))
                if status == "closed":
                    claim_events.append(("close", min(decision_at + timedelta(days=5), now), None))
            for seq, (kind, at, thread) in enumerate(claim_events, start=1):
                data = {}
                if thread is not None:
                    from_staff, internal = thread
                    messages.append(
                        {
                            "id": len(messages) + 1,
                            "claim_id": claim_id,
                            "author_label": "bench clerk" if from_staff else "bench buyer",
                            "from_staff": from_staff,
                            "internal": internal,
                            "channel": "admin" if from_staff else "portal",
                            "body": "Any news on this one?",
                            "created_at": at,
                        }
                    )
                    data = {"message": len(messages)}
                events.append(
                    {
                        "claim_id": claim_id,
                        "seq": seq,
                        "kind": kind,
                        "actor_label": "bench",
                        "channel": "admin",
                        "data": data,
                        "public": kind != "internal_note",
                        "created_at": at,
                        "prev_hash": "0" * 64,
                        "hash": rng.randbytes(32).hex(),
                    }
                )
            # What Message.save and append_event keep on the claim (claims/models.py).
            public = [(t[0], at) for _k, at, t in claim_events if t is not None and not t[1]]
            by_buyer = [at for staff, at in public if not staff]
            by_staff = [at for staff, at in public if staff]
            answers = [at for kind, at, _t in claim_events if kind == "answer_info"]
            claim_rows.append(
                {
                    "id": claim_id,
                    "last_buyer_message_at": max(by_buyer, default=None),
                    "last_staff_message_at": max(by_staff, default=None),
                    "info_answered_at": answers[-1] if answers else None,
                    "organisation_id": org.pk,
                    "author_id": authors[org_index].pk,
                    "rma_number": f"RMA-{notice_date.year}-{claim_id:06d}" if submitted else None,
                    "status": status,
                    "notice_at": notice_at if submitted else None,
                    "hold_until": notice_date + timedelta(days=30) if submitted else None,
                    "decided_at": decision_at if status == "rejected" else None,
                    "closed_at": decision_at if status == "closed" else None,
                    "event_count": len(claim_events),
                    "created_at": notice_at - timedelta(hours=1),
                    "updated_at": claim_events[-1][1] if claim_events else notice_at,
                }
            )
            for position in range(rng.choices([1, 2, 3], [60, 25, 15])[0]):
                unit_id += 1
                item_id += 1
                shipment = rng.choice(by_org[org.pk])
                model = models[rng.randrange(len(models))]
                serial = f"BA{unit_id:09d}"
                units.append(
                    {
                        "id": unit_id,
                        "serial_number": serial,
                        "shipment_id": shipment["id"],
                        "product_model_id": model.pk,
                        "unit_price": Decimal("120.00"),
                        "currency": "USD",
                    }
                )
                mismatch = rng.random() < 0.05
                late = rng.random() < 0.08
                outcome = rng.choice(OUTCOMES) if decided else ""
                if status == "rejected":
                    outcome = "not_covered"
                items.append(
                    {
                        "id": item_id,
                        "claim_id": claim_id,
                        "unit_id": unit_id,
                        "serial_number": serial,
                        "model_code": model.code,
                        "shipment_date": shipment["shipment_date"],
                        "po_number": "WRONG-PO" if mismatch else shipment["po_number"],
                        "pi_number": shipment["pi_number"],
                        "defect_kind": rng.choice(["manifest", "hidden"]),
                        "defect_date": notice_date - timedelta(days=rng.randrange(1, 20)),
                        "defect_details": "No image after power-on.",
                        "defect_reason_id": rng.choice(reasons),
                        "mismatches": [{"field": "po_number", "given": "WRONG-PO", "recorded": "?"}]
                        if mismatch
                        else [],
                        "verdict_status": "not_covered" if late else "covered",
                        "verdict_final": decided,
                        "notice_late": late,
                        "return_authorized": status
                        in {"return_authorized", "shipped", "received", "inspected", "closed"},
                        "outcome": outcome,
                        "position": position,
                    }
                )
        # As many units again that were never claimed: the installed base the rates divide by.
        for _n in range(unit_id):
            unit_id += 1
            shipment = shipments[rng.randrange(SHIPMENTS)]
            units.append(
                {
                    "id": unit_id,
                    "serial_number": f"BA{unit_id:09d}",
                    "shipment_id": shipment["id"],
                    "product_model_id": models[rng.randrange(len(models))].pk,
                    "unit_price": Decimal("120.00"),
                    "currency": "USD",
                }
            )
        copy_rows(Unit, units)
        copy_rows(Claim, claim_rows)
        copy_rows(ClaimItem, items)
        copy_rows(ClaimEvent, events)
        copy_rows(Message, messages)
    reset_sequences(Shipment, Unit, Claim, ClaimItem, ClaimEvent, Message)
    with connection.cursor() as cursor:
        for table in [
            "warranty_shipment",
            "warranty_unit",
            "claims_claim",
            "claims_claimitem",
            "claims_claimevent",
            "claims_message",
            "claims_noticeditem",
            "claims_noticedmonth",
            "claims_decision",
        ]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"Wrote {len(claim_rows):,} claims, {len(items):,} items, {len(units):,} units, "
        f"{len(events):,} events, {len(messages):,} messages "
        f"in {time.perf_counter() - started:.1f} s"
    )


def clerk():
    from django.contrib.auth.models import Group

    from accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench-clerk", defaults={"is_staff": True, "organisation": None}
    )
    user.groups.add(Group.objects.get(name="Sales staff"))
    assert user.is_staff and not user.is_superuser
    return user


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    response = client.get(url)
    cold = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"{url}: HTTP {response.status_code}")
    timings = []
    queries = 0
    for _run in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return cold, statistics.median(timings), queries


ANCHOR_SQL = "SELECT status, count(*) FROM claims_claim GROUP BY 1"


def measure_anchor(runs: int) -> float:
    """The anchor: one plain GROUP BY over every claim, in this process (median ms)."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _run in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(ANCHOR_SQL)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[1:])  # the first one warms the cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="rma_bench_admin")
    parser.add_argument("--rebuild", action="store_true", help="write the data again")
    args = parser.parse_args()

    setup_django(args.database)
    from django.test import Client
    from django.urls import reverse

    from claims.models import Claim, ClaimItem

    have = Claim.objects.count()
    if args.rebuild or have != args.claims:
        build(args.claims)
    else:
        print(f"Reusing {have:,} claims in {args.database} (--rebuild to write them again)")

    client = Client()
    client.force_login(clerk())
    changelist = reverse("admin:claims_claim_changelist")
    sample = ClaimItem.objects.order_by("-pk").values_list("serial_number", "claim_id").first()
    open_claim = Claim.objects.filter(status="inspected").order_by("-pk").first()
    pages = [
        ("claim list", changelist, True),
        ("  status: open", f"{changelist}?status=open", True),
        ("  hold ended", f"{changelist}?hold=past", True),
        ("  hold ends this week", f"{changelist}?hold=week", True),
        ("  late notice (N1)", f"{changelist}?late_notice=yes", True),
        ("  mismatch (N3)", f"{changelist}?mismatch=yes", True),
        ("  organisation", f"{changelist}?organisation={open_claim.organisation_id}", True),
        ("  search serial", f"{changelist}?q={sample[0]}", True),
        ("  search org name", f"{changelist}?q=Buyer+07", True),
        ("  page 40", f"{changelist}?p=40", True),
        ("  sorted by hold", f"{changelist}?o=5", True),
        ("claim page", reverse("admin:claims_claim_change", args=[open_claim.pk]), False),
        ("dashboard", reverse("admin:claims_claim_dashboard"), True),
    ]
    print(
        f"{Claim.objects.count():,} claims, {ClaimItem.objects.count():,} items on PostgreSQL; "
        f"median of {args.runs} warm requests"
    )
    print(f"{'page':<24} {'cold ms':>8} {'median ms':>10} {'queries':>8}")
    slow = []
    medians = {}
    for label, url, budgeted in pages:
        cold, median, queries = measure(client, url, args.runs)
        medians[label] = median
        flag = ""
        if budgeted and median >= BUDGET_MS:
            slow.append(label.strip())
            flag = "  over budget"
        print(f"{label:<24} {cold:8.0f} {median:10.0f} {queries:8d}{flag}")
    anchor = measure_anchor(args.runs)
    dashboard = medians["dashboard"]
    print(
        f"anchor ({ANCHOR_SQL}, same run): {anchor:.1f} ms; dashboard {dashboard:.0f} ms = "
        f"{dashboard / anchor:.1f}x the anchor, {dashboard / medians['claim list']:.2f}x "
        f"the claim list (goal: dashboard < {DASHBOARD_GOAL_MS} ms)"
    )
    if slow:
        sys.exit(f"Over {BUDGET_MS} ms: {', '.join(slow)}")


if __name__ == "__main__":
    main()
