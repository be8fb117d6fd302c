import csv
import datetime
import io
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Organisation
from tests.conftest import ROOT, worker_env
from tests.factories import OrganisationFactory, ProductModelFactory, UnitFactory
from warranty import importing
from warranty.models import Shipment, Unit

HEADER = [
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
# Lines 2-4 of the file: two shipments for buyer "acme".
GOOD_ROWS = [
    ["PI-1", "PO-1", "acme", "2025-06-02", "2025-06-10", "SN-1", "CAM-100", "120.00", "USD"],
    ["PI-1", "PO-1", "acme", "2025-06-02", "2025-06-10", "SN-2", "DVR-8", "80.50", "USD"],
    ["PI-2", "PO-2", "acme", "2025-07-01", "", "SN-3", "CAM-100", "95", "eur"],
]


@pytest.fixture
def catalogue(db):
    """The buyer and the models the good rows name."""
    OrganisationFactory(code="acme", name="Acme Security")
    ProductModelFactory(code="CAM-100")
    ProductModelFactory(code="DVR-8")


def write_csv(tmp_path, rows, header=HEADER, name="shipments.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(path, *args):
    """(stdout, stderr) of a successful run of the command."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_shipments", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing_import(path, *args):
    """The stderr of a run that must fail with exit status 1."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_shipments", str(path), *args, stdout=out, stderr=err)
    assert failure.value.returncode == 1
    assert "nothing was imported" in str(failure.value)
    return err.getvalue()


def snapshot():
    return (
        sorted(
            Shipment.objects.values_list(
                "pi_number", "po_number", "buyer__code", "shipment_date", "delivery_date"
            )
        ),
        sorted(
            Unit.objects.values_list(
                "serial_number",
                "shipment__pi_number",
                "product_model__code",
                "unit_price",
                "currency",
            )
        ),
    )


def test_a_good_file_creates_its_shipments_and_units(catalogue, tmp_path):
    out, _ = run_import(write_csv(tmp_path, GOOD_ROWS))

    shipments, units = snapshot()
    assert shipments == [
        ("PI-1", "PO-1", "acme", datetime.date(2025, 6, 2), datetime.date(2025, 6, 10)),
        ("PI-2", "PO-2", "acme", datetime.date(2025, 7, 1), None),
    ]
    assert units == [
        ("SN-1", "PI-1", "CAM-100", Decimal("120.00"), "USD"),
        ("SN-2", "PI-1", "DVR-8", Decimal("80.50"), "USD"),
        ("SN-3", "PI-2", "CAM-100", Decimal("95.00"), "EUR"),
    ]
    assert "2 shipments created" in out
    assert "3 units created" in out


BAD_ROWS = {
    "unknown model": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "NOPE-1", "10", "USD"],
        "model_code",
        "Unknown model code 'NOPE-1'",
    ),
    "duplicate serial in the file": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-1", "CAM-100", "10", "USD"],
        "serial_number",
        "Serial number SN-1 is already on line 2 of this file",
    ),
    "delivery before shipment": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "2025-06-01", "SN-9", "CAM-100", "10", "USD"],
        "delivery_date",
        "The delivery date 2025-06-01 is before the shipment date 2025-06-02",
    ),
    "date not in YYYY-MM-DD form": (
        ["PI-9", "PO-9", "acme", "02/06/2025", "", "SN-9", "CAM-100", "10", "USD"],
        "shipment_date",
        "'02/06/2025' is not a date in YYYY-MM-DD form",
    ),
    "date that does not exist": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "2025-02-30", "SN-9", "CAM-100", "10", "USD"],
        "delivery_date",
        "'2025-02-30' is not a real date",
    ),
    "missing shipment date": (
        ["PI-9", "PO-9", "acme", "", "", "SN-9", "CAM-100", "10", "USD"],
        "shipment_date",
        "'' is not a date in YYYY-MM-DD form",
    ),
    "missing PI": (
        ["", "PO-9", "acme", "2025-06-02", "", "SN-9", "CAM-100", "10", "USD"],
        "pi_number",
        "The PI number is missing",
    ),
    "missing PO": (
        ["PI-9", "", "acme", "2025-06-02", "", "SN-9", "CAM-100", "10", "USD"],
        "po_number",
        "The PO number is missing",
    ),
    "missing serial": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "", "CAM-100", "10", "USD"],
        "serial_number",
        "The serial number is missing",
    ),
    "missing buyer": (
        ["PI-9", "PO-9", "", "2025-06-02", "", "SN-9", "CAM-100", "10", "USD"],
        "buyer",
        "The buyer organisation code is missing",
    ),
    "unknown buyer": (
        ["PI-9", "PO-9", "globex", "2025-06-02", "", "SN-9", "CAM-100", "10", "USD"],
        "buyer",
        "Unknown buyer organisation code 'globex'",
    ),
    "zero price": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "CAM-100", "0", "USD"],
        "unit_price",
        "The unit price must be positive, not 0",
    ),
    "negative price": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "CAM-100", "-5.00", "USD"],
        "unit_price",
        "The unit price must be positive, not -5.00",
    ),
    "malformed price": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "CAM-100", "1,200.00", "USD"],
        "unit_price",
        "'1,200.00' is not a number",
    ),
    "price with fractions of a cent": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "CAM-100", "10.005", "USD"],
        "unit_price",
        "10.005 has more than 2 decimal places",
    ),
    "currency not 3 letters": (
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "CAM-100", "10", "US$"],
        "currency",
        "'US$' is not a 3-letter currency code",
    ),
    "rows of one PI that disagree": (
        ["PI-1", "PO-OTHER", "acme", "2025-06-02", "2025-06-10", "SN-9", "CAM-100", "10", "USD"],
        "po_number",
        "PI PI-1 has po_number 'PO-1' on line 2 but 'PO-OTHER' here",
    ),
}


