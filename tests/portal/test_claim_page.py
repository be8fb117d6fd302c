"""The claim page: timeline from the event log (public events only), the thread and CPRO's
questions, documents, evidence, the return shipment (R1) and withdrawal."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims import document_service, services
from claims.actors import Actor
from claims.models import Attachment, Document, DocumentKind
from warranty.rules import SEOUL

from .helpers import disguised_upload, draft_for, png_upload, submitted_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(buyer, unit):
    return submitted_for(buyer, [unit])


def url(claim, action=""):
    return f"/claims/{claim.pk}/" + (f"{action}/" if action else "")


def test_the_page_shows_the_rma_number_hold_items_and_preliminary_verdict(
    buyer_client, claim, unit
):
    response = buyer_client.get(url(claim))
    page = response.text
    assert claim.rma_number in page and claim.hold_until.isoformat() in page
    assert unit.serial_number in page
    assert "Covered" in page and "preliminary (N5)" in page
    assert "The RMA number is not an acknowledgement of the defect" in page


def test_a_draft_shows_its_notice_deadline_and_can_be_edited_or_submitted(
    buyer_client, buyer, unit
):
    draft = draft_for(buyer, [unit])
    response = buyer_client.get(url(draft))
    assert response.context["notice"].deadline is not None
    assert "the notice deadline (N1)" in response.text
    assert f'href="/claims/{draft.pk}/edit/"' in response.text
    assert f'action="/claims/{draft.pk}/submit/"' in response.text


def test_the_timeline_shows_public_events_only(buyer_client, claim, staff):
    services.add_internal_note(actor=Actor.staff(staff), claim=claim, body="Looks like misuse.")
    response = buyer_client.get(url(claim))
    texts = [text for _event, text, _who in response.context["events"]]
    assert texts[0] == "Draft created."
    assert texts[1].startswith(f"Notice given (N1). RMA number {claim.rma_number} assigned")
    assert "Looks like misuse." not in response.text
    assert all(event.public for event, _text, _who in response.context["events"])


def test_the_buyer_posts_a_message(buyer_client, claim):
    response = buyer_client.post(url(claim, "message"), {"body": "Any news?"}, follow=True)
    assert "Your message was sent." in response.text
    message = claim.messages.get()
    assert message.body == "Any news?" and message.channel == "portal" and not message.from_staff


def test_an_empty_message_is_refused_beside_the_field(buyer_client, claim):
    response = buyer_client.post(url(claim, "message"), {"body": "   "})
    assert response.status_code == 400
    assert response.context["message_form"].errors["body"]
    assert not claim.messages.exists()


def test_the_answer_to_cprOs_question_goes_back_for_review(buyer_client, claim, staff):
    services.request_info(actor=Actor.staff(staff), claim=claim, question="Photo of the label?")
    page = buyer_client.get(url(claim)).text
    assert "Photo of the label?" in page and "Send the answer" in page
    buyer_client.post(url(claim, "message"), {"body": "Attached now."})
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert claim.events.filter(kind="answer_info").exists()


def test_the_buyer_adds_evidence_to_an_item(buyer_client, claim):
    item = claim.items.get()
    buyer_client.post(url(claim, "evidence"), {"item": item.pk, "files": [png_upload()]})
    attachment = Attachment.objects.get()
    assert attachment.item == item and attachment.content_type == "image/png"


def test_disguised_evidence_is_refused_beside_the_field(buyer_client, claim):
    fake = SimpleUploadedFile("label.png", b"<html>not an image</html>", content_type="image/png")
    response = buyer_client.post(url(claim, "evidence"), {"item": "", "files": [fake]})
    assert response.status_code == 400
    assert "cannot be attached" in response.context["evidence_form"].errors["files"][0]
    assert not Attachment.objects.exists()


def test_evidence_downloads_through_the_permission_check(buyer_client, claim):
    services.add_attachment(
        actor=Actor.buyer(claim.author), claim=claim, upload=png_upload("label.png")
    )
    attachment = Attachment.objects.get()
    response = buyer_client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.fixture
def authorized(claim, staff):
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    document = Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    return document_service.render(document)


def test_the_return_authorization_is_listed_and_downloads_as_a_pdf(buyer_client, claim, authorized):
    page = buyer_client.get(url(claim)).text
    assert f'href="/documents/{authorized.pk}/download/"' in page
    response = buyer_client.get(f"/documents/{authorized.pk}/download/")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_document_still_being_rendered_is_shown_as_such(buyer_client, claim, staff):
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    response = buyer_client.get(url(claim))
    assert "being prepared" in response.text
    assert "/download/" not in response.text


def test_after_authorization_the_buyer_records_the_shipment(buyer_client, claim, authorized):
    page = buyer_client.get(url(claim)).text
    assert "Ship the goods back (R1)" in page
    response = buyer_client.post(
        url(claim, "shipment"), {"carrier": "DHL", "tracking_number": "JD0146"}, follow=True
    )
    claim.refresh_from_db()
    assert claim.status == "shipped" and claim.tracking_number == "JD0146"
    assert "Shipped with DHL, tracking number JD0146." in response.text


def test_no_shipment_before_authorization(buyer_client, claim):
    assert "Ship the goods back" not in buyer_client.get(url(claim)).text
    response = buyer_client.post(
        url(claim, "shipment"), {"carrier": "DHL", "tracking_number": "JD0146"}
    )
    assert response.status_code == 400
    assert "while the claim is submitted" in response.text
    claim.refresh_from_db()
    assert claim.status == "submitted" and not claim.tracking_number


def test_the_buyer_withdraws_the_claim(buyer_client, claim):
    response = buyer_client.post(url(claim, "cancel"), {"reason": "Found the fault."}, follow=True)
    claim.refresh_from_db()
    assert claim.status == "cancelled" and claim.decision_reason == "Found the fault."
    assert "Withdraw this claim" not in response.text  # no longer allowed


def test_withdrawal_is_not_offered_once_shipped(buyer_client, claim, authorized):
    services.record_shipment(
        actor=Actor.buyer(claim.author), claim=claim, carrier="DHL", tracking_number="1"
    )
    assert "Withdraw this claim" not in buyer_client.get(url(claim)).text
    response = buyer_client.post(url(claim, "cancel"), {"reason": ""})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == "shipped"


def test_the_claim_list_searches_by_rma_serial_and_reference(buyer_client, buyer, unit, claim):
    draft_for(buyer, [unit])  # a second claim on the same unit, still a draft
    listed = buyer_client.get("/claims/", {"q": claim.rma_number}).context["rows"]
    assert [c.pk for c, _step in listed] == [claim.pk]
    by_serial = buyer_client.get("/claims/", {"q": unit.serial_number}).context["rows"]
    assert len(by_serial) == 2 and {c.item_count for c, _step in by_serial} == {1}
    drafts = buyer_client.get("/claims/", {"status": "draft"}).context["rows"]
    assert [c.status for c, _step in drafts] == ["draft"]


def test_the_timeline_tells_each_act_once_in_the_buyers_words(
    buyer_client, claim, staff, authorized
):
    clerk = Actor.staff(staff)
    services.receive(
        actor=clerk,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    (item,) = claim.items.all()
    services.inspect(
        actor=clerk,
        claim=claim,
        results={item.pk: {"findings": ["confirmed_defect"], "outcome": "credit_note"}},
    )
    note = services.issue_credit_note(actor=clerk, item=item)
    document_service.render(note.documents.get())  # records document_issued, as the worker does

    page = buyer_client.get(url(claim)).text

    assert claim.events.filter(kind="document_issued").count() == 2  # RA and CN
    assert page.count(f"Credit note {note.number} issued (D1).") == 1
    assert page.count(f"Credit note {note.number} issued.") == 0  # not again from the PDF
    assert page.count("Return Authorization ready to download and print (R1).") == 1
    assert "Document issued" not in page and "document_issued" not in page


def test_the_buyer_sees_when_cpro_decided_and_why(buyer_client, claim, staff):
    services.reject(actor=Actor.staff(staff), claim=claim, reason="W1: the period ended.")

    page = buyer_client.get(url(claim)).text

    claim.refresh_from_db()
    assert "Decided" in page
    assert f"{claim.decided_at.astimezone(SEOUL):%Y-%m-%d %H:%M} KST · CPRO" in page
    assert staff.get_username() not in page  # staff names are CPRO's business
    assert "W1: the period ended." in page


def test_the_shipment_form_reports_every_missing_field_at_once(buyer_client, buyer, unit):
    """Issue 17: each act form of the claim page answers with all of its errors together."""
    claim = submitted_for(buyer, [unit])
    claim.status = "return_authorized"
    claim.save(update_fields=["status"])
    claim.items.update(return_authorized=True)

    response = buyer_client.post(
        f"/claims/{claim.pk}/shipment/", {"carrier": "", "tracking_number": ""}
    )

    assert response.status_code == 400
    form = response.context["shipment_form"]
    assert set(form.errors) == {"carrier", "tracking_number"}
    assert 'id="id_carrier_error"' in response.text
    assert 'id="id_tracking_number_error"' in response.text
    claim.refresh_from_db()
    assert claim.status == "return_authorized" and not claim.tracking_number


def test_the_evidence_form_reports_the_bad_files_all_together(buyer_client, buyer, unit):
    claim = submitted_for(buyer, [unit])
    bad = [disguised_upload(name) for name in ("one.jpg", "two.jpg")]

    response = buyer_client.post(
        f"/claims/{claim.pk}/evidence/", {"item": "", "files": [png_upload("ok.png"), *bad]}
    )

    assert response.status_code == 400
    shown = " ".join(response.context["evidence_form"].errors["files"])
    assert "one.jpg" in shown and "two.jpg" in shown
    assert not claim.attachments.exists()
