"""No page, act or download reaches another organisation's data: it is "not found" (404), never
"forbidden", so nothing tells that it exists."""

import pytest

from claims import document_service, services
from claims.actors import Actor
from claims.models import Document, DocumentKind

from .helpers import png_upload, submitted_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def their_claim(other_buyer, other_unit, staff):
    claim = submitted_for(other_buyer, [other_unit])
    services.add_attachment(actor=Actor.buyer(other_buyer), claim=claim, upload=png_upload())
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    document_service.render(
        Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    )
    return claim


def test_another_organisations_claim_is_not_found(buyer_client, their_claim):
    for path in ["", "edit/"]:
        assert buyer_client.get(f"/claims/{their_claim.pk}/{path}").status_code == 404, path
    assert buyer_client.get(f"/claims/{their_claim.rma_number}/").status_code == 404


def test_acts_on_another_organisations_claim_are_not_found_and_change_nothing(
    buyer_client, their_claim
):
    posts = {
        "message/": {"body": "hello"},
        "evidence/": {"files": [png_upload()]},
        "shipment/": {"carrier": "DHL", "tracking_number": "1"},
        "cancel/": {"reason": ""},
        "submit/": {},
        "edit/": {"items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"},
    }
    for path, data in posts.items():
        response = buyer_client.post(f"/claims/{their_claim.pk}/{path}", data)
        assert response.status_code == 404, path
    their_claim.refresh_from_db()
    assert their_claim.status == "return_authorized"
    assert not their_claim.messages.exists() and their_claim.attachments.count() == 1


def test_another_organisations_unit_is_not_found(buyer_client, other_unit):
    assert buyer_client.get(f"/units/{other_unit.serial_number}/").status_code == 404
    listed = buyer_client.get("/units/", {"q": other_unit.serial_number}).context["rows"]
    assert listed == []


def test_another_organisations_unit_gets_no_warranty_answer(buyer_client, other_unit):
    response = buyer_client.get("/warranty/", {"serial": other_unit.serial_number})
    assert response.context["verdict"] is None
    assert response.context["form"].errors["serial"] == [
        f"No unit with serial number {other_unit.serial_number} in your organisation."
    ]


def test_another_organisations_document_and_attachment_are_not_found(buyer_client, their_claim):
    document = their_claim.documents.get()
    attachment = their_claim.attachments.get()
    assert buyer_client.get(f"/documents/{document.pk}/download/").status_code == 404
    assert buyer_client.get(f"/attachments/{attachment.pk}/").status_code == 404
    assert buyer_client.get(f"/attachments/{attachment.pk}/?inline=1").status_code == 404


def test_another_organisations_claims_are_not_listed(buyer_client, their_claim):
    assert buyer_client.get("/claims/").context["rows"] == []
    assert buyer_client.get("/claims/", {"q": their_claim.rma_number}).context["rows"] == []
    assert buyer_client.get("/").context["rows"] == []


def test_a_staff_internal_notes_attachment_is_not_downloadable_by_the_buyer(
    buyer_client, buyer, unit, staff
):
    claim = submitted_for(buyer, [unit])
    note = services.add_internal_note(actor=Actor.staff(staff), claim=claim, body="internal")
    attachment = services.add_attachment(actor=Actor.staff(staff), claim=claim, upload=png_upload())
    attachment.message = note
    attachment.save(update_fields=["message"])
    assert buyer_client.get(f"/attachments/{attachment.pk}/").status_code == 404
