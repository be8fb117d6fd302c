"""Outbox throughput with one worker: rows per second from enqueue to done, beside an anchor of
the same number of plain Celery tasks (no outbox) run by the same worker in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/outbox.py --rows 2000

DATABASE_URL names the PostgreSQL server; the bench works in its own scratch database on it
(``--database``, default ``rma_bench``). CELERY_BROKER_URL must be a Redis database nobody else
uses: its default queue is purged. The task is ``claims.tasks.render_document`` for a document
that does not exist (it loads by id and returns), so what is measured is the path, not work:

- anchor: ``send_task`` N times, until the worker has run and acknowledged them all;
- outbox: N rows enqueued, each in its own transaction as an act does (published after commit),
  until the worker has marked every row done.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from _scratch import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TASK = "claims.tasks.render_document"


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "rma_portal",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
    )


def idle(redis) -> bool:
    return redis.llen("celery") == 0 and redis.hlen("unacked") == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--database", default="rma_bench")
    options = parser.parse_args()
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of its own.")
    setup_django(options.database)

    from celery import current_app
    from django.db import transaction

    from notifications import outbox
    from notifications.models import OutboxMessage, OutboxState

    OutboxMessage.objects.filter(dedupe_key__startswith="bench:").delete()
    current_app.control.purge()
    worker = start_worker()
    try:
        while not current_app.control.ping(timeout=0.5):
            time.sleep(0.2)
        with current_app.connection_for_write() as connection:
            redis = connection.default_channel.client
            n = options.rows

            started = time.perf_counter()
            for _ in range(n):
                current_app.send_task(TASK, args=[0], ignore_result=True)
            while not idle(redis):
                time.sleep(0.01)
            anchor = time.perf_counter() - started

            run = time.strftime("%Y%m%d%H%M%S")
            started = time.perf_counter()
            for index in range(n):
                with transaction.atomic():
                    outbox.enqueue(TASK, args=[0], dedupe_key=f"bench:{run}:{index}")
            rows = OutboxMessage.objects.filter(dedupe_key__startswith=f"bench:{run}:")
            while rows.filter(state=OutboxState.DONE).count() < n:
                time.sleep(0.05)
            measured = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    print(f"{n} tasks, one worker (solo pool)")
    print(f"anchor, plain send_task to acknowledged:  {anchor:.2f} s  {n / anchor:,.0f} tasks/s")
    print(f"outbox, enqueue (own commit) to done:     {measured:.2f} s  {n / measured:,.0f} rows/s")
    print(f"outbox / anchor: {anchor / measured:.2f} of the plain throughput")


if __name__ == "__main__":
    main()
