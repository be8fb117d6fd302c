"""Time the N1 and N4 deadline sweeps over many open claims beside one indexed SELECT.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/sweeps.py --claims 100000

Works in its own scratch database (``--database``, default ``rma_bench_sweeps``), created and
migrated if missing; the first run fills it with ``--claims`` open claims, half drafts (N1) and
half submitted claims on hold (N4), ``--due`` (default 1 %) of each due a reminder on the
bench's day. Each run first removes the reminders and outbox rows of earlier runs, then runs
each sweep twice: the first records the due reminders, the second (idempotent) records none.

The anchor, measured in the same run, is the one indexed SELECT that finds the claims whose
hold ends within 7 days (``status``, ``hold_until``): what any sweep has to read.
"""

import argparse
import datetime
import sys
import time
from pathlib import Path

from _scratch import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = datetime.date(2026, 12, 2)


def fill(claims: int, due: float) -> None:
    from accounts.models import Organisation
    from claims.models import Claim, ClaimItem, ClaimStatus
    from tests.factories import UnitFactory

    if Claim.objects.count() >= claims:
        return
    Claim.objects.all().delete()
    unit = UnitFactory(serial_number="BENCH-SWEEP-1")
    org = Organisation.objects.get_or_create(code="bench-sweeps", defaults={"name": "Sweeps"})[0]
    every = round(1 / due)
    drafts, held = claims // 2, claims - claims // 2
    # N1 (8 days): a draft whose defect was found 6 days ago is due its 2-day reminder.
    Claim.objects.bulk_create(
        (Claim(organisation=org, status=ClaimStatus.DRAFT) for _ in range(drafts)),
        batch_size=5000,
    )
    draft_ids = list(Claim.objects.filter(status=ClaimStatus.DRAFT).values_list("pk", flat=True))
    ClaimItem.objects.bulk_create(
        (
            ClaimItem(
                claim_id=pk,
                unit=unit,
                defect_date=TODAY - datetime.timedelta(days=6 if n % every == 0 else 1 + n % 4),
            )
            for n, pk in enumerate(draft_ids)
        ),
        batch_size=5000,
    )
    # N4: a hold ending in 7 days is due its 7-day reminder; the others end in 8 to 27 days.
    Claim.objects.bulk_create(
        (
            Claim(
                organisation=org,
                status=ClaimStatus.SUBMITTED,
                rma_number=f"RMA-BENCH-{n:07d}",
                hold_until=TODAY + datetime.timedelta(days=7 if n % every == 0 else 8 + n % 20),
            )
            for n in range(held)
        ),
        batch_size=5000,
    )


def timed(function):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log keeps 9,000 queries: a count across its limit would be wrong
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - started
    return seconds, len(queries), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.01)
    parser.add_argument("--database", default="rma_bench_sweeps")
    args = parser.parse_args()

    setup_django(args.database)
    from django.db import connection

    from claims.models import Claim, ClaimStatus
    from notifications.deadlines import remind_notice_deadlines, sweep_holds
    from notifications.models import OutboxMessage, Reminder

    fill(args.claims, args.due)
    Reminder.objects.all().delete()
    OutboxMessage.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim; ANALYZE claims_claimitem")

    def anchor():
        window = (TODAY, TODAY + datetime.timedelta(days=7))
        return list(
            Claim.objects.filter(
                status=ClaimStatus.SUBMITTED, hold_until__range=window
            ).values_list("pk", "hold_until")
        )

    open_claims = Claim.objects.exclude(status=ClaimStatus.CLOSED).count()
    print(f"{open_claims:,} open claims, {args.due:.0%} of each sweep's due on {TODAY}")
    anchor_s, anchor_q, rows = timed(anchor)
    print(
        f"  anchor: {anchor_s * 1000:8.1f} ms  {anchor_q} query, {len(rows)} claims "
        "(indexed SELECT)"
    )
    for name, sweep in (
        ("N1 notice", lambda: remind_notice_deadlines(today=TODAY)),
        ("N4 holds", lambda: sweep_holds(today=TODAY)),
    ):
        first_s, first_q, first = timed(sweep)
        again_s, again_q, again = timed(sweep)
        due = sum(first.values())
        print(
            f"{name:>9}: {first_s * 1000:8.1f} ms  {first_q} queries, recorded {first} "
            f"({first_s / anchor_s:.0f}x anchor, {(first_q - again_q) / max(due, 1):.0f} "
            "queries a due claim); "
            f"again {again_s * 1000:.1f} ms, {again_q} queries, recorded {again} "
            f"({again_s / anchor_s:.1f}x anchor)"
        )


if __name__ == "__main__":
    main()
