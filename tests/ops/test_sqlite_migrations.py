"""The quick start's database: every migration applies to a fresh SQLite file (the embedded
default of ``./dev up``), and the summary triggers survive it (rma_portal/migrating.py)."""

import os
import sqlite3
import subprocess
import sys

from tests.conftest import ROOT


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_fresh_sqlite_database_migrates_and_keeps_its_triggers_and_foreign_keys(tmp_path):
    path = tmp_path / "db.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{path}", DJANGO_DEBUG="1")
    env.pop("CELERY_BROKER_URL", None)

    done = manage(env, "migrate", "--no-input", "-v0")

    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(path)
    on_units = {
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'warranty_unit'"
        )
    }
    assert on_units == {
        "warranty_unitcount_insert",
        "warranty_unitcount_delete",
        "warranty_unitcount_update",
        "claims_noticeditem_unit_insert",
        "claims_noticeditem_unit_update",
    }
    references = {row[2] for row in db.execute("PRAGMA foreign_key_list(warranty_unit)")}
    assert references == {"warranty_shipment", "warranty_productmodel"}
    db.close()

    shell = manage(env, "shell", "--no-imports", "-c", WRITE_UNITS)

    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == ["counted", "2", "refused"]


# Through Django, as the app writes: two units counted, one of a missing shipment refused.
WRITE_UNITS = """
import datetime
from django.db import IntegrityError, transaction
from accounts.models import Organisation
from warranty.models import ProductModel, Shipment, Unit, UnitCount
buyer = Organisation.objects.create(code="acme", name="Acme")
model = ProductModel.objects.create(code="CAM-1", name="Camera")
shipment = Shipment.objects.create(pi_number="PI-1", po_number="PO-1", buyer=buyer,
                                   shipment_date=datetime.date(2026, 1, 2))
for serial in ("SN-1", "SN-2"):
    Unit.objects.create(serial_number=serial, shipment=shipment, product_model=model, unit_price=10)
print("counted", UnitCount.objects.get().units)
try:
    with transaction.atomic():
        Unit.objects.create(serial_number="SN-3", shipment_id=999, product_model=model,
                            unit_price=10)
except IntegrityError:
    print("refused")
"""
