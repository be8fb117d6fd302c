import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse

from tests.conftest import wait_for
from tests.factories import OrganisationFactory, ProductModelFactory, UserFactory
from warranty import importing
from warranty.models import ImportStatus, Shipment, ShipmentImport, Unit

HEADER = (
    "pi_number,po_number,buyer,shipment_date,delivery_date,serial_number,model_code,unit_price,"
    "currency"
)
IMPORT_URL = reverse("admin:warranty_shipment_import")


def shipment_csv(units=3, bad_line=None) -> bytes:
    """A file of ``units`` rows over PI-1; the row on ``bad_line`` names an unknown model."""
    lines = [HEADER]
    for n in range(1, units + 1):
        model = "NOPE-1" if n + 1 == bad_line else "CAM-100"
        lines.append(f"PI-1,PO-1,acme,2025-06-02,2025-06-10,SN-{n:05d},{model},120.00,USD")
    return ("\n".join(lines) + "\n").encode()


def upload(client, content: bytes, **data):
    file = SimpleUploadedFile("shipments.csv", content, content_type="text/csv")
    return client.post(IMPORT_URL, {"file": file, **data})


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def catalogue(db):
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")


@pytest.fixture
def clerk(db):
    """A sales clerk: staff, in the "Sales staff" group, not a superuser."""
    user = UserFactory(username="clerk", organisation=None, is_staff=True, language="en")
    user.groups.add(Group.objects.get(name="Sales staff"))
    return user


def importing_staff():
    """Staff with add_shipment. Transactional tests flush the group the migrations made."""
    user = UserFactory(organisation=None, is_staff=True, language="en")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="warranty", codename="add_shipment")
    )
    return user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def test_the_shipment_list_has_an_import_csv_button(clerk_client):
    response = clerk_client.get(reverse("admin:warranty_shipment_changelist"))

    assert response.status_code == 200
    assert f'href="{IMPORT_URL}"' in response.text
    assert "Import CSV" in response.text


def test_staff_without_add_shipment_may_not_import(client, catalogue):
    viewer = UserFactory(organisation=None, is_staff=True, language="en")
    client.force_login(viewer)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, shipment_csv()).status_code == 403
    assert Unit.objects.count() == 0


def test_a_small_file_is_imported_at_once(clerk_client, catalogue):
    response = upload(clerk_client, shipment_csv(units=3))

    assert response.status_code == 302
    assert response.url == reverse("admin:warranty_shipment_changelist")
    assert Unit.objects.count() == 3
    page = clerk_client.get(response.url)
    assert "1 shipment created" in page.text
    assert not ShipmentImport.objects.exists()


def test_a_small_file_with_errors_shows_them_and_imports_nothing(clerk_client, catalogue):
    response = upload(clerk_client, shipment_csv(units=3, bad_line=3))

    assert response.status_code == 200
    assert "1 error in the file; nothing was imported." in response.text
    assert "<td>3</td><td>model_code</td><td>Unknown model code &#x27;NOPE-1&#x27;" in response.text
    assert Shipment.objects.count() == 0


def test_create_buyers_checkbox_creates_unknown_buyers(clerk_client, db):
    ProductModelFactory(code="CAM-100")

    response = upload(clerk_client, shipment_csv(units=1), create_buyers="on")

    assert response.status_code == 302
    assert Shipment.objects.get().buyer.code == "acme"