@pytest.mark.parametrize("row, column, message", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_one_bad_row_rejects_the_whole_file_with_its_line_number(
    catalogue, tmp_path, row, column, message
):
    # The bad row is line 4, between good rows: none of them is imported.
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], row, GOOD_ROWS[2]]

    err = run_failing_import(write_csv(tmp_path, rows))

    assert f"line 4, {column}: {message}" in err
    assert len(err.splitlines()) == 1
    assert Shipment.objects.count() == 0
    assert Unit.objects.count() == 0


def test_every_bad_row_is_reported_not_only_the_first(catalogue, tmp_path):
    rows = [
        GOOD_ROWS[0],
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "NOPE-1", "10", "USD"],
        ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-8", "CAM-100", "abc", "USD"],
    ]

    err = run_failing_import(write_csv(tmp_path, rows))

    assert "line 3, model_code: Unknown model code 'NOPE-1'" in err
    assert "line 4, unit_price: 'abc' is not a number" in err


def test_line_numbers_are_the_files_own_counting_blank_lines(catalogue, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        ",".join(HEADER)
        + "\n"
        + ",".join(GOOD_ROWS[0])
        + "\n\n,,,,,,,,\n"
        + "PI-9,PO-9,acme,2025-06-02,,SN-9,NOPE-1,10,USD\n"
    )

    err = run_failing_import(path)

    assert "line 5, model_code: Unknown model code 'NOPE-1'" in err


def test_wrong_header_columns_are_a_line_1_error(catalogue, tmp_path):
    header = [*HEADER[:-1], "curency"]

    err = run_failing_import(write_csv(tmp_path, GOOD_ROWS, header=header))

    assert "line 1: The header must name the columns" in err
    assert "missing currency" in err
    assert "unexpected curency" in err
    assert Shipment.objects.count() == 0


def test_columns_may_come_in_any_order(catalogue, tmp_path):
    order = list(reversed(range(len(HEADER))))
    rows = [[row[i] for i in order] for row in GOOD_ROWS]

    run_import(write_csv(tmp_path, rows, header=[HEADER[i] for i in order]))

    assert Unit.objects.count() == 3


def test_a_row_with_too_few_values_is_an_error(catalogue, tmp_path):
    err = run_failing_import(write_csv(tmp_path, [GOOD_ROWS[0], GOOD_ROWS[1][:5]]))

    assert "line 3: Expected 9 values, found 5." in err


def test_a_file_that_is_not_utf8_text_is_rejected(catalogue, tmp_path):
    path = tmp_path / "shipments.csv"
    path.write_bytes((",".join(HEADER) + "\n").encode() + b"PI-1,PO-1,\xff\xfe\x00garbage\n")

    err = run_failing_import(path)

    assert "The file is not UTF-8 text" in err


