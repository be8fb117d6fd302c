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
    assert job.status == ImportStatus.DONE, job.errors
    assert job.published_at is not None  # handed to the broker on commit
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


# --- In the reader's language (a Korean clerk reads Korean, the same job in English too) ------


def korean_clerk():
    user = UserFactory(username="minji", organisation=None, is_staff=True, language="ko")
    user.groups.add(Group.objects.get(name="Sales staff"))
    return user


def test_a_korean_clerk_reads_the_errors_of_a_small_file_in_korean(client, catalogue):
    client.force_login(korean_clerk())

    response = upload(client, shipment_csv(units=3, bad_line=3))

    assert response.status_code == 200
    assert "파일에 오류가 1개 있습니다. 아무것도 가져오지 않았습니다." in response.text
    assert (
        "<td>3</td><td>model_code</td>"
        "<td>알 수 없는 모델 코드 &#x27;NOPE-1&#x27;입니다(먼저 제품 모델을 가져오십시오).</td>"
    ) in response.text
    assert "Unknown model code" not in response.text
    assert Shipment.objects.count() == 0


def queued(content: bytes, uploaded_by) -> ShipmentImport:
    """A background import of ``content``, run here to its end (as a worker would)."""
    file = SimpleUploadedFile("shipments.csv", content, content_type="text/csv")
    job = importing.create_shipment_import(
        upload=file, uploaded_by=uploaded_by, create_buyers=False, rows_total=3
    )
    importing.run_queued_shipment_import(import_id=job.pk)
    job.refresh_from_db()
    return job


def read_as(client, user, language: str, url: str):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get(url)


def test_a_background_import_s_errors_are_worded_for_whoever_reads_them(client, catalogue):
    minji = korean_clerk()
    job = queued(shipment_csv(units=3, bad_line=3), minji)
    status_url = reverse("admin:warranty_shipment_import_status", args=[job.pk])
    errors_url = reverse("admin:warranty_shipment_import_errors", args=[job.pk])

    # Stored as what is wrong, not as words of the worker's language.
    assert job.status == ImportStatus.FAILED
    assert job.errors[0] | {"message": ""} == {
        "line": 3,
        "column": "model_code",
        "code": "model_unknown",
        "params": {"code": "NOPE-1"},
        "message": "",
    }
    for language, outcome, message in (
        (
            "ko",
            "파일에 오류가 1개 있습니다. 아무것도 가져오지 않았습니다.",
            "알 수 없는 모델 코드 'NOPE-1'입니다(먼저 제품 모델을 가져오십시오).",
        ),
        (
            "en",
            "1 error in the file; nothing was imported.",
            "Unknown model code 'NOPE-1' (import the product models first).",
        ),
    ):
        page = read_as(client, minji, language, status_url)
        assert f'<p class="errornote">{outcome}</p>' in page.text
        assert f"<td>{message.replace(chr(39), '&#x27;')}</td>" in page.text
        report = read_as(client, minji, language, errors_url)
        rows = list(csv.reader(io.StringIO(report.content.decode())))
        assert rows == [["line", "column", "message"], ["3", "model_code", message]]


def test_a_finished_background_import_is_summed_up_in_the_reader_s_language(client, catalogue):
    minji = korean_clerk()
    job = queued(shipment_csv(units=3), minji)
    status_url = reverse("admin:warranty_shipment_import_status", args=[job.pk])

    assert job.status == ImportStatus.DONE
    korean = read_as(client, minji, "ko", status_url)
    assert (
        '<p class="success">3행: 출하 1건 생성, 0건 갱신, 0건 변경 없음. '
        "제품 3대 생성, 0대 변경 없음.</p>"
    ) in korean.text
    english = read_as(client, minji, "en", status_url)
    assert (
        '<p class="success">3 rows: 1 shipment created, 0 updated, 0 unchanged; '
        "3 units created, 0 unchanged.</p>"
    ) in english.text


