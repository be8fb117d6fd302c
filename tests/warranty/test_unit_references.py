"""A unit's shipment and model exist: the statement-level checks that replace the two foreign
keys on PostgreSQL (warranty/integrity.py, issue 19) refuse what the foreign keys refused."""

import threading
import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import ProductModelFactory, ShipmentFactory, UnitFactory
from warranty.models import ProductModel, Shipment, Unit

pytestmark = pytest.mark.django_db

MISSING = 2**62


def insert_units(*rows):
    """One INSERT statement of (serial, shipment id, model id) rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO warranty_unit "
            "(serial_number, shipment_id, product_model_id, unit_price, currency) VALUES "
            + ", ".join(["(%s, %s, %s, 10, 'USD')"] * len(rows)),
            [value for row in rows for value in row],
        )


def test_the_units_table_has_no_foreign_key_constraints_but_the_checks():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'warranty_unit'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'warranty\\_unit\\_%%' ORDER BY 1"
        )
        assert [name for (name,) in cursor.fetchall()] == [
            "warranty_unit_parents_insert",
            "warranty_unit_parents_update",
            "warranty_unit_product_model_id_kept_delete",
            "warranty_unit_product_model_id_kept_truncate",
            "warranty_unit_product_model_id_kept_update",
            "warranty_unit_shipment_id_kept_delete",
            "warranty_unit_shipment_id_kept_truncate",
            "warranty_unit_shipment_id_kept_update",
        ]


@pytest.mark.parametrize("column", ["shipment_id", "product_model_id"])
def test_a_statement_naming_one_missing_parent_writes_none_of_its_units(column):
    shipment, model = ShipmentFactory(), ProductModelFactory()
    bad = (MISSING, model.pk) if column == "shipment_id" else (shipment.pk, MISSING)

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        insert_units(
            ("SN-1", shipment.pk, model.pk), ("SN-2", *bad), ("SN-3", shipment.pk, model.pk)
        )

    assert f"Key ({column})=({MISSING}) is not present" in str(refused.value)
    assert refused.value.__cause__.sqlstate == "23503"  # foreign_key_violation, as before
    assert Unit.objects.count() == 0


def test_units_whose_parents_exist_are_written_and_counted():
    shipment, model = ShipmentFactory(), ProductModelFactory()

    insert_units(("SN-1", shipment.pk, model.pk), ("SN-2", shipment.pk, model.pk))

    assert Unit.objects.filter(shipment=shipment, product_model=model).count() == 2


def test_the_orm_paths_are_checked_too():
    unit = UnitFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.bulk_create(
            [
                Unit(
                    serial_number="SN-X",
                    shipment_id=MISSING,
                    product_model=unit.product_model,
                    unit_price=5,
                )
            ]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(product_model_id=MISSING)

    unit.refresh_from_db()
    assert Unit.objects.count() == 1 and unit.product_model_id != MISSING


@pytest.mark.parametrize("parent", ["shipment", "product_model"])
def test_a_parent_that_units_name_cannot_be_deleted_or_renumbered(parent):
    unit = UnitFactory()
    named = getattr(unit, parent)
    unused = ShipmentFactory() if parent == "shipment" else ProductModelFactory()
    table = named._meta.db_table

    for sql in (
        f"DELETE FROM {table} WHERE id IN (%s, %s)",
        f"UPDATE {table} SET id = -id WHERE id IN (%s, %s)",
    ):
        with (
            pytest.raises(IntegrityError) as refused,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [unused.pk, named.pk])
        assert f"Key (id)=({named.pk}) is still referenced" in str(refused.value)

    assert type(named).objects.filter(pk__in=[named.pk, unused.pk]).count() == 2
    with connection.cursor() as cursor:  # one no unit names goes
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [unused.pk])
    assert not type(named).objects.filter(pk=unused.pk).exists()


def test_truncating_a_parent_table_needs_the_units_truncated_with_it():
    UnitFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the factory's rows are checked now
        for table in ("warranty_shipment", "warranty_productmodel"):
            with pytest.raises(Exception, match="units still reference it"), transaction.atomic():
                cursor.execute(f"TRUNCATE {table} CASCADE")
        assert Unit.objects.count() == 1

        cursor.execute("TRUNCATE warranty_unit, warranty_shipment, warranty_productmodel CASCADE")

    assert not Unit.objects.exists() and not Shipment.objects.exists()
    assert not ProductModel.objects.exists()


# --- Concurrent writers and deleters (committed data, two connections of our own) ----------


def connect(**options):
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"], host=db["HOST"], port=db["PORT"], user=db["USER"], **options
    )


def waiting_for_a_lock(pid: int) -> bool:
    with connect(autocommit=True) as watcher:
        for _ in range(100):
            row = watcher.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()
            if row and row[0] == "Lock":
                return True
            time.sleep(0.05)
    return False


def in_thread(work):
    """Run ``work`` in a thread; returns (thread, outcome) where outcome gets its exception."""
    outcome = {}

    def run():
        try:
            work()
            outcome["error"] = None
        except Exception as exc:  # noqa: BLE001 - what the other transaction met
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.fixture
def committed_parents(transactional_db):
    return ShipmentFactory(), ProductModelFactory()


UNIT_SQL = (
    "INSERT INTO warranty_unit (serial_number, shipment_id, product_model_id, unit_price, "
    "currency) VALUES (%s, %s, %s, 10, 'USD')"
)


def test_a_delete_waits_for_a_writer_of_its_units_then_refuses(committed_parents):
    shipment, model = committed_parents
    with connect() as writer, connect() as deleter:
        writer.execute(UNIT_SQL, ["SN-W", shipment.pk, model.pk])  # not committed yet
        deleter_pid = deleter.info.backend_pid
        thread, outcome = in_thread(
            lambda: deleter.execute("DELETE FROM warranty_shipment WHERE id = %s", [shipment.pk])
        )

        assert waiting_for_a_lock(deleter_pid)  # the writer's KEY SHARE lock on the shipment
        writer.commit()
        thread.join(10)

        assert isinstance(outcome["error"], psycopg.errors.ForeignKeyViolation)
        deleter.rollback()
    assert Shipment.objects.filter(pk=shipment.pk).exists()
    assert Unit.objects.filter(serial_number="SN-W", shipment=shipment).exists()


def test_a_writer_waits_for_a_delete_of_its_shipment_then_refuses(committed_parents):
    shipment, model = committed_parents
    with connect() as writer, connect() as deleter:
        deleter.execute("DELETE FROM warranty_shipment WHERE id = %s", [shipment.pk])
        writer_pid = writer.info.backend_pid
        thread, outcome = in_thread(
            lambda: writer.execute(UNIT_SQL, ["SN-W", shipment.pk, model.pk])
        )

        assert waiting_for_a_lock(writer_pid)
        deleter.commit()
        thread.join(10)

        assert isinstance(outcome["error"], psycopg.errors.ForeignKeyViolation)
        writer.rollback()
    assert not Shipment.objects.filter(pk=shipment.pk).exists()
    assert not Unit.objects.filter(serial_number="SN-W").exists()


def test_a_repeatable_read_delete_that_cannot_see_new_units_still_fails_at_commit(
    committed_parents,
):
    """Its own check cannot see units committed after its snapshot; the real foreign keys of
    UnitCount (kept in the writer's statement) refuse the delete."""
    shipment, model = committed_parents
    with connect() as deleter:
        deleter.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        deleter.execute("SELECT count(*) FROM warranty_unit")  # the snapshot: no units
        with connect(autocommit=True) as writer:
            writer.execute(UNIT_SQL, ["SN-W", shipment.pk, model.pk])

        with pytest.raises((psycopg.errors.IntegrityError, psycopg.errors.SerializationFailure)):
            deleter.execute("DELETE FROM warranty_shipment WHERE id = %s", [shipment.pk])
            deleter.commit()
        deleter.rollback()
    assert Shipment.objects.filter(pk=shipment.pk).exists()
    assert Unit.objects.filter(serial_number="SN-W", shipment=shipment).exists()