def test_a_serial_registered_to_another_shipment_is_an_error(catalogue, tmp_path):
    UnitFactory(serial_number="SN-2", shipment__pi_number="PI-OLD")

    err = run_failing_import(write_csv(tmp_path, GOOD_ROWS))

    assert "line 3, serial_number: Serial number SN-2 is already registered on PI PI-OLD." in err
    assert not Shipment.objects.filter(pi_number__in=["PI-1", "PI-2"]).exists()


def test_a_serial_registered_with_other_values_is_an_error(catalogue, tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    changed = [*GOOD_ROWS[1][:7], "99.00", "USD"]
    before = snapshot()

    err = run_failing_import(write_csv(tmp_path, [GOOD_ROWS[0], changed], name="changed.csv"))

    assert (
        "line 3, unit_price: Serial number SN-2 is already registered with unit_price 80.50" in err
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    "model, price, currency, message",
    [
        (
            "CAM-100",
            "80.50",
            "USD",
            "model_code: Serial number SN-2 is already registered with "
            "model_code DVR-8, not CAM-100.",
        ),
        (
            "DVR-8",
            "80.50",
            "EUR",
            "currency: Serial number SN-2 is already registered with currency USD, not EUR.",
        ),
    ],
    ids=["model", "currency"],
)
def test_a_serial_registered_with_another_model_or_currency_is_an_error(
    catalogue, tmp_path, model, price, currency, message
):
    # The rest of the file is good: the grouped checks alone must see the difference.
    run_import(write_csv(tmp_path, GOOD_ROWS))
    changed = [*GOOD_ROWS[1][:6], model, price, currency]
    before = snapshot()

    err = run_failing_import(write_csv(tmp_path, [GOOD_ROWS[0], changed], name="changed.csv"))

    assert f"line 3, {message}" in err
    assert snapshot() == before


def test_a_pi_on_record_with_another_po_is_an_error(catalogue, tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    row = ["PI-2", "PO-X", "acme", "2025-07-01", "", "SN-4", "CAM-100", "95", "EUR"]

    err = run_failing_import(write_csv(tmp_path, [row], name="more.csv"))

    assert "line 2, po_number: PI PI-2 is already recorded with po_number PO-2, not PO-X." in err


def test_a_serial_on_record_listed_twice_in_a_re_import_is_an_error(catalogue, tmp_path):
    # Rows of serials on record are not written, so the unique constraint never sees them.
    run_import(write_csv(tmp_path, GOOD_ROWS))
    before = snapshot()

    err = run_failing_import(write_csv(tmp_path, [*GOOD_ROWS, GOOD_ROWS[1]], name="again.csv"))

    assert "line 5, serial_number: Serial number SN-2 is already on line 3 of this file." in err
    assert len(err.splitlines()) == 1
    assert snapshot() == before


def test_re_importing_the_same_file_changes_nothing(catalogue, tmp_path):
    path = write_csv(tmp_path, GOOD_ROWS)
    run_import(path)
    before = snapshot()

    out, err = run_import(path)

    assert snapshot() == before
    assert err == ""
    assert "0 shipments created, 0 updated, 2 unchanged; 0 units created, 3 unchanged" in out


def test_new_units_of_a_pi_on_record_join_its_shipment(catalogue, tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    row = ["PI-2", "PO-2", "acme", "2025-07-01", "", "SN-4", "DVR-8", "60", "EUR"]

    out, _ = run_import(write_csv(tmp_path, [GOOD_ROWS[2], row], name="more.csv"))

    assert Unit.objects.get(serial_number="SN-4").shipment.pi_number == "PI-2"
    assert Shipment.objects.count() == 2
    assert "1 unit created, 1 unchanged" in out


def test_re_import_fills_in_a_delivery_date_that_was_empty(catalogue, tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    delivered = [*GOOD_ROWS[2][:4], "2025-07-09", *GOOD_ROWS[2][5:]]

    out, _ = run_import(write_csv(tmp_path, [*GOOD_ROWS[:2], delivered], name="delivered.csv"))

    assert Shipment.objects.get(pi_number="PI-2").delivery_date == datetime.date(2025, 7, 9)
    assert "0 shipments created, 1 updated, 1 unchanged" in out
    assert "Delivery date filled in for PI PI-2." in out


def test_re_import_may_not_change_a_recorded_delivery_date(catalogue, tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    moved = [*GOOD_ROWS[0][:4], "2025-06-11", *GOOD_ROWS[0][5:]]

    err = run_failing_import(write_csv(tmp_path, [moved], name="moved.csv"))

    assert "line 2, delivery_date: PI PI-1 is already recorded with delivery date 2025-06-10" in err
    assert Shipment.objects.get(pi_number="PI-1").delivery_date == datetime.date(2025, 6, 10)


def test_an_empty_delivery_date_keeps_the_recorded_one(catalogue, tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    undated = [*GOOD_ROWS[0][:4], "", *GOOD_ROWS[0][5:]]

    run_import(write_csv(tmp_path, [undated], name="undated.csv"))

    assert Shipment.objects.get(pi_number="PI-1").delivery_date == datetime.date(2025, 6, 10)


def test_create_buyers_creates_unknown_organisations_named_after_their_code(catalogue, tmp_path):
    rows = [[row[0], row[1], "globex", *row[3:]] for row in GOOD_ROWS]

    out, _ = run_import(write_csv(tmp_path, rows), "--create-buyers")

    globex = Organisation.objects.get(code="globex")
    assert globex.name == "globex"
    assert set(Shipment.objects.values_list("buyer__code", flat=True)) == {"globex"}
    assert "Buyer organisations created: code globex." in out


def test_create_buyers_refuses_a_code_that_cannot_be_an_organisation_code(catalogue, tmp_path):
    rows = [[row[0], row[1], "Glo Bex!", *row[3:]] for row in GOOD_ROWS[:1]]

    err = run_failing_import(write_csv(tmp_path, rows), "--create-buyers")

    assert "line 2, buyer: 'Glo Bex!' cannot be an organisation code" in err
    assert not Organisation.objects.filter(name="Glo Bex!").exists()


def test_progress_reports_rows_checked_up_to_the_total(catalogue, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "PROGRESS_STEP", 2)
    calls = []

    importing.import_shipments(
        source=write_csv(tmp_path, GOOD_ROWS),
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(2, 3), (3, 3)]


def test_the_bulk_create_path_used_on_sqlite_writes_the_same_rows(catalogue, tmp_path, monkeypatch):
    # PostgreSQL writes units with COPY; the embedded SQLite default uses bulk_create.
    monkeypatch.setattr(connection, "vendor", "sqlite")

    result = importing.import_shipments(source=write_csv(tmp_path, GOOD_ROWS))

    assert result.units_created == 3
    assert snapshot()[1] == [
        ("SN-1", "PI-1", "CAM-100", Decimal("120.00"), "USD"),
        ("SN-2", "PI-1", "DVR-8", Decimal("80.50"), "USD"),
        ("SN-3", "PI-2", "CAM-100", Decimal("95.00"), "EUR"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_with_status_1_and_imports_nothing(tmp_path):
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    ProductModelFactory(code="DVR-8")
    bad = ["PI-9", "PO-9", "acme", "2025-06-02", "", "SN-9", "NOPE-1", "10", "USD"]
    path = write_csv(tmp_path, [*GOOD_ROWS, bad])

    done = subprocess.run(
        [sys.executable, "manage.py", "import_shipments", str(path)],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "line 5, model_code: Unknown model code 'NOPE-1'" in done.stderr
    assert Unit.objects.count() == 0


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_command_shows_a_progress_line(catalogue, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "PROGRESS_STEP", 2)
    out = Terminal()

    call_command("import_shipments", str(write_csv(tmp_path, GOOD_ROWS)), stdout=out)

    assert "\rChecked 2 of 3 rows\rChecked 3 of 3 rows — writing…\n" in out.getvalue()


def test_serials_registered_by_another_import_meanwhile_reject_the_file(
    catalogue, tmp_path, monkeypatch
):
    write = importing._write_shipments

    def write_after_a_competitor(**kwargs):
        UnitFactory(serial_number="SN-3")  # committed by "another import" after our check
        return write(**kwargs)

    monkeypatch.setattr(importing, "_write_shipments", write_after_a_competitor)

    with pytest.raises(importing.ImportRejected) as rejected:
        importing.import_shipments(source=write_csv(tmp_path, GOOD_ROWS))

    assert "Another import registered some of these" in rejected.value.errors[0].message
    assert not Shipment.objects.filter(pi_number__in=["PI-1", "PI-2"]).exists()
