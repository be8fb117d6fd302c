"""Documents and evidence on S3-compatible object storage (STORAGE_URL), against a real
S3-protocol server: uploaded and rendered files land in the bucket, downloads are streamed through
the permission-checked views, and another organisation is refused ("not found")."""

import os

import pytest
from django.test import Client

from claims import document_service, services
from claims.actors import Actor
from claims.models import Attachment, Document, DocumentKind
from rma_portal.storage import object_storage
from tests.conftest import WorkerProcess, wait_for
from tests.s3_server import S3Server

from .helpers import png_upload, submitted_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def on_object_storage(settings, s3, monkeypatch):
    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(os.environ["STORAGE_URL"], os.environ),
    }
    for key in s3.object_keys():  # each test starts with an empty bucket
        s3.client().delete_object(Bucket=s3.bucket, Key=key)


@pytest.fixture
def claim(buyer, unit):
    return submitted_for(buyer, [unit])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_evidence_is_stored_in_the_bucket_and_streamed_to_its_organisation_only(
    buyer_client, claim, other_buyer, settings, s3
):
    response = buyer_client.post(
        f"/claims/{claim.pk}/evidence/", {"item": "", "files": [png_upload("label.png")]}
    )
    assert response.status_code in (200, 302)
    attachment = Attachment.objects.get()

    assert attachment.file.storage.__class__.__name__ == "S3Storage"
    assert attachment.file.name in s3.object_keys()
    assert not settings.MEDIA_ROOT.exists()  # nothing on the local disk

    download = buyer_client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"\x89PNG") and body == s3.read(attachment.file.name)

    refused = signed_in(other_buyer).get(f"/attachments/{attachment.pk}/")
    assert refused.status_code == 404


def test_a_rendered_document_is_stored_in_the_bucket_and_downloads_through_the_check(
    buyer_client, claim, staff, other_buyer, s3
):
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    document = document_service.render(
        Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    )

    assert document.is_ready
    assert document.file.name in s3.object_keys()
    response = buyer_client.get(f"/documents/{document.pk}/download/")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF") and pdf == s3.read(document.file.name)

    refused = signed_in(other_buyer).get(f"/documents/{document.pk}/download/")
    assert refused.status_code == 404


@pytest.mark.celery_worker
def test_a_worker_renders_into_the_bucket_and_the_web_process_serves_it(
    transactional_db, buyer_client, claim, staff, s3, settings
):
    # Two processes, no shared disk: the worker renders into the bucket (its MEDIA_ROOT is not
    # the test's), the web side streams the file back from there.
    from rma_portal.celery import app

    app.control.purge()
    worker = WorkerProcess(extra_env={**s3.env, "DJANGO_MEDIA_ROOT": "/nonexistent"}).start()
    try:
        services.authorize_return(actor=Actor.staff(staff), claim=claim)
        document = Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)

        wait_for(lambda: Document.objects.get(pk=document.pk).is_ready, timeout=90)
    finally:
        worker.stop()

    document.refresh_from_db()
    assert document.file.name in s3.object_keys()
    response = buyer_client.get(f"/documents/{document.pk}/download/")
    assert b"".join(response.streaming_content) == s3.read(document.file.name)


def test_a_background_shipment_import_reads_its_upload_from_the_bucket(s3):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import OrganisationFactory, ProductModelFactory, UserFactory
    from warranty import importing
    from warranty.models import ImportStatus, Unit

    OrganisationFactory(code="acme")
    ProductModelFactory(code="CAM-100")
    rows = [
        f"PI-S3,PO-S3,acme,2025-06-02,2025-06-10,SN-S3-{n:04d},CAM-100,120.00,USD"
        for n in range(3000)
    ]
    header = (
        "pi_number,po_number,buyer,shipment_date,delivery_date,serial_number,model_code,"
        "unit_price,currency"
    )
    content = ("\n".join([header, *rows]) + "\n").encode()
    job = importing.create_shipment_import(
        upload=SimpleUploadedFile("shipments.csv", content),
        uploaded_by=UserFactory(organisation=None, is_staff=True),
        create_buyers=False,
        rows_total=3000,
    )

    assert job.file.name in s3.object_keys()  # stored in the bucket, not on local disk
    importing.run_queued_shipment_import(import_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.rows_done, Unit.objects.filter(shipment__pi_number="PI-S3").count()) == (3000, 3000)
