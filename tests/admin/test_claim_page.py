"""The claim's page: everything read-only — items, thread, evidence, documents, event log."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.actors import Actor
from claims.models import Charge, ClaimStatus, Document, DocumentKind, DocumentStatus, Outcome
from tests.claims.test_attachments import png_bytes
from tests.factories import ClaimItemFactory, UserFactory

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def test_the_page_shows_items_with_verdicts_mismatches_outcomes_and_charges(clerk_client):
    claim = submitted_claim(items=0, status=ClaimStatus.INSPECTED)
    item = ClaimItemFactory(
        claim=claim,
        verdict_status="not_covered",
        verdict_final=True,
        verdict={
            "en": {"clauses": ["W1", "W5"], "reasons": [{"clause": "W5", "text": "Tampered"}]}
        },
        mismatches=[{"field": "po_number", "given": "PO-1", "recorded": "PO-2"}],
        findings=["tampered"],
        outcome=Outcome.NOT_COVERED,
        outcome_reason="W5: seal broken.",
        return_authorized=True,
    )
    Charge.objects.create(item=item, verification="50.00", transport="30.00", currency="USD")

    page = clerk_client.get(change_url(claim))

    assert page.status_code == 200
    text = page.text
    for shown in [
        item.serial_number,
        item.model_code,
        "Not covered</strong>, final",
        "W1, W5",
        "PO number: PO-1 ≠ PO-2",
        "Tampered with (W5)",  # the finding by its label (issue 17)
        "W5: seal broken.",
        "80.00 USD",
        "open",
    ]:
        assert shown in text, shown
    assert "still to settle" in text.lower()


def test_the_page_shows_the_thread_internal_notes_and_the_event_log_oldest_first(
    clerk_client, clerk
):
    claim = submitted_claim(items=1)
    staff = Actor.staff(clerk)
    services.post_message(actor=Actor.buyer(claim.author), claim=claim, body="Any news?")
    services.add_internal_note(actor=staff, claim=claim, body="Check the firmware first.")
    services.request_info(actor=staff, claim=claim, question="Which firmware?")

    page = clerk_client.get(change_url(claim))

    text = page.text
    assert "Any news?" in text and "Which firmware?" in text
    assert "internal note" in text and "Check the firmware first." in text
    log = text[text.index("Event log (oldest first)") :]
    assert log.index("post_message") < log.index("internal_note") < log.index("request_info")
    assert "intact" in text  # the hash chain checks out


def test_the_page_links_ready_documents_for_download(clerk_client):
    claim = submitted_claim(items=1, status=ClaimStatus.RETURN_AUTHORIZED)
    document = Document.objects.create(
        claim=claim,
        kind=DocumentKind.RETURN_AUTHORIZATION,
        language="en",
        status=DocumentStatus.READY,
    )
    document.file.save("ra.pdf", ContentFile(b"%PDF-1.4 test"), save=True)

    page = clerk_client.get(change_url(claim))

    url = reverse("documents:download", args=[document.pk])
    assert f'href="{url}"' in page.text
    assert clerk_client.get(url).status_code == 200


def test_evidence_is_downloadable_by_staff_from_the_claim_page(clerk_client):
    claim = submitted_claim(items=1)
    attachment = services.add_attachment(
        actor=Actor.buyer(claim.author),
        claim=claim,
        upload=SimpleUploadedFile("photo.png", png_bytes()),
    )

    page = clerk_client.get(change_url(claim))

    url = reverse("admin:claims_claim_attachment", args=[claim.pk, attachment.pk])
    assert f'href="{url}"' in page.text
    response = clerk_client.get(url)
    assert response.status_code == 200
    with attachment.file.open("rb") as stored:  # images are stored re-encoded (issue 13)
        assert b"".join(response.streaming_content) == stored.read()
    other = submitted_claim(items=1, rma="RMA-2025-000777")
    wrong = reverse("admin:claims_claim_attachment", args=[other.pk, attachment.pk])
    assert clerk_client.get(wrong).status_code == 404


def test_the_page_costs_the_same_queries_however_many_rows_it_shows(clerk_client, clerk):
    claim = submitted_claim(items=2)
    with CaptureQueriesContext(connection) as few:
        assert clerk_client.get(change_url(claim)).status_code == 200

    buyer = Actor.buyer(claim.author)
    for position in range(10):
        item = ClaimItemFactory(claim=claim, position=position + 2)
        services.add_attachment(
            actor=buyer, claim=claim, item=item, upload=SimpleUploadedFile("p.png", png_bytes())
        )
        services.post_message(actor=buyer, claim=claim, body=f"Message {position}")
    with CaptureQueriesContext(connection) as many:
        assert clerk_client.get(change_url(claim)).status_code == 200

    assert len(many) == len(few), "\n".join(q["sql"][:300] for q in many.captured_queries)


def test_a_buyer_cannot_download_evidence_through_the_admin(client):
    claim = submitted_claim(items=1)
    attachment = services.add_attachment(
        actor=Actor.buyer(claim.author),
        claim=claim,
        upload=SimpleUploadedFile("photo.png", png_bytes()),
    )
    client.force_login(UserFactory(organisation=claim.organisation))

    response = client.get(reverse("admin:claims_claim_attachment", args=[claim.pk, attachment.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
