"""The claim's actions through the API: shipment (R1), the thread, evidence (N5), documents."""

import hashlib
import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims import document_service, services
from claims.actors import Actor
from claims.models import Attachment, Claim, Document, Message
from tests.factories import PNG

from .conftest import create_draft, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(staff):
    return Actor.staff(staff)


def authorized(api, unit, clerk) -> dict:
    claim = submitted(api, unit)
    services.authorize_return(actor=clerk, claim=Claim.objects.get(pk=claim["id"]))
    return claim


def test_shipment_records_carrier_and_tracking_of_an_authorized_return(api, unit, clerk):
    claim = authorized(api, unit, clerk)

    response = api.post(
        f"/api/v1/claims/{claim['rma_number']}/shipment/",
        {"carrier": "DHL", "tracking_number": "JD0146000034"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == (
        "shipped",
        "DHL",
        "JD0146000034",
    )
    assert body["shipped_at"]


def test_shipment_before_the_return_authorization_is_409_and_changes_nothing(api, unit):
    claim = submitted(api, unit)

    response = api.post(
        f"/api/v1/claims/{claim['id']}/shipment/",
        {"carrier": "DHL", "tracking_number": "1"},
        format="json",
    )

    assert response.status_code == 409
    assert Claim.objects.get(pk=claim["id"]).carrier == ""


def test_shipment_needs_both_fields(api, unit, clerk):
    claim = authorized(api, unit, clerk)

    response = api.post(f"/api/v1/claims/{claim['id']}/shipment/", {"carrier": "  "}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"carrier", "tracking_number"}
    assert Claim.objects.get(pk=claim["id"]).status == "return_authorized"


def test_messages_post_and_list_without_internal_notes(api, unit, clerk):
    claim = submitted(api, unit)
    model = Claim.objects.get(pk=claim["id"])
    services.post_message(actor=clerk, claim=model, body="Please send a photo of the label.")
    services.add_internal_note(actor=clerk, claim=model, body="Staff only: known batch issue.")

    posted = api.post(
        f"/api/v1/claims/{claim['id']}/messages/", {"body": "Photo attached."}, format="json"
    )
    listed = api.get(f"/api/v1/claims/{claim['id']}/messages/")

    assert posted.status_code == 201
    assert posted.json()["body"] == "Photo attached."
    assert posted.json()["from_staff"] is False
    assert [(m["body"], m["from_staff"]) for m in listed.json()] == [
        ("Please send a photo of the label.", True),
        ("Photo attached.", False),
    ]


def test_an_empty_message_is_400_and_nothing_is_saved(api, unit):
    claim = submitted(api, unit)

    for body in ({"body": ""}, {"body": 7}, {}):
        response = api.post(f"/api/v1/claims/{claim['id']}/messages/", body, format="json")
        assert response.status_code == 400
        assert "body" in response.json()["errors"]
    assert Message.objects.count() == 0


def test_attachments_upload_for_an_item_and_list(api, unit):
    draft = create_draft(api, unit)
    item_id = draft["items"][0]["id"]

    uploaded = api.post(
        f"/api/v1/claims/{draft['id']}/attachments/",
        {"file": SimpleUploadedFile("label.exe", PNG, "application/octet-stream"), "item": item_id},
        format="multipart",
    )
    listed = api.get(f"/api/v1/claims/{draft['id']}/attachments/")

    assert uploaded.status_code == 201
    body = uploaded.json()
    assert (body["item"], body["content_type"], body["file_name"]) == (
        item_id,
        "image/png",
        "label.exe.png",  # judged by content, not by name
    )
    assert listed.json() == [body]


def test_a_disguised_upload_or_another_claims_item_is_400_and_nothing_is_stored(
    api, unit, stranger, media
):
    draft = create_draft(api, unit)
    other_item = stranger["claim"].items.get().pk

    disguised = api.post(
        f"/api/v1/claims/{draft['id']}/attachments/",
        {"file": SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", "image/jpeg")},
        format="multipart",
    )
    foreign_item = api.post(
        f"/api/v1/claims/{draft['id']}/attachments/",
        {"file": SimpleUploadedFile("p.png", PNG, "image/png"), "item": other_item},
        format="multipart",
    )
    no_file = api.post(f"/api/v1/claims/{draft['id']}/attachments/", {}, format="multipart")

    assert disguised.status_code == 400 and "file" in disguised.json()["errors"]
    assert foreign_item.status_code == 400 and "item" in foreign_item.json()["errors"]
    assert no_file.status_code == 400 and "file" in no_file.json()["errors"]
    assert Attachment.objects.count() == 0
    assert not list(media.rglob("*.*"))


def test_documents_list_and_download_with_the_api_key(api, unit, clerk):
    claim = authorized(api, unit, clerk)
    pending = api.get(f"/api/v1/claims/{claim['id']}/documents/").json()
    assert [(d["kind"], d["status"], d["download_url"]) for d in pending] == [
        ("return_authorization", "pending", None)
    ]

    document_service.render(Document.objects.get(claim_id=claim["id"]))
    [document] = api.get(f"/api/v1/claims/{claim['rma_number']}/documents/").json()
    download = api.get(document["download_url"])

    assert document["status"] == "ready"
    assert document["number"] is None
    assert len(document["verification_code"]) == 14  # XXXX-XXXX-XXXX, as printed
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert f"{claim['rma_number']}-return_authorization.pdf" in download["Content-Disposition"]
    pdf = b"".join(download.streaming_content)
    assert claim["rma_number"] in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_pending_or_unknown_document_is_404_as_json(api, unit, clerk):
    claim = authorized(api, unit, clerk)
    document = Document.objects.get(claim_id=claim["id"])

    pending = api.get(
        f"/api/v1/claims/{claim['id']}/documents/{document.pk}/download/",
        HTTP_ACCEPT="application/pdf",
    )
    unknown = api.get(f"/api/v1/claims/{claim['id']}/documents/999999/download/")

    assert pending.status_code == unknown.status_code == 404
    assert pending.json()["errors"]["detail"]


def test_another_organisations_document_is_404_through_my_claim(api, unit, clerk, stranger):
    mine = authorized(api, unit, clerk)
    theirs = services.submit(
        actor=Actor.partner(stranger["claim"].organisation.api_keys.get()),
        claim=stranger["claim"],
    )
    services.authorize_return(actor=clerk, claim=theirs)
    their_document = document_service.render(Document.objects.get(claim=theirs))

    response = api.get(f"/api/v1/claims/{mine['id']}/documents/{their_document.pk}/download/")

    assert response.status_code == 404


def test_a_partners_message_answers_staffs_request_for_information(api, unit, clerk):
    """The API and the portal share one rule (claims.messages.post_buyer_message): while staff
    wait for information, the buyer's message is the answer and the claim is back under review."""
    claim = submitted(api, unit)
    services.request_info(
        actor=clerk, claim=Claim.objects.get(pk=claim["id"]), question="Photo of the label?"
    )

    response = api.post(
        f"/api/v1/claims/{claim['id']}/messages/", {"body": "Attached."}, format="json"
    )

    assert response.status_code == 201
    stored = Claim.objects.get(pk=claim["id"])
    assert stored.status == "submitted"
    assert stored.events.order_by("-pk").values_list("kind", flat=True)[0] == "answer_info"


def test_a_partners_message_outside_an_information_request_is_a_plain_message(api, unit):
    claim = submitted(api, unit)

    response = api.post(
        f"/api/v1/claims/{claim['id']}/messages/", {"body": "Any news?"}, format="json"
    )

    assert response.status_code == 201
    stored = Claim.objects.get(pk=claim["id"])
    assert stored.status == "submitted"
    assert stored.events.order_by("-pk").values_list("kind", flat=True)[0] == "post_message"


def _upload(client, claim_id, name="label.png"):
    response = client.post(
        f"/api/v1/claims/{claim_id}/attachments/",
        {"file": SimpleUploadedFile(name, PNG, "image/png")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_an_attachment_downloads_back_as_stored(api, unit):
    draft = create_draft(api, unit)
    uploaded = _upload(api, draft["id"])

    response = api.get(f"/api/v1/claims/{draft['id']}/attachments/{uploaded['id']}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == uploaded["sha256"]
    assert len(body) == uploaded["size"]


def test_another_organisations_or_claims_attachment_is_404(api, org, unit, second_unit, stranger):
    theirs = _upload(stranger["api"], stranger["claim"].pk)
    mine = create_draft(api, unit)
    other_of_mine = create_draft(api, second_unit)
    own = _upload(api, mine["id"])

    urls = [
        f"/api/v1/claims/{stranger['claim'].pk}/attachments/{theirs['id']}/download/",
        f"/api/v1/claims/{mine['id']}/attachments/{theirs['id']}/download/",
        f"/api/v1/claims/{other_of_mine['id']}/attachments/{own['id']}/download/",
        f"/api/v1/claims/{mine['id']}/attachments/999999999/download/",
        f"/api/v1/claims/{mine['id']}/attachments/99999999999999999999/download/",
    ]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json"
        assert response.json()["errors"]["detail"]
    assert (
        api.get(f"/api/v1/claims/{mine['id']}/attachments/{own['id']}/download/").status_code == 200
    )
