"""Evidence uploads (N5), checked by content, not by name (SPEC "What every part must hold")."""

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from claims import selectors, services
from claims.actors import Actor
from claims.models import Attachment, Claim
from rma_portal.exceptions import InvalidState, NotFound, ValidationFailed
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def png_bytes(width=2, height=2) -> bytes:
    """A real PNG, built from its chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    """A real one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (4, xref))
    return out.getvalue()


def jpeg_bytes(width=2, height=2) -> bytes:
    """A real baseline JPEG (JFIF), as a camera or editor writes it."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


JPEG = jpeg_bytes()
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
GIF += b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = bytes.fromhex(
    "524946463a00000057454250565038202e000000b001009d012a0100010001402625a00274ba0004300000fef1dc"
    "8ff80dd7c5b4cbffbd82ffdd82ffdd82ff5b0000"
)
# ftyp, an (empty) movie header box and padding: the top-level boxes tile the file exactly.
MP4 = (
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + b"\x00\x00\x00\x08moov"
    + b"\x00\x00\x00\x08free"
)


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("invoice.exe", b"MZ" + b"\x00" * 100)
    return out.getvalue()


DISGUISED = {
    "windows executable": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 120,
    "linux executable": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120,
    "zip archive": zip_bytes(),
    "web page": b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    "svg image": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "plain text": b"just some text pretending to be a photo",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def claim(org):
    return ClaimFactory(organisation=org, status="draft")


@pytest.fixture
def item(claim):
    return ClaimItemFactory(claim=claim)


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "data", "mime", "ext"),
    [
        ("photo.jpg", JPEG, "image/jpeg", "jpg"),
        ("photo.png", png_bytes(), "image/png", "png"),
        ("anim.gif", GIF, "image/gif", "gif"),
        ("photo.webp", WEBP, "image/webp", "webp"),
        ("report.pdf", pdf_bytes(), "application/pdf", "pdf"),
        ("clip.mp4", MP4, "video/mp4", "mp4"),
    ],
)
def test_allowed_files_are_accepted_by_their_content(
    buyer, claim, item, media, name, data, mime, ext
):
    attachment = services.add_attachment(
        actor=buyer, claim=claim, item=item, upload=upload(name, data)
    )

    with attachment.file.open("rb") as f:
        stored = f.read()
    assert attachment.content_type == mime
    assert attachment.size == len(stored)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.original_name == name
    assert attachment.storage_name.endswith("." + ext)
    assert attachment.item == item
    assert attachment.uploaded_by == buyer.user
    if mime.startswith("image/"):
        # Images are stored re-encoded (issue 13): the same picture, nothing riding along.
        assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(data)).size
    else:
        assert stored == data
    assert stored_files(media) == [media / "attachments" / attachment.storage_name]


def test_the_type_comes_from_the_bytes_not_the_name_or_the_browser(buyer, claim, media):
    attachment = services.add_attachment(
        actor=buyer,
        claim=claim,
        upload=upload("scan.pdf", png_bytes(), content_type="application/pdf"),
    )

    assert attachment.content_type == "image/png"
    assert attachment.storage_name.endswith(".png")
    assert attachment.original_name == "scan.pdf.png"


def test_the_stored_name_is_random_and_never_the_uploaders(buyer, claim, media):
    first = services.add_attachment(
        actor=buyer, claim=claim, upload=upload("my-broken-camera.png", png_bytes())
    )
    second = services.add_attachment(
        actor=buyer, claim=claim, upload=upload("my-broken-camera.png", png_bytes())
    )

    assert first.storage_name != second.storage_name
    for attachment in (first, second):
        stem = attachment.storage_name.rsplit(".", 1)[0]
        assert len(stem) >= 32  # 24 random bytes, URL-safe base64
        assert "camera" not in attachment.storage_name
        assert attachment.file.name == f"attachments/{attachment.storage_name}"


def test_the_original_name_is_sanitised_for_display(buyer, claim):
    attachment = services.add_attachment(
        actor=buyer,
        claim=claim,
        upload=upload('..\\..\\evil<script>"x".png', png_bytes()),
    )

    assert attachment.original_name == "evilscriptx.png"


def test_the_upload_is_recorded_on_the_claims_timeline(buyer, claim, item):
    attachment = services.add_attachment(
        actor=buyer, claim=claim, item=item, upload=upload("a.png", png_bytes())
    )

    event = claim.events.get()
    assert event.kind == "attach"
    assert event.data["attachment"] == attachment.pk
    assert event.data["item"] == item.pk
    assert event.data["sha256"] == attachment.sha256


def assert_nothing_stored(claim, media):
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert Claim.objects.get(pk=claim.pk).event_count == 0


@pytest.mark.parametrize("what", sorted(DISGUISED))
def test_a_disguised_file_is_refused_with_a_clear_message(buyer, claim, media, what):
    with pytest.raises(ValidationFailed) as caught:
        services.add_attachment(
            actor=buyer,
            claim=claim,
            upload=upload("holiday.jpg", DISGUISED[what], content_type="image/jpeg"),
        )

    message = caught.value.errors["file"][0]
    assert "'holiday.jpg' cannot be attached" in message
    assert "whatever its name says" in message
    assert "JPEG, PNG, GIF, WEBP, PDF, MP4" in message
    assert_nothing_stored(claim, media)


def test_a_renamed_executable_names_what_it_really_is(buyer, claim, media):
    with pytest.raises(ValidationFailed) as caught:
        services.add_attachment(
            actor=buyer, claim=claim, upload=upload("photo.jpg", DISGUISED["windows executable"])
        )

    assert "application/x-msdownload" in caught.value.message


def test_an_oversized_file_is_refused(buyer, claim, media, settings):
    settings.RMA_ATTACHMENT_MAX_BYTES = 1000
    big = png_bytes(width=400, height=400)
    assert len(big) > 1000

    with pytest.raises(ValidationFailed) as caught:
        services.add_attachment(actor=buyer, claim=claim, upload=upload("big.png", big))

    assert "too large" in caught.value.errors["file"][0]
    assert "1000" in caught.value.errors["file"][0]
    assert_nothing_stored(claim, media)


def test_a_file_of_exactly_the_limit_is_accepted(buyer, claim, settings):
    data = png_bytes()
    settings.RMA_ATTACHMENT_MAX_BYTES = len(data)

    services.add_attachment(actor=buyer, claim=claim, upload=upload("ok.png", data))

    assert Attachment.objects.count() == 1


def test_the_size_is_counted_from_the_bytes_not_the_declared_size(buyer, claim, media, settings):
    settings.RMA_ATTACHMENT_MAX_BYTES = 1000
    lying = upload("big.png", png_bytes(width=400, height=400))
    lying.size = 10

    with pytest.raises(ValidationFailed):
        services.add_attachment(actor=buyer, claim=claim, upload=lying)

    assert_nothing_stored(claim, media)


def test_an_empty_file_is_refused(buyer, claim, media):
    with pytest.raises(ValidationFailed) as caught:
        services.add_attachment(actor=buyer, claim=claim, upload=upload("empty.png", b""))

    assert caught.value.errors == {"file": ["The file is empty."]}
    assert_nothing_stored(claim, media)


def test_an_item_of_another_claim_is_refused(buyer, claim, org, media):
    other_item = ClaimItemFactory(claim=ClaimFactory(organisation=org))

    with pytest.raises(ValidationFailed) as caught:
        services.add_attachment(
            actor=buyer, claim=claim, item=other_item, upload=upload("a.png", png_bytes())
        )

    assert list(caught.value.errors) == ["item"]
    assert_nothing_stored(claim, media)


def test_evidence_cannot_be_added_to_a_closed_claim(buyer, claim, media):
    Claim.objects.filter(pk=claim.pk).update(status="closed")

    with pytest.raises(InvalidState):
        services.add_attachment(actor=buyer, claim=claim, upload=upload("a.png", png_bytes()))

    assert_nothing_stored(claim, media)


def test_another_organisation_cannot_attach_to_a_claim(claim, media):
    stranger = Actor.buyer(UserFactory(organisation=OrganisationFactory(code="rival")))

    with pytest.raises(NotFound):
        services.add_attachment(actor=stranger, claim=claim, upload=upload("a.png", png_bytes()))

    assert_nothing_stored(claim, media)


# --- Downloads are permission-checked (selectors.attachment_for) --------------------------------


@pytest.fixture
def attachment(buyer, claim):
    return services.add_attachment(actor=buyer, claim=claim, upload=upload("a.png", png_bytes()))


def test_the_claims_organisation_and_staff_may_download(attachment, org, buyer):
    staff = User.objects.create(username="clerk", is_staff=True)

    assert selectors.attachment_for(org, attachment.pk) == attachment
    assert selectors.attachment_for(buyer, str(attachment.pk)) == attachment
    assert selectors.attachment_for(buyer.user, attachment.pk) == attachment
    assert selectors.attachment_for(Actor.staff(staff), attachment.pk) == attachment
    assert selectors.attachment_for(staff, attachment.pk) == attachment


def test_another_organisation_cannot_download(attachment):
    rival = OrganisationFactory(code="rival")
    stranger = UserFactory(organisation=rival)

    for asker in (rival, Actor.buyer(stranger), stranger):
        with pytest.raises(NotFound):
            selectors.attachment_for(asker, attachment.pk)


def test_an_attachment_of_an_internal_note_is_for_staff_only(attachment, buyer, claim):
    staff = Actor.staff(User.objects.create(username="clerk", is_staff=True))
    note = services.add_internal_note(actor=staff, claim=claim, body="see photo")
    Attachment.objects.filter(pk=attachment.pk).update(message=note)

    with pytest.raises(NotFound):
        selectors.attachment_for(buyer, attachment.pk)
    assert selectors.attachment_for(staff, attachment.pk) == attachment


def test_a_malformed_attachment_id_is_not_found(attachment, buyer):
    for key in ("abc", None, -1, 0, 2**70):
        with pytest.raises(NotFound):
            selectors.attachment_for(buyer, key)
