"""Warranty lookup API under load beside a one-query Django view on the same gunicorn server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
        .venv/bin/python bench/lookup.py --units 1000000

Works in its own scratch database (``--database``, default ``rma_bench_lookup``), filled once
with ``--units`` units of one buyer organisation. Starts gunicorn (2 sync workers, DEBUG off) on
a free loopback port with ``bench/lookup_settings.py`` (production URLs plus the anchor views of
``bench/lookup_urls.py``), then
loads each URL with ``wrk`` (Debian package ``wrk``), 8 connections, random serials:

- ours:   ``GET /api/v1/units/{serial}/warranty/`` with an API key;
- anchor: ``GET /bench/one-query/{serial}/``, the unit in one ORM query as a small JSON answer;
- and a constant ``JsonResponse`` (the server's ceiling).

Prints req/s and p99 of each, and ours / anchor. Before loading it checks, in process, the
queries one lookup makes after warm-up.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _scratch import setup_django

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

ORG = "bench-lookup"
SERIAL = "LK{:08d}"
WRK_SCRIPT = """
math.randomseed(os.time())
local key = "{key}"
local units = {units}
request = function()
  local path = string.format("{template}", math.random(0, units - 1))
  return wrk.format("GET", path, {{["Authorization"] = "Api-Key " .. key}})
end
"""


def seed(units: int) -> str:
    """The bench organisation with ``units`` units (once) and a fresh API key: the raw key."""
    from django.db import connection

    from accounts.models import ApiKey, Organisation
    from accounts.services import create_api_key
    from warranty.models import ProductModel, Unit, WarrantyPolicy

    org, _ = Organisation.objects.get_or_create(code=ORG, defaults={"name": "Bench Lookup"})
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1", defaults={"effective_from": "2000-01-01"}
    )
    have = Unit.objects.filter(shipment__buyer=org).count()
    if have != units:
        print(f"Seeding {units:,} units (once)…", flush=True)
        models = []
        for n, (camera, wear) in enumerate([(True, False), (False, True), (False, False)]):
            model, _ = ProductModel.objects.get_or_create(
                code=f"BENCH-LK-{n}",
                defaults={
                    "name": f"Bench {n}",
                    "is_camera_module": camera,
                    "mechanical_wear": wear,
                },
            )
            models.append(model.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM warranty_unit WHERE shipment_id IN "
                "(SELECT id FROM warranty_shipment WHERE buyer_id = %s)",
                [org.pk],
            )
            cursor.execute("DELETE FROM warranty_shipment WHERE buyer_id = %s", [org.pk])
            cursor.execute(
                """
                INSERT INTO warranty_shipment
                    (pi_number, po_number, buyer_id, shipment_date, delivery_date, created_at)
                SELECT 'LK-PI-' || s, 'LK-PO-' || s, %s, DATE '2024-01-01' + (s %% 700),
                       CASE WHEN s %% 10 = 0 THEN NULL ELSE DATE '2024-01-06' + (s %% 700) END,
                       now()
                FROM generate_series(0, %s) AS s
                """,
                [org.pk, units // 100],
            )
            cursor.execute(
                """
                INSERT INTO warranty_unit
                    (serial_number, shipment_id, product_model_id, unit_price, currency)
                SELECT 'LK' || lpad(n::text, 8, '0'), sh.id, (%s::int[])[1 + n %% 3],
                       100.00, 'USD'
                FROM generate_series(0, %s - 1) AS n
                JOIN warranty_shipment sh ON sh.pi_number = 'LK-PI-' || (n / 100)
                """,
                [models, units],
            )
            cursor.execute("ANALYZE warranty_unit")
            cursor.execute("ANALYZE warranty_shipment")
    ApiKey.objects.filter(organisation=org).delete()
    _key, raw = create_api_key(organisation=org, label="bench")
    return raw


def queries_per_lookup(raw_key: str) -> tuple[int, int, list[str]]:
    """Queries of one lookup after warm-up: (all, those reading the policy table, their SQL)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    client.get(f"/api/v1/units/{SERIAL.format(1)}/warranty/")  # warm-up
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/units/{SERIAL.format(2)}/warranty/")
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    return len(sql), sum("warranty_warrantypolicy" in s for s in sql), sql


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(base: str, template: str, key: str, units: int, seconds: int, connections: int):
    """(req/s, p99 ms, non-2xx count) of wrk on ``template`` (``%08d``: a random unit)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(key=key, units=units, template=template))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, p99, int(bad.group(1)) if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database", default="rma_bench_lookup")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    setup_django(args.database)
    key = seed(args.units)
    total, policy, sql = queries_per_lookup(key)
    print(f"in process, after warm-up: {total} queries per lookup, {policy} on the policy table")

    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="lookup_settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        RMA_API_RATE="100000000/min",
        PYTHONPATH=f"{BENCH}{os.pathsep}{ROOT}",
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers=2",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "rma_portal.wsgi",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if server.poll() is not None:
                sys.exit("gunicorn did not start")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/api/v1/units/{SERIAL.format(3)}/warranty/",
            headers={"Authorization": f"Api-Key {key}"},
        )
        print("sample answer:", urllib.request.urlopen(request, timeout=5).read().decode()[:160])
        results = {}
        for name, template in (
            ("warranty API", "/api/v1/units/LK%08d/warranty/"),
            ("one-query view", "/bench/one-query/LK%08d/"),
            ("constant JsonResponse", "/bench/constant/LK%08d/"),
        ):
            wrk(base, template, key, args.units, 3, args.connections)  # warm the workers
            results[name] = wrk(base, template, key, args.units, args.seconds, args.connections)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(
        f"\n{args.units:,} units, gunicorn 2 sync workers, wrk {args.connections} connections, "
        f"{args.seconds} s each, random serials"
    )
    for name, (rate, p99, bad) in results.items():
        note = f"  ({bad} non-2xx)" if bad else ""
        print(f"{name:>22}: {rate:8,.0f} req/s   p99 {p99:6.1f} ms{note}")
    ours, anchor = results["warranty API"][0], results["one-query view"][0]
    print(f"{'ratio':>22}: {ours / anchor:.2f}x the one-query view's req/s")


if __name__ == "__main__":
    main()
