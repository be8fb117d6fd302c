"""Issue 17: a voided document is rendered again with a VOID mark across every page, through the
same render task and outbox; the download serves the marked PDF, and the verification page still
says "genuine but void" with the public reason and the replacement's number."""

import io

import pypdf
import pytest
from celery import current_app
from django.urls import reverse

from claims import document_service
from claims import tasks as claims_tasks  # noqa: F401  (registers the render task here)
from claims.actors import Actor
from claims.models import Document, DocumentKind, VoidReason
from notifications.models import OutboxMessage
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

RMA = "RMA-2026-000321"
RENDER = "claims.tasks.render_document"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def claim_in(language: str, items: int = 14):
    # Enough items for the Return Authorization to run over more than one page.
    organisation = OrganisationFactory(code=f"acme-{language}", language=language)
    claim = ClaimFactory(organisation=organisation, status="return_authorized", rma_number=RMA)
    for position in range(items):
        ClaimItemFactory(
            claim=claim,
            return_authorized=True,
            position=position,
            defect_details="No image after power-on; the fault LED blinks twice. " * 3,
        )
    return claim


def run_render_tasks() -> None:
    """Every queued render task, as the worker runs it, then each once more (a redelivery)."""
    for _round in range(2):
        for message in OutboxMessage.objects.filter(task_name=RENDER).order_by("pk"):
            current_app.tasks[RENDER].apply(args=message.args, throw=True)


def page_texts(document: Document) -> list[str]:
    with document.file.open("rb") as f:
        return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(f.read())).pages]


@pytest.fixture
def staff():
    return UserFactory(username="clerk", organisation=None, is_staff=True)


@pytest.mark.parametrize("lang, mark", [("en", "VOID"), ("ko", "무효")])
def test_a_reissued_document_is_marked_void_on_every_page(lang, mark, staff, client):
    claim = claim_in(lang)
    old = document_service.request_document(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    run_render_tasks()
    old.refresh_from_db()
    before = page_texts(old)
    assert len(before) >= 2 and not any("VOID" in text for text in before)

    new = document_service.reissue_document(
        actor=Actor.staff(staff), document=old, reason="Organisation renamed."
    )
    run_render_tasks()

    old.refresh_from_db()
    new.refresh_from_db()
    texts = page_texts(old)
    assert len(texts) == len(before)
    for text in texts:  # the mark and why, on every page
        assert "VOID" in text and mark in text
        assert RMA in text and new.display_code in "".join(text.split())
    assert not any("VOID" in text for text in page_texts(new))

    # The download serves the marked PDF.
    client.force_login(staff)
    response = client.get(reverse("documents:download", args=[old.pk]))
    downloaded = pypdf.PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert all("VOID" in page.extract_text() for page in downloaded.pages)


def test_the_void_mark_is_rendered_once_and_the_page_still_says_genuine_but_void(staff, client):
    claim = claim_in("en", items=2)
    document = document_service.render(
        document_service.request_document(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    )
    original = document.sha256

    document_service.void_document(
        actor=Actor.staff(staff),
        document=document,
        reason="Clerk typed the wrong address.",
        public_reason=VoidReason.ISSUED_IN_ERROR,
    )
    run_render_tasks()
    document.refresh_from_db()
    marked_at, marked = document.rendered_at, document.sha256
    run_render_tasks()  # and again: nothing to do
    document.refresh_from_db()

    assert marked != original and (document.rendered_at, document.sha256) == (marked_at, marked)
    for text in page_texts(document):
        assert "VOID" in text and "Issued in error" in text
        assert "wrong address" not in text  # staff's own reason stays in the log
    assert claim.events.filter(kind="document_issued").count() == 1  # issued once, not twice
    content = client.get(reverse("documents:verify", args=[document.display_code])).text
    assert 'class="check check-void"' in content and "Genuine, but no longer valid" in content
    assert "Issued in error" in content


def test_a_document_voided_before_it_was_rendered_gets_the_mark_in_its_first_rendering(staff):
    claim = claim_in("en", items=1)
    document = document_service.request_document(
        claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
    )
    document_service.void_document(actor=Actor.staff(staff), document=document, reason="Wrong.")

    run_render_tasks()

    document.refresh_from_db()
    assert document.is_ready and not document.needs_void_mark
    assert all("VOID" in text for text in page_texts(document))
