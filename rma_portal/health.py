"""Readiness checks: can this process do its work right now?

Each check returns ``(ok, detail)`` and never raises; ``readiness()`` runs them all. The worker
check asks the workers through the broker (Celery's remote control) which queues they consume
and waits ``RMA_READINESS_WORKER_TIMEOUT`` seconds for answers: at least one worker must answer,
and the queues nobody consumes are named (not fatal: a queue's workers may be restarting while
the others serve).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

PROBE_NAME = "readiness-probe"  # looked up, never written


def check_database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, connection.vendor


def check_broker() -> tuple[bool, str]:
    from rma_portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return True, conn.as_uri().split(":", 1)[0]  # the transport, no credentials


def check_storage() -> tuple[bool, str]:
    default_storage.exists(PROBE_NAME)  # a request to the bucket (or a stat on local disk)
    return True, type(default_storage._wrapped).__name__


def worker_queues(timeout: float) -> dict[str, list[str]]:
    """{queue: [worker, …]} from the workers that answered within ``timeout`` seconds."""
    from rma_portal.celery import app

    answers = app.control.inspect(timeout=timeout).active_queues() or {}
    consumers: dict[str, list[str]] = {name: [] for name in settings.CELERY_QUEUE_NAMES}
    for worker, queues in sorted(answers.items()):
        for queue in queues:
            consumers.setdefault(queue["name"], []).append(worker)
    return consumers


def check_workers() -> tuple[bool, dict]:
    consumers = worker_queues(settings.RMA_READINESS_WORKER_TIMEOUT)
    workers = sorted({w for names in consumers.values() for w in names})
    idle = [queue for queue, names in consumers.items() if not names]
    return bool(workers), {"answered": workers, "queues_without_worker": idle}


CHECKS: dict[str, Callable[[], tuple[bool, object]]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "workers": check_workers,
}


def readiness() -> tuple[bool, dict]:
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            ok, detail = check()
        except Exception as exc:  # whatever the dependency raised is the answer
            ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
        results[name] = {
            "ok": ok,
            "detail": detail,
            "ms": round((time.monotonic() - started) * 1000),
        }
    return all(r["ok"] for r in results.values()), results
