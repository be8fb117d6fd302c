"""The two shipment checkers, SQL on PostgreSQL and Python on SQLite, give the same errors."""

import pytest
from django.db import connection

from tests.factories import OrganisationFactory, ProductModelFactory, UnitFactory
from tests.warranty.test_import_shipments import BAD_ROWS, GOOD_ROWS, HEADER, write_csv
from warranty import importing

pytestmark = pytest.mark.django_db

# Rows that fail several checks at once, rows that disagree with their PI's first good row, and
# rows that contradict the records: the order of a line's errors must agree too.
MIXED_ROWS = [
    ["", "", "", "2025-13-01", "2025-00-10", "", "", "", ""],
    ["PI-1", "PO-1", "acme", "2025-06-02", "2025-06-11", "SN-1", "DVR-8", "1.2.3", "usd"],
    ["PI-3", "PO-3", "globex", "0000-01-01", "2025-02-29", "SN-10", "CAM-100", "9e9", "U1D"],
    ["PI-OLD", "PO-NEW", "acme", "2024-01-02", "2024-01-09", "SN-OLD", "DVR-8", "99.99", "EUR"],
    ["PI-OLD", "PO-OLD", "acme", "2024-01-02", "", "SN-OLD", "CAM-100", "12345678901", "USD"],
    ["PI-4", "PO-4", "acme", "2024-02-29", "2024-02-28", "SN-MOVED", "CAM-100", "1.000", "usd"],
    ["X" * 65, "P" * 65, "acme", "2025-06-02", "", "S" * 65, "CAM-100", "-0", "EURO"],
]


def errors_of(path, **options):
    with pytest.raises(importing.ImportRejected) as rejected:
        importing.import_shipments(source=path, **options)
    return [(e.line, e.column, e.message) for e in rejected.value.errors]


@pytest.fixture
def records(db):
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    ProductModelFactory(code="DVR-8")
    UnitFactory(
        serial_number="SN-OLD",
        shipment__pi_number="PI-OLD",
        shipment__po_number="PO-OLD",
        shipment__buyer__code="acme-old",
        product_model__code="CAM-OLD",
    )
    UnitFactory(serial_number="SN-MOVED", shipment__pi_number="PI-ELSEWHERE")


@pytest.mark.parametrize("create_buyers", [False, True])
def test_sql_and_python_checks_report_the_same_errors(
    records, tmp_path, monkeypatch, create_buyers
):
    rows = [*GOOD_ROWS, *(row for row, _column, _message in BAD_ROWS.values()), *MIXED_ROWS]
    path = write_csv(tmp_path, rows, header=HEADER)
    assert connection.vendor == "postgresql"

    in_sql = errors_of(path, create_buyers=create_buyers)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    in_python = errors_of(path, create_buyers=create_buyers)

    assert len(in_sql) > 40
    assert in_sql == in_python