def test_a_binary_file_named_csv_is_rejected_by_its_content(clerk_client, catalogue):
    response = upload(clerk_client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")

    assert response.status_code == 200
    assert "nothing was imported" in response.text
    assert Shipment.objects.count() == 0


def test_a_large_file_is_queued_and_its_status_page_refreshes(
    clerk_client, catalogue, settings, django_capture_on_commit_callbacks
):
    settings.RMA_IMPORT_SYNC_MAX_ROWS = 2

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(clerk_client, shipment_csv(units=5))

    job = ShipmentImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:warranty_shipment_import_status", args=[job.pk])
    assert (job.status, job.rows_total, job.file_name) == (ImportStatus.QUEUED, 5, "shipments.csv")
    assert job.file.name.startswith("imports/shipments/")
    assert "shipments" not in job.file.name.removeprefix("imports/shipments/")
    assert len(callbacks) == 1  # the task is sent once the upload is committed
    assert Unit.objects.count() == 0
    page = clerk_client.get(response.url)
    assert '<meta http-equiv="refresh"' in page.text
    assert "0 / 5" in page.text


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_before_the_write_commits(catalogue, monkeypatch):
    job = ShipmentImport.objects.create(
        file_name="big.csv", uploaded_by=importing_staff(), rows_total=5, create_buyers=False
    )
    job.file.save("x.csv", io.BytesIO(shipment_csv(units=5)))
    monkeypatch.setattr(importing, "PROGRESS_STEP", 2)
    seen = []
    write = importing._write_shipments

    def spying_write(**kwargs):
        # The status page reads through its own connection while this one is in the write.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT rows_done, status FROM warranty_shipmentimport WHERE id = %s",
                    [job.pk],
                )
                seen.append(cursor.fetchone())
        finally:
            other.close()
        return write(**kwargs)

    monkeypatch.setattr(importing, "_write_shipments", spying_write)

    importing.run_queued_shipment_import(import_id=job.pk)

    assert seen == [(5, "running")]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.counts["units_created"]) == (ImportStatus.DONE, 5, 5)


def test_running_a_finished_import_again_changes_nothing(clerk, catalogue):
    job = ShipmentImport.objects.create(file_name="big.csv", uploaded_by=clerk, rows_total=3)
    job.file.save("x.csv", io.BytesIO(shipment_csv(units=3)))
    importing.run_queued_shipment_import(import_id=job.pk)
    job.refresh_from_db()
    finished_at = job.finished_at
    Unit.objects.all().delete()  # were the import to run again, it would re-create them

    importing.run_queued_shipment_import(import_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.finished_at == finished_at
    assert Unit.objects.count() == 0


@pytest.fixture
def import_worker(media_root, celery_worker_process):
    """A real worker that sees this test's MEDIA_ROOT (the fixtures run in this order)."""
    return celery_worker_process


@pytest.mark.celery_worker
def test_a_large_file_is_imported_by_a_worker(import_worker, settings, client):
    settings.RMA_IMPORT_SYNC_MAX_ROWS = 2
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    client.force_login(importing_staff())

    response = upload(client, shipment_csv(units=50))

    job = ShipmentImport.objects.get()
    wait_for(lambda: ShipmentImport.objects.get(pk=job.pk).is_finished, timeout=60)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.summary
    assert (job.rows_done, job.rows_total) == (50, 50)
    assert Unit.objects.count() == 50
    page = client.get(response.url)
    assert 'data-status="done"' in page.text
    assert "1 shipment created" in page.text
    assert '<meta http-equiv="refresh"' not in page.text


@pytest.mark.celery_worker
def test_a_failing_large_file_gives_a_downloadable_error_report(import_worker, settings, client):
    settings.RMA_IMPORT_SYNC_MAX_ROWS = 2
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    client.force_login(importing_staff())

    response = upload(client, shipment_csv(units=50, bad_line=40))

    job = ShipmentImport.objects.get()
    wait_for(lambda: ShipmentImport.objects.get(pk=job.pk).is_finished, timeout=60)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert Unit.objects.count() == 0
    page = client.get(response.url)
    errors_url = reverse("admin:warranty_shipment_import_errors", args=[job.pk])
    assert 'data-status="failed"' in page.text
    assert f'href="{errors_url}"' in page.text
    report = client.get(errors_url)
    assert report["Content-Type"].startswith("text/csv")
    assert "attachment" in report["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(report.content.decode())))
    assert rows == [
        ["line", "column", "message"],
        ["40", "model_code", "Unknown model code 'NOPE-1' (import the product models first)."],
    ]


def test_sales_staff_can_see_the_list_of_background_imports(clerk_client, clerk):
    job = ShipmentImport.objects.create(file_name="big.csv", uploaded_by=clerk, rows_total=9)

    response = clerk_client.get(reverse("admin:warranty_shipmentimport_changelist"))

    assert response.status_code == 200
    status_url = reverse("admin:warranty_shipment_import_status", args=[job.pk])
    assert f'href="{status_url}"' in response.text
