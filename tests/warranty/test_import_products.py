import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import UnitFactory
from warranty.models import Component, ProductModel

HEADER = ["model_code", "name", "is_camera_module", "mechanical_wear", "components"]
GOOD_ROWS = [
    ["CAM-100", "Dome camera module", "true", "false", ""],
    [
        "PTZ-20",
        "PTZ camera",
        "false",
        "true",
        "camera_module:sensor board;mechanical:pan motor;third_party:PSU",
    ],
    ["DVR-8", "8-channel recorder", "FALSE", "False", "standard:mainboard"],
]


def write_csv(tmp_path, rows, header=HEADER, name="products.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(path):
    out = io.StringIO()
    call_command("import_products", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing_import(path):
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_products", str(path), stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    return err.getvalue()


def catalogue():
    return {
        product.code: (
            product.name,
            product.is_camera_module,
            product.mechanical_wear,
            sorted((c.name, c.kind) for c in product.components.all()),
        )
        for product in ProductModel.objects.prefetch_related("components")
    }


@pytest.mark.django_db
def test_a_good_file_creates_models_with_their_flags_and_components(tmp_path):
    out = run_import(write_csv(tmp_path, GOOD_ROWS))

    assert catalogue() == {
        "CAM-100": ("Dome camera module", True, False, []),
        "PTZ-20": (
            "PTZ camera",
            False,
            True,
            [
                ("PSU", "third_party"),
                ("pan motor", "mechanical"),
                ("sensor board", "camera_module"),
            ],
        ),
        "DVR-8": ("8-channel recorder", False, False, [("mainboard", "standard")]),
    }
    assert "3 product models created" in out


@pytest.mark.django_db
def test_re_importing_updates_by_model_code_and_replaces_the_component_list(tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    keep = Component.objects.get(name="pan motor")
    changed = [
        [
            "PTZ-20",
            "PTZ camera II",
            "false",
            "true",
            "mechanical:pan motor;standard:PSU;mechanical:tilt motor",
        ],
    ]

    out = run_import(write_csv(tmp_path, changed, name="changed.csv"))

    assert catalogue()["PTZ-20"] == (
        "PTZ camera II",
        False,
        True,
        [("PSU", "standard"), ("pan motor", "mechanical"), ("tilt motor", "mechanical")],
    )
    # A component still listed keeps its identity (claims may name it as the failed part).
    assert Component.objects.get(name="pan motor").pk == keep.pk
    assert ProductModel.objects.count() == 3
    assert "0 product models created, 1 updated, 0 unchanged" in out
    assert "components: 1 created, 1 updated, 1 removed" in out


@pytest.mark.django_db
def test_re_importing_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, GOOD_ROWS)
    run_import(path)
    before = catalogue()
    ids = sorted(Component.objects.values_list("pk", flat=True))

    out = run_import(path)

    assert catalogue() == before
    assert sorted(Component.objects.values_list("pk", flat=True)) == ids
    assert "0 product models created, 0 updated, 3 unchanged" in out


BAD_ROWS = {
    "boolean not true/false": (
        ["BAD-1", "Thing", "yes", "false", ""],
        "is_camera_module",
        "Write true or false, not 'yes'.",
    ),
    "unknown component kind": (
        ["BAD-1", "Thing", "false", "false", "plastic:lid"],
        "components",
        "Component 'plastic:lid' must be kind:name with kind one of",
    ),
    "component without a name": (
        ["BAD-1", "Thing", "false", "false", "standard:"],
        "components",
        "Component 'standard:' must be kind:name",
    ),
    "component listed twice": (
        ["BAD-1", "Thing", "false", "false", "standard:lid;mechanical:lid"],
        "components",
        "Component 'lid' is listed twice.",
    ),
    "model code listed twice": (
        ["CAM-100", "Again", "false", "false", ""],
        "model_code",
        "Model CAM-100 is listed twice (line 2).",
    ),
    "missing model code": (
        ["", "Thing", "false", "false", ""],
        "model_code",
        "The model code is missing.",
    ),
    "missing name": (["BAD-1", "", "false", "false", ""], "name", "The name is missing."),
}


@pytest.mark.django_db
@pytest.mark.parametrize("row, column, message", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_one_bad_row_rejects_the_whole_file_with_its_line_number(tmp_path, row, column, message):
    err = run_failing_import(write_csv(tmp_path, [GOOD_ROWS[0], row, GOOD_ROWS[1]]))

    assert f"line 3, {column}: {message}" in err
    assert ProductModel.objects.count() == 0
    assert Component.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_row_in_a_re_import_leaves_the_records_as_they_were(tmp_path):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    before = catalogue()
    rows = [["CAM-100", "Renamed", "true", "false", ""], ["X", "Thing", "maybe", "false", ""]]

    err = run_failing_import(write_csv(tmp_path, rows, name="bad.csv"))

    assert "line 3, is_camera_module" in err
    assert catalogue() == before


@pytest.mark.django_db
def test_wrong_header_columns_are_a_line_1_error(tmp_path):
    err = run_failing_import(write_csv(tmp_path, GOOD_ROWS, header=HEADER[:4]))

    assert "line 1: The header must name the columns" in err
    assert "missing components" in err
    assert ProductModel.objects.count() == 0


@pytest.mark.django_db
def test_a_component_that_a_claim_names_cannot_be_removed(tmp_path):
    from claims.models import Claim, ClaimItem

    run_import(write_csv(tmp_path, GOOD_ROWS))
    unit = UnitFactory(product_model=ProductModel.objects.get(code="PTZ-20"))
    claim = Claim.objects.create(organisation=unit.shipment.buyer)
    ClaimItem.objects.create(
        claim=claim,
        unit=unit,
        serial_number=unit.serial_number,
        model_code="PTZ-20",
        defect_kind="hidden",
        defect_date=datetime.date(2025, 7, 1),
        component=Component.objects.get(name="pan motor"),
    )
    before = catalogue()
    rows = [
        ["CAM-100", "Renamed", "true", "false", ""],
        ["PTZ-20", "PTZ camera", "false", "true", ""],
    ]

    err = run_failing_import(write_csv(tmp_path, rows, name="fewer.csv"))

    assert "line 3, components: Components of PTZ-20 that claims refer to cannot be removed" in err
    assert catalogue() == before
