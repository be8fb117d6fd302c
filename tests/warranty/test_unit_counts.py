"""Units per (shipment, model), ``UnitCount``: exact after every way units are written (issues
15, 19; warranty/summaries.py)."""

import pytest
from django.db import connection
from django.db.models import Count

from tests.factories import ProductModelFactory, ShipmentFactory, UnitFactory
from warranty.models import Unit, UnitCount

from .test_import_shipments import (  # noqa: F401 (catalogue is a fixture)
    GOOD_ROWS,
    catalogue,
    run_failing_import,
    run_import,
    write_csv,
)

pytestmark = pytest.mark.django_db


def counted():
    return sorted(
        UnitCount.objects.values_list("shipment__pi_number", "product_model__code", "units")
    )


def truth():
    """The same counts, grouped from the units themselves."""
    return sorted(
        Unit.objects.values_list("shipment__pi_number", "product_model__code")
        .annotate(n=Count("pk"))
        .order_by()
    )


@pytest.mark.usefixtures("catalogue")
def test_an_import_counts_its_units_per_shipment_and_model(tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))

    assert counted() == [("PI-1", "CAM-100", 1), ("PI-1", "DVR-8", 1), ("PI-2", "CAM-100", 1)]
    assert counted() == truth()


@pytest.mark.usefixtures("catalogue")
def test_a_re_import_changes_no_count_and_new_units_of_a_pi_on_record_add_to_it(tmp_path):
    path = write_csv(tmp_path, GOOD_ROWS)
    run_import(path)
    run_import(path)
    assert counted() == truth()

    more = [["PI-1", "PO-1", "acme", "2025-06-02", "2025-06-10", "SN-9", "CAM-100", "120", "USD"]]
    run_import(write_csv(tmp_path, more, name="more.csv"))

    assert ("PI-1", "CAM-100", 2) in counted()
    assert counted() == truth()


@pytest.mark.usefixtures("catalogue")
def test_a_refused_import_leaves_the_counts_as_they_were(tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    before = counted()
    rows = [
        ["PI-3", "PO-3", "acme", "2025-08-01", "", "SN-10", "CAM-100", "10", "USD"],
        ["PI-3", "PO-3", "acme", "2025-08-01", "", "SN-11", "NO-SUCH-MODEL", "10", "USD"],
    ]

    run_failing_import(write_csv(tmp_path, rows, name="bad.csv"))

    assert counted() == before


def test_units_moved_repriced_or_deleted_keep_the_counts_exact():
    camera, recorder = ProductModelFactory(code="CAM-1"), ProductModelFactory(code="NVR-1")
    first, second = ShipmentFactory(pi_number="PI-A"), ShipmentFactory(pi_number="PI-B")
    units = [UnitFactory(shipment=first, product_model=camera) for _n in range(3)]
    Unit.objects.bulk_create(
        [
            Unit(serial_number=f"B-{n}", shipment=second, product_model=recorder, unit_price=5)
            for n in range(4)
        ]
    )
    assert counted() == [("PI-A", "CAM-1", 3), ("PI-B", "NVR-1", 4)]

    Unit.objects.filter(pk=units[0].pk).update(shipment=second)  # one unit moved
    Unit.objects.filter(shipment=second).update(unit_price=7)  # a price: no count moves
    Unit.objects.filter(pk=units[1].pk).update(product_model=recorder)
    moved = [("PI-A", "CAM-1", 1), ("PI-A", "NVR-1", 1), ("PI-B", "CAM-1", 1), ("PI-B", "NVR-1", 4)]
    assert counted() == moved
    assert counted() == truth()

    Unit.objects.filter(product_model=recorder).delete()

    assert counted() == [("PI-A", "CAM-1", 1), ("PI-B", "CAM-1", 1)]
    assert counted() == truth()


def test_truncating_the_units_with_their_shipments_empties_the_counts():
    UnitFactory()
    assert counted() != []

    with connection.cursor() as cursor:  # as the benches and Django's flush do
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows above are checked now
        cursor.execute("TRUNCATE warranty_shipment, warranty_unit CASCADE")

    assert counted() == []
