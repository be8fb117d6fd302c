"""A file with very many errors: the first ``MAX_LISTED_ERRORS`` by line are listed, all are
counted, and memory stays flat (the whole file is still refused: all or nothing)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory
from tests.warranty.test_import_shipments import catalogue, write_csv  # noqa: F401 (fixture)
from warranty import importing
from warranty.models import Shipment, ShipmentImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_listed(monkeypatch):
    monkeypatch.setattr(importing, "MAX_LISTED_ERRORS", 3)


def unknown_models(count: int) -> list[list[str]]:
    """Rows each with one error (an unknown model), on lines 2 … count + 1."""
    return [
        ["PI-1", "PO-1", "acme", "2025-06-02", "", f"SN-{n}", f"NOPE-{n}", "10.00", "USD"]
        for n in range(count)
    ]


def rejected(path):
    with pytest.raises(importing.ImportRejected) as failure:
        importing.import_shipments(source=path)
    return failure.value


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_first_errors_by_line_are_listed_and_all_are_counted(
    catalogue,  # noqa: F811
    three_listed,
    tmp_path,
    monkeypatch,
    vendor,
):
    path = write_csv(tmp_path, unknown_models(5))
    monkeypatch.setattr(connection, "vendor", vendor)  # the SQL checker, or the Python one

    failure = rejected(path)

    assert [(e.line, e.code, e.params) for e in failure.errors] == [
        (2, "model_unknown", {"code": "NOPE-0"}),
        (3, "model_unknown", {"code": "NOPE-1"}),
        (4, "model_unknown", {"code": "NOPE-2"}),
    ]
    assert failure.total == 5
    assert failure.message == (
        "5 errors in the file; nothing was imported. The first 3 are listed."
    )
    with translation.override("ko"):
        assert importing.import_messages.rejected(5, listed=3) == (
            "파일에 오류가 5개 있습니다. 아무것도 가져오지 않았습니다. 처음 3개를 표시합니다."
        )
    assert Shipment.objects.count() == 0


def test_the_reader_s_own_errors_are_counted_past_the_listed_ones_too(
    catalogue,  # noqa: F811
    three_listed,
    tmp_path,
):
    rows = [["PI-1", "PO-1", "acme", "2025-06-02"] for _n in range(6)]  # 4 of 9 values each
    failure = rejected(write_csv(tmp_path, rows))

    assert [(e.line, e.code) for e in failure.errors] == [(n, "wrong_width") for n in (2, 3, 4)]
    assert failure.total == 6


def test_a_background_import_keeps_the_first_errors_and_says_how_many_there_were(
    catalogue,  # noqa: F811
    three_listed,
    client,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = UserFactory(organisation=None, is_staff=True, is_superuser=True, language="en")
    upload = SimpleUploadedFile("many.csv", write_csv(tmp_path, unknown_models(5)).read_bytes())
    job = importing.create_shipment_import(
        upload=upload, uploaded_by=clerk, create_buyers=False, rows_total=5
    )
    importing.run_queued_shipment_import(import_id=job.pk)
    job = ShipmentImport.objects.get(pk=job.pk)
    client.force_login(clerk)

    page = client.get(reverse("admin:warranty_shipment_import_status", args=[job.pk])).text
    report = client.get(reverse("admin:warranty_shipment_import_errors", args=[job.pk]))

    assert len(job.errors) == 3 and job.counts == {"errors": 5}
    assert "5 errors in the file; nothing was imported. The first 3 are listed." in page
    assert "The first 3 of 5 errors are shown; the error report has the first 3." in page
    rows = list(csv.reader(io.StringIO(report.content.decode())))
    assert [row[0] for row in rows] == ["line", "2", "3", "4"]