def test_an_import_that_stopped_on_a_fault_says_so_in_korean(client, catalogue, monkeypatch):
    minji = korean_clerk()

    def fails(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(importing, "import_shipments", fails)
    with pytest.raises(RuntimeError):
        queued(shipment_csv(units=3), minji)
    job = ShipmentImport.objects.get()
    status_url = reverse("admin:warranty_shipment_import_status", args=[job.pk])

    assert job.status == ImportStatus.FAILED and job.errors == []
    page = read_as(client, minji, "ko", status_url)
    assert (
        '<p class="errornote">예기치 않은 오류로 가져오기가 중단되었습니다. '
        "아무것도 가져오지 않았습니다.</p>"
    ) in page.text


def test_errors_stored_before_they_had_codes_are_still_shown_as_stored(client, clerk):
    job = ShipmentImport.objects.create(
        file_name="old.csv",
        uploaded_by=clerk,
        status=ImportStatus.FAILED,
        errors=[{"line": 2, "column": "buyer", "message": "Unknown buyer organisation code 'x'."}],
    )
    client.force_login(clerk)

    page = client.get(reverse("admin:warranty_shipment_import_status", args=[job.pk]))

    assert "<td>2</td><td>buyer</td><td>Unknown buyer organisation code &#x27;x&#x27;.</td>" in (
        page.text
    )
    assert '<p class="errornote">1 error in the file; nothing was imported.</p>' in page.text


@pytest.mark.celery_worker
def test_a_large_file_uploaded_while_redis_is_unreachable_is_imported_once_it_is_back(
    import_worker, settings, client
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.notifications.test_outbox import broker_unreachable
    from warranty import tasks

    settings.RMA_IMPORT_SYNC_MAX_ROWS = 2
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    client.force_login(importing_staff())

    with broker_unreachable():
        response = upload(client, shipment_csv(units=20))

    job = ShipmentImport.objects.get()
    assert response.status_code == 302  # the clerk gets the status page, not an error
    assert response.url == reverse("admin:warranty_shipment_import_status", args=[job.pk])
    waiting = ShipmentImport.objects.get(pk=job.pk)
    assert (waiting.status, waiting.published_at) == (ImportStatus.QUEUED, None)
    assert importing.imports_to_resume() == []  # just uploaded: its own hand-over's minute
    later = timezone.now() + timedelta(minutes=2)
    assert importing.imports_to_resume(now=later) == [job.pk]

    # beat's resume_shipment_imports, once Redis is reachable again
    with pytest.MonkeyPatch.context() as patch:  # as beat would run it two minutes later
        patch.setattr(tasks, "imports_to_resume", lambda: importing.imports_to_resume(now=later))
        assert tasks.resume_shipment_imports() == 1

    wait_for(lambda: ShipmentImport.objects.get(pk=job.pk).is_finished, timeout=60)
    assert ShipmentImport.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert Unit.objects.count() == 20
    assert importing.imports_to_resume(now=later) == []


@pytest.fixture
def import_workers(media_root, transactional_db):
    """Start real workers that see this test's MEDIA_ROOT; all stopped at the end."""
    from rma_portal.celery import app
    from tests.conftest import WorkerProcess

    app.control.purge()
    started = []

    def start(**env):
        started.append(WorkerProcess(extra_env=env).start())
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.mark.celery_worker
def test_a_worker_killed_mid_import_is_replaced_and_the_file_is_imported_once(
    import_workers, settings, client
):
    import signal
    import time

    visibility = {"CELERY_VISIBILITY_TIMEOUT": "3"}  # an unacknowledged task returns after 3 s
    settings.RMA_IMPORT_SYNC_MAX_ROWS = 2
    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    first = import_workers(**visibility)
    client.force_login(importing_staff())

    response = upload(client, shipment_csv(units=200_000))  # seconds of work: time to kill it
    assert response.status_code == 302, response.content.decode()[-2000:]

    job = ShipmentImport.objects.get()
    wait_for(lambda: ShipmentImport.objects.get(pk=job.pk).rows_done > 0, timeout=60)
    first.stop(signal.SIGKILL)  # mid-import: its transaction dies with its connection
    stalled = ShipmentImport.objects.get(pk=job.pk)
    assert stalled.status == ImportStatus.RUNNING and stalled.rows_done < 200_000
    assert Unit.objects.count() == 0

    time.sleep(4)  # the task is unacknowledged (acks_late): back in the queue for the next
    import_workers(**visibility)

    wait_for(lambda: ShipmentImport.objects.get(pk=job.pk).is_finished, timeout=120)
    done = ShipmentImport.objects.get(pk=job.pk)
    assert done.status == ImportStatus.DONE, done.errors
    assert (done.rows_done, done.counts["units_created"]) == (200_000, 200_000)
    assert Unit.objects.count() == 200_000 and Shipment.objects.count() == 1


def test_a_file_larger_than_an_evidence_file_is_taken_whole(clerk_client, catalogue, settings):
    settings.RMA_IMPORT_SYNC_MAX_ROWS = 2  # queued: no worker needed to see what was stored
    content = shipment_csv(units=200_000)
    assert len(content) > settings.RMA_ATTACHMENT_MAX_BYTES  # evidence stops at 10 MB

    response = upload(clerk_client, content)

    job = ShipmentImport.objects.get()
    assert response.status_code == 302
    assert job.rows_total == 200_000
    with job.file.open("rb") as stored:
        assert stored.read() == content


def test_a_file_over_the_import_limit_is_refused_by_its_size(clerk_client, catalogue, settings):
    settings.RMA_IMPORT_MAX_UPLOAD_BYTES = 2**20
    content = shipment_csv(units=30_000)
    assert len(content) > 2**20

    response = upload(clerk_client, content)

    assert response.status_code == 200
    assert "The file is larger than 1 MB." in response.text
    assert not ShipmentImport.objects.exists() and Shipment.objects.count() == 0


def test_the_list_of_background_imports_does_not_read_their_errors(clerk_client, clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    errors = [{"line": n, "column": "", "code": "file_empty", "params": {}} for n in range(9)]
    ShipmentImport.objects.create(
        file_name="bad.csv", uploaded_by=clerk, status=ImportStatus.FAILED, errors=errors
    )

    with CaptureQueriesContext(connection) as queries:
        response = clerk_client.get(reverse("admin:warranty_shipmentimport_changelist"))

    assert response.status_code == 200 and "bad.csv" in response.text
    listed = [q["sql"] for q in queries if 'FROM "warranty_shipmentimport"' in q["sql"]]
    assert listed and not any('"warranty_shipmentimport"."errors"' in sql for sql in listed)
    job = ShipmentImport.objects.get()
    detail = clerk_client.get(reverse("admin:warranty_shipmentimport_change", args=[job.pk]))
    assert "9 errors in the file; nothing was imported." in detail.text  # read when needed


def test_beat_resumes_only_the_imports_no_worker_has(clerk, settings):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    ago = lambda **delta: now - timedelta(**delta)  # noqa: E731

    def job(status, created, published=None, started=None):
        made = ShipmentImport.objects.create(
            file_name="f.csv", uploaded_by=clerk, status=status, published_at=published
        )
        ShipmentImport.objects.filter(pk=made.pk).update(created_at=created, started_at=started)
        return made.pk

    never_handed_over = job(ImportStatus.QUEUED, ago(minutes=5))
    lost_by_the_broker = job(ImportStatus.QUEUED, ago(hours=1), published=ago(minutes=20))
    stalled = job(ImportStatus.RUNNING, ago(hours=2), ago(hours=2), started=ago(minutes=40))
    job(ImportStatus.QUEUED, ago(seconds=20))  # just uploaded: its own hand-over
    job(ImportStatus.QUEUED, ago(hours=1), published=ago(minutes=5))  # waiting in the queue
    job(ImportStatus.RUNNING, ago(minutes=3), ago(minutes=3), started=ago(minutes=2))
    job(ImportStatus.DONE, ago(days=1), ago(days=1), started=ago(days=1))
    job(ImportStatus.FAILED, ago(days=1), started=ago(days=1))

    assert importing.imports_to_resume(now=now) == [never_handed_over, lost_by_the_broker, stalled]
