"""RMA documents (SPEC "Documents"; N2, N5, R1, R2, D1, D2, S1): real WeasyPrint PDFs, their
barcodes, the verification page, the download permissions and rendering by a real worker."""

import io
import re
from decimal import Decimal

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.conf import settings
from django.urls import reverse

from claims import document_service, services
from claims.actors import Actor
from claims.models import (
    S1_ADDRESS,
    Charge,
    ClaimEvent,
    CreditNote,
    DebitNote,
    Document,
    DocumentKind,
    SupportContact,
    VoidReason,
)
from notifications.models import OutboxMessage
from rma_portal.exceptions import InvalidState, ValidationFailed
from tests.conftest import wait_for
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

RMA = "RMA-2026-000123"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Set before any worker starts, so the worker process stores files here too.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def claim(db):
    organisation = OrganisationFactory(
        code="acme", name="ACME Security GmbH", address="Industriestraße 12\n70565 Stuttgart"
    )
    claim = ClaimFactory(organisation=organisation, status="return_authorized", rma_number=RMA)
    ClaimItemFactory(claim=claim, return_authorized=True, position=0)
    ClaimItemFactory(claim=claim, return_authorized=True, position=1)
    ClaimItemFactory(claim=claim, return_authorized=False, position=2)  # not authorized: absent
    return claim


@pytest.fixture
def staff(db):
    return UserFactory(username="clerk", organisation=None, is_staff=True)


def issue(claim, kind=DocumentKind.RETURN_AUTHORIZATION, **notes) -> Document:
    return document_service.render(
        document_service.request_document(claim=claim, kind=kind, **notes)
    )


def pdf_of(document: Document) -> pypdf.PdfReader:
    with document.file.open("rb") as f:
        return pypdf.PdfReader(io.BytesIO(f.read()))


def page_texts(document: Document) -> list[str]:
    return [page.extract_text() for page in pdf_of(document).pages]


CODE128, QR = zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode


def decoded(document: Document, page_index: int) -> set[tuple[object, str]]:
    """(format, text) of every barcode zxing-cpp finds on a page rasterised at 300 dpi."""
    with document.file.open("rb") as f:
        pdf = pypdfium2.PdfDocument(f.read())
    image = pdf[page_index].render(scale=300 / 72).to_pil()
    return {(r.format, r.text) for r in zxingcpp.read_barcodes(image)}


def font_names(document: Document) -> set[str]:
    names = set()
    for page in pdf_of(document).pages:
        fonts = page["/Resources"].get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def credit_note_for(claim) -> CreditNote:
    item = claim.items.order_by("position").first()
    return CreditNote.objects.create(
        number="CN-2026-00007",
        claim=claim,
        item=item,
        amount=Decimal("1240.00"),
        currency="USD",
    )


def debit_note_for(claim) -> DebitNote:
    note = DebitNote.objects.create(
        number="DN-2026-00003", claim=claim, total=Decimal("185.00"), currency="USD"
    )
    Charge.objects.create(
        item=claim.items.order_by("position").last(),
        verification=Decimal("95.00"),
        transport=Decimal("60.00"),
        shipment=Decimal("30.00"),
        currency="USD",
        debit_note=note,
    )
    return note


# --- Return Authorization (R1) --------------------------------------------------------------


def test_return_authorization_is_a_pdf_with_the_rma_number_on_every_page(claim):
    document = issue(claim)

    texts = page_texts(document)
    assert document.status == "ready" and document.rendered_at is not None
    assert len(texts) >= 2
    assert all(RMA in text for text in texts)  # N2


def test_return_authorization_lists_only_the_authorized_items(claim):
    authorized = [i.serial_number for i in claim.items.filter(return_authorized=True)]
    other = claim.items.get(return_authorized=False).serial_number

    text = page_texts(issue(claim))[0]

    assert all(serial in text for serial in authorized)
    assert other not in text


