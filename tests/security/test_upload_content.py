"""Threat: smuggling active content past the type check (polyglots). Every file is built here.

Images are decoded and re-encoded (EXIF and trailing bytes gone, orientation kept); PNG/GIF/WEBP
with bytes after their end are refused; PDFs are parsed and refused with JavaScript, embedded
files or bytes after %%EOF; MP4 must be a well-formed container.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from rest_framework.test import APIClient

from accounts.services import create_api_key
from claims import services
from claims.actors import Actor
from claims.models import Attachment
from rma_portal.exceptions import ValidationFailed
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

SCRIPT = b"<html><body><script>fetch('/api/v1/claims/').then(r=>r.text())</script></body></html>"


@pytest.fixture
def claim(db):
    claim = ClaimFactory(organisation=OrganisationFactory(is_partner=True), status="draft")
    ClaimItemFactory(claim=claim)
    return claim


def attach(claim, name, data):
    return services.add_attachment(
        actor=Actor.buyer(claim.author), claim=claim, upload=SimpleUploadedFile(name, data)
    )


def refusal(claim, name, data) -> str:
    with pytest.raises(ValidationFailed) as refused:
        attach(claim, name, data)
    assert Attachment.objects.count() == 0
    (message,) = refused.value.errors["file"]
    return message


def jpeg(size=(4, 2), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    image.save(out, format="JPEG", **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 3), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def pdf(build=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def gif_js_polyglot() -> bytes:
    """GIF89a whose width bytes open a JS comment; the script follows the GIF trailer."""
    return (
        b"GIF89a/*\x0a\x00\x00\x00\x00"  # width '/*', height 10, no colour table
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # one 1x1 image
        b"\x02\x02D\x01\x00"  # LZW data
        b";"  # trailer: the GIF ends here
        b"*/=1;fetch('/api/v1/claims/').then(r=>r.text());"
    )


# --- Images --------------------------------------------------------------------------------------


def test_a_jpeg_header_followed_by_html_is_refused(claim):
    data = jpeg()[:20] + SCRIPT

    assert refusal(claim, "photo.jpg", data) == (
        "'photo.jpg' cannot be attached: it cannot be read as an image."
    )


def test_a_gif_javascript_polyglot_is_refused(claim):
    data = gif_js_polyglot()
    assert Image.open(io.BytesIO(data)).format == "GIF"  # a real, decodable GIF

    assert refusal(claim, "x.gif", data) == (
        "'x.gif' cannot be attached: it carries data after the end of the image."
    )


def test_a_png_with_html_after_its_end_is_refused(claim):
    assert refusal(claim, "x.png", png() + SCRIPT) == (
        "'x.png' cannot be attached: it carries data after the end of the image."
    )


def test_a_photo_is_stored_re_encoded_without_exif_or_trailing_bytes_and_upright(claim):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to view
    exif[0x010F] = "SecretCam"  # camera make, and with it whatever else rides along
    data = jpeg(size=(4, 2), exif=exif.tobytes()) + SCRIPT  # phones append data after EOI

    attachment = attach(claim, "photo.jpg", data)

    stored = attachment.file.open("rb").read()
    assert SCRIPT not in stored and b"SecretCam" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.getexif() == {}
    assert image.size == (2, 4)  # the orientation is applied to the pixels


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_magic_followed_by_html_is_refused(claim):
    assert refusal(claim, "report.pdf", b"%PDF-1.4\n" + SCRIPT) == (
        "'report.pdf' cannot be attached: it carries data after the end of the PDF."
    )


def test_a_pdf_with_html_after_eof_is_refused(claim):
    assert refusal(claim, "report.pdf", pdf() + SCRIPT) == (
        "'report.pdf' cannot be attached: it carries data after the end of the PDF."
    )


def test_a_pdf_that_runs_javascript_when_opened_is_refused(claim):
    def open_action(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1)"),
            }
        )

    assert refusal(claim, "report.pdf", pdf(open_action)) == (
        "'report.pdf' cannot be attached: the PDF contains JavaScript."
    )


def test_a_pdf_with_a_link_that_runs_javascript_is_refused(claim):
    def link(writer):
        action = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
        )
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
                NameObject("/A"): action,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    data = pdf(link)

    assert "the PDF contains JavaScript" in refusal(claim, "report.pdf", data)


def test_a_pdf_with_an_embedded_file_is_refused(claim):
    data = pdf(lambda writer: writer.add_attachment("invoice.exe", b"MZ" + b"\x00" * 64))

    assert refusal(claim, "report.pdf", data) == (
        "'report.pdf' cannot be attached: the PDF contains embedded files."
    )


def test_a_plain_pdf_is_kept_as_it_is(claim):
    data = pdf()

    assert attach(claim, "report.pdf", data).file.open("rb").read() == data


# --- Video ---------------------------------------------------------------------------------------

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08moov"


def test_an_mp4_with_html_after_its_boxes_is_refused(claim):
    assert "is not a well-formed MP4 video" in refusal(claim, "clip.mp4", MP4 + SCRIPT)


def test_an_mp4_without_a_movie_box_is_refused(claim):
    data = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free"

    assert "is not a well-formed MP4 video" in refusal(claim, "clip.mp4", data)


# --- Through the channels ------------------------------------------------------------------------


def test_the_portal_shows_the_reason_beside_the_field(claim):
    client = Client()
    client.force_login(UserFactory(organisation=claim.organisation))

    response = client.post(
        f"/claims/{claim.pk}/evidence/",
        {"item": "", "files": [SimpleUploadedFile("x.gif", gif_js_polyglot())]},
    )

    assert "it carries data after the end of the image" in response.text
    assert Attachment.objects.count() == 0


def test_the_api_answers_400_with_the_reason(claim):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Api-Key {create_api_key(organisation=claim.organisation)[1]}"
    )

    response = client.post(
        f"/api/v1/claims/{claim.pk}/attachments/",
        {"file": SimpleUploadedFile("report.pdf", b"%PDF-1.4\n" + SCRIPT)},
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "file": ["'report.pdf' cannot be attached: it carries data after the end of the PDF."]
        }
    }
