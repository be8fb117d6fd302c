"""Threat: filling the disk through evidence uploads. One file, one request and one claim are each
bounded; the per-file limit holds while the body streams in, so an oversized file is never
written whole; a refused request keeps nothing, with a clear page (portal) or JSON (API)."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from accounts.services import create_api_key
from claims import services
from claims.actors import Actor
from claims.models import Attachment
from rma_portal.exceptions import ValidationFailed
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def limits(settings, tmp_path):
    settings.RMA_ATTACHMENT_MAX_BYTES = 10 * MB
    settings.RMA_UPLOAD_MAX_FILES_PER_REQUEST = 10
    settings.RMA_UPLOAD_MAX_REQUEST_BYTES = 40 * MB
    settings.RMA_CLAIM_MAX_ATTACHMENTS = 40
    settings.RMA_CLAIM_MAX_ATTACHMENT_BYTES = 200 * MB
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)


@pytest.fixture
def org(db):
    return OrganisationFactory(code="acme", is_partner=True)


@pytest.fixture
def claim(org):
    claim = ClaimFactory(organisation=org, status="draft")
    ClaimItemFactory(claim=claim)
    return claim


@pytest.fixture
def portal(org):
    client = Client()
    client.force_login(UserFactory(organisation=org))
    return client


@pytest.fixture
def api(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {create_api_key(organisation=org)[1]}")
    return client


def written_bytes() -> int:
    """Bytes this process has passed to write(2) so far (the test client runs the view here)."""
    with open(f"/proc/{os.getpid()}/io") as stats:
        return next(int(line.split()[1]) for line in stats if line.startswith("wchar:"))


def photo(size: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue() + b"\x00" * size  # padding after IEND: size only, never stored


def big(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG" + b"\x00" * (size - 4), content_type="image/png")


def test_a_50_mb_upload_is_refused_before_it_is_written_to_disk(api, claim):
    before = written_bytes()

    response = api.post(
        f"/api/v1/claims/{claim.pk}/attachments/", {"file": big("huge.png", 50 * MB)}
    )

    assert response.status_code == 413
    assert response.json() == {
        "errors": {"file": ["The upload is too large: at most 40.0\xa0MB in one request."]}
    }
    assert written_bytes() - before < 11 * MB  # at most the 10 MB per-file limit, then stop
    assert Attachment.objects.count() == 0


def test_a_file_over_the_per_file_limit_stops_being_written_at_the_limit(api, claim):
    before = written_bytes()

    response = api.post(
        f"/api/v1/claims/{claim.pk}/attachments/", {"file": big("big.png", 15 * MB)}
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": {"file": ["The file is too large: the limit is 10.0\xa0MB."]}
    }
    assert written_bytes() - before < 11 * MB
    assert Attachment.objects.count() == 0


def test_thirty_files_of_9_mb_in_one_portal_post_are_refused_and_nothing_is_kept(portal, claim):
    files = [big(f"p{n}.png", 9 * MB) for n in range(30)]

    response = portal.post(f"/claims/{claim.pk}/evidence/", {"item": "", "files": files})

    assert response.status_code == 413
    assert "Upload refused" in response.text
    assert "The upload is too large: at most 40.0\xa0MB in one request." in response.text
    assert Attachment.objects.count() == 0


def test_more_files_than_allowed_in_one_request_get_a_clear_page_not_a_bare_400(portal, claim):
    files = [SimpleUploadedFile(f"p{n}.png", photo()) for n in range(101)]

    response = portal.post(f"/claims/{claim.pk}/evidence/", {"item": "", "files": files})

    assert response.status_code == 413
    assert "Too many files in one upload: at most 10 at a time." in response.text
    assert Attachment.objects.count() == 0


def test_more_files_than_allowed_through_the_api_get_json(api, claim):
    files = [SimpleUploadedFile(f"p{n}.png", photo()) for n in range(11)]

    response = api.post(f"/api/v1/claims/{claim.pk}/attachments/", {"file": files})

    assert response.status_code == 413
    assert response.json() == {
        "errors": {"file": ["Too many files in one upload: at most 10 at a time."]}
    }


def test_ten_small_files_in_one_request_are_fine(portal, claim):
    files = [SimpleUploadedFile(f"p{n}.png", photo()) for n in range(10)]

    response = portal.post(f"/claims/{claim.pk}/evidence/", {"item": "", "files": files})

    assert response.status_code in (200, 302)
    assert Attachment.objects.filter(claim=claim).count() == 10


def test_a_claim_takes_at_most_its_count_of_attachments(claim, settings):
    settings.RMA_CLAIM_MAX_ATTACHMENTS = 3
    actor = Actor.buyer(claim.author)
    for n in range(3):
        services.add_attachment(
            actor=actor, claim=claim, upload=SimpleUploadedFile(f"{n}.png", photo())
        )

    with pytest.raises(ValidationFailed) as refused:
        services.add_attachment(
            actor=actor, claim=claim, upload=SimpleUploadedFile("x.png", photo())
        )

    assert refused.value.errors == {
        "file": ["This claim already has 3 attachments, the most one claim takes."]
    }


def test_a_claim_takes_at_most_its_total_bytes(claim, settings, api):
    one = len(
        services.add_attachment(
            actor=Actor.buyer(claim.author),
            claim=claim,
            upload=SimpleUploadedFile("a.png", photo()),
        ).file.read()
    )
    settings.RMA_CLAIM_MAX_ATTACHMENT_BYTES = one + 10

    response = api.post(
        f"/api/v1/claims/{claim.pk}/attachments/", {"file": SimpleUploadedFile("b.png", photo())}
    )

    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith(
        "This file would take the claim's attachments over"
    )