def test_return_authorization_states_r1_r2_and_the_n5_disclaimer(claim):
    text = " ".join(" ".join(page_texts(issue(claim))).split())

    assert "only after this authorization, at the Buyer's expense" in text  # R1
    assert "original packaging, complete with the bills of purchase" in text  # R2
    assert "The RMA number is not an acknowledgement of the defect" in text  # N5
    assert "the burden of proof is the Buyer's" in text


def test_every_document_carries_the_s1_contact_and_its_verification_code(claim):
    document = issue(claim)

    text = page_texts(document)[0]
    assert "+82-70-8633, 8591" in text and "+82-31-735-5453" in text  # S1
    assert document.display_code in text
    assert f"/verify/{document.display_code}/" in text


def test_the_last_page_is_the_box_label_with_ship_to_and_item_count(claim):
    last = page_texts(issue(claim))[-1]

    assert "Box label" in last
    assert "Items in this box: 2" in last
    assert "Pangyo-ro 255bion-gil" in last  # ship to CPRO (S1 address)


def test_the_barcode_keeps_the_rma_number_and_the_qr_code_reaches_the_verification(claim):
    document = issue(claim)
    url = f"{settings.SITE_URL}/verify/{document.display_code}/"

    first = decoded(document, 0)
    assert (CODE128, RMA) in first
    assert (QR, url) in first
    assert (QR, RMA) not in first
    label = decoded(document, len(pdf_of(document).pages) - 1)
    assert (CODE128, RMA) in label
    assert (QR, url) in label


def test_a_korean_organisation_gets_its_document_in_korean_with_an_embedded_korean_font(db):
    organisation = OrganisationFactory(code="hanbit", name="한빛시큐리티", language="ko")
    claim = ClaimFactory(
        organisation=organisation, status="return_authorized", rma_number="RMA-2026-000124"
    )
    ClaimItemFactory(claim=claim, return_authorized=True)

    document = issue(claim)

    text = " ".join(page_texts(document))
    assert document.language == "ko"
    assert "반품 승인서" in text
    assert "한빛시큐리티" in text
    assert any("NanumGothic" in name for name in font_names(document))


# --- Credit and debit notes (D1, D2) ---------------------------------------------------------


def test_credit_note_document_shows_its_number_rma_and_amount(claim):
    note = credit_note_for(claim)

    document = issue(claim, DocumentKind.CREDIT_NOTE, credit_note=note)

    text = page_texts(document)[0]
    assert "CN-2026-00007" in text and RMA in text
    assert "1,240.00 USD" in text
    assert note.item.serial_number in text


def test_debit_note_document_shows_the_d2_lines_and_total(claim):
    note = debit_note_for(claim)

    document = issue(claim, DocumentKind.DEBIT_NOTE, debit_note=note)

    text = page_texts(document)[0]
    assert "DN-2026-00003" in text and RMA in text
    for amount in ("95.00 USD", "60.00 USD", "30.00 USD", "185.00 USD"):
        assert amount in text


# --- Services: idempotency, events, triggers ------------------------------------------------


def test_requesting_and_rendering_twice_gives_one_document_and_one_file(claim):
    first = issue(claim)
    second = issue(claim)

    assert first.pk == second.pk
    assert Document.objects.filter(claim=claim).count() == 1
    assert second.file.name == first.file.name and second.sha256 == first.sha256
    assert ClaimEvent.objects.filter(claim=claim, kind="document_issued").count() == 1


def test_rendering_records_document_issued_in_the_event_log(claim):
    document = issue(claim)

    event = ClaimEvent.objects.get(claim=claim, kind="document_issued")
    assert event.channel == "system"
    assert event.data["document_id"] == document.pk
    assert event.data["sha256"] == document.sha256


def test_a_file_lost_from_storage_is_rendered_again(claim):
    document = issue(claim)
    document.file.storage.delete(document.file.name)

    again = document_service.render(document)

    assert again.file.storage.exists(again.file.name)
    assert ClaimEvent.objects.filter(claim=claim, kind="document_issued").count() == 1


def test_the_file_name_is_not_guessable(claim):
    document = issue(claim)

    assert re.fullmatch(r"documents/[A-Za-z0-9_-]{32}\.pdf", document.file.name)


def test_request_schedules_rendering_after_commit(claim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        document = document_service.request_document(
            claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
        )

    assert document.status == "pending"
    assert len(callbacks) == 1


def test_a_draft_gets_no_document(db):
    draft = ClaimFactory(status="draft")

    with pytest.raises(InvalidState):
        document_service.request_document(claim=draft, kind=DocumentKind.RETURN_AUTHORIZATION)


def test_authorizing_the_return_requests_the_return_authorization(claim, staff):
    claim.status = "submitted"
    claim.save()

    services.authorize_return(actor=Actor.staff(staff), claim=claim)

    (document,) = Document.objects.filter(claim=claim)
    assert (document.kind, document.status) == (DocumentKind.RETURN_AUTHORIZATION, "pending")
    assert OutboxMessage.objects.filter(
        task_name="claims.tasks.render_document", args=[document.pk]
    ).exists()


def test_reissuing_supersedes_the_old_document(claim, staff):
    old = issue(claim)

    new = document_service.reissue_document(
        actor=Actor.staff(staff), document=old, reason="language changed"
    )

    old.refresh_from_db()
    assert new.pk != old.pk and new.valid
    assert not old.valid and "Superseded" in old.void_reason


def test_voiding_is_recorded_in_the_event_log_and_cannot_happen_twice(claim, staff):
    document = issue(claim)

    document_service.void_document(actor=Actor.staff(staff), document=document, reason="Withdrawn.")

    event = claim.events.get(kind="void_document")
    assert (event.actor, event.data["document_id"], event.data["reason"]) == (
        staff,
        document.pk,
        "Withdrawn.",
    )
    with pytest.raises(InvalidState):
        document_service.void_document(actor=Actor.staff(staff), document=document, reason="Again.")
    assert claim.events.filter(kind="void_document").count() == 1


def test_support_contact_defaults_are_the_terms_text(db):
    contact = SupportContact.current()

    assert contact.address == S1_ADDRESS
    assert contact.address == (
        "#501, 58, Pangyo-ro 255bion-gil, Bundang-gu, Seongnam-si, Gyeonggi-do, 13486, Korea"
    )
    assert (contact.telephone, contact.fax) == ("+82-70-8633, 8591", "+82-31-735-5453")
    assert (contact.email, contact.url) == ("", "")


# --- Verification page ----------------------------------------------------------------------


def test_verification_page_says_a_document_is_genuine_and_valid(claim, client):
    document = issue(claim)

    response = client.get(reverse("documents:verify", args=[document.display_code]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="check check-valid"' in content and "Genuine and valid" in content
    assert "check-void" not in content and "check-unknown" not in content
    assert RMA in content and "ACME Security GmbH" in content


def test_verification_page_shows_the_public_reason_never_staffs_own(claim, client):
    document = issue(claim)
    document_service.void_document(
        actor=Actor.staff(UserFactory(username="voider", organisation=None, is_staff=True)),
        document=document,
        reason="Clerk typed the wrong address; customer angry.",
        public_reason=VoidReason.ISSUED_IN_ERROR,
    )

    response = client.get(reverse("documents:verify", args=[document.display_code]))

    content = response.content.decode()
    assert 'class="check check-void"' in content and "Genuine, but no longer valid" in content
    assert "Issued in error" in content
    assert "customer angry" not in content
    assert "check-valid" not in content and "check-unknown" not in content


def test_verification_page_of_a_reissued_document_names_its_replacement(claim, client):
    document = issue(claim)
    new = document_service.reissue_document(
        actor=Actor.staff(UserFactory(username="voider", organisation=None, is_staff=True)),
        document=document,
        reason="Organisation renamed.",
    )

    content = client.get(reverse("documents:verify", args=[document.display_code])).text

    assert "Replaced by a newer issue" in content
    assert f"verification code {new.display_code}" in content


def test_a_void_needs_a_public_reason_from_the_list(claim):
    document = issue(claim)

    with pytest.raises(ValidationFailed) as refused:
        document_service.void_document(
            actor=Actor.staff(UserFactory(username="voider", organisation=None, is_staff=True)),
            document=document,
            reason="x",
            public_reason="because",
        )

    assert list(refused.value.errors) == ["public_reason"]
    document.refresh_from_db()
    assert document.valid


def test_verification_page_says_an_unknown_code_is_unknown(db, client):
    response = client.get(reverse("documents:verify", args=["ZZZZ-ZZZZ-ZZZZ"]))

    assert response.status_code == 404
    content = response.content.decode()
    assert 'class="check check-unknown"' in content and "Unknown code" in content


def test_the_three_states_read_in_korean(claim, client):
    document = issue(claim)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"

    content = client.get(
        reverse("documents:verify", args=[document.display_code]), HTTP_ACCEPT_LANGUAGE="ko"
    ).text

    assert "진본이며 유효합니다" in content


def test_verification_page_shows_only_that_document(claim, client):
    ra = issue(claim)
    credit = issue(claim, DocumentKind.CREDIT_NOTE, credit_note=credit_note_for(claim))

    content = client.get(reverse("documents:verify", args=[ra.display_code])).content.decode()

    assert credit.display_code not in content and "CN-2026-00007" not in content
    assert "1,240.00" not in content


def test_the_verification_form_accepts_a_code_as_typed_off_paper(claim, client):
    document = issue(claim)
    typed = document.display_code.lower().replace("-", " ")

    response = client.get(reverse("documents:verify_form"), {"code": typed}, follow=True)

    assert response.status_code == 200
    assert "Genuine and valid" in response.content.decode()


# --- Download -------------------------------------------------------------------------------


def download(client, document):
    return client.get(reverse("documents:download", args=[document.pk]))


def test_the_claims_organisation_downloads_the_pdf_as_an_attachment(claim, client):
    document = issue(claim)
    client.force_login(UserFactory(organisation=claim.organisation))

    response = download(client, document)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{RMA}-return_authorization.pdf"'
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_download_any_document(claim, client, staff):
    document = issue(claim)
    client.force_login(staff)

    assert download(client, document).status_code == 200


def test_another_organisations_user_and_anonymous_get_not_found(claim, client):
    document = issue(claim)

    assert download(client, document).status_code == 404
    client.force_login(UserFactory(organisation=OrganisationFactory(code="other")))
    assert download(client, document).status_code == 404


# --- A real worker --------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_real_worker_renders_a_requested_document(transactional_db, celery_worker_process):
    claim = ClaimFactory(status="return_authorized", rma_number="RMA-2026-000777")
    ClaimItemFactory(claim=claim, return_authorized=True)

    document = document_service.request_document(
        claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
    )

    wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready", timeout=90)
    document.refresh_from_db()
    assert document.file.storage.exists(document.file.name)
    assert "RMA-2026-000777" in page_texts(document)[0]


# --- Admin ----------------------------------------------------------------------------------


def test_admin_lists_documents_read_only(claim, admin_client):
    document = issue(claim)

    response = admin_client.get(reverse("admin:claims_document_changelist"))
    detail = admin_client.get(reverse("admin:claims_document_change", args=[document.pk]))

    assert response.status_code == 200 and RMA in response.content.decode()
    assert detail.status_code == 200 and "Save" not in detail.content.decode()


def test_staff_edit_the_one_support_contact_row_in_the_admin(admin_client):
    listing = admin_client.get(reverse("admin:claims_supportcontact_changelist"))
    contact = SupportContact.current()
    assert listing.status_code == 302
    assert listing.url == reverse("admin:claims_supportcontact_change", args=[contact.pk])

    admin_client.post(
        listing.url,
        {
            "address": contact.address,
            "telephone": contact.telephone,
            "fax": contact.fax,
            "email": "support@cpro.example",
            "url": "https://cpro.example/support",
        },
    )

    contact.refresh_from_db()
    assert contact.email == "support@cpro.example"
    assert SupportContact.objects.count() == 1
