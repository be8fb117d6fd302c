"""Uploads from hostile clients: bounded while they stream, and checked beyond their first bytes.

Two halves, both used by every channel (portal and partner API):

* ``LimitedUploadHandler`` (settings ``FILE_UPLOAD_HANDLERS``) counts bytes as the request
  streams in. A file over ``RMA_ATTACHMENT_MAX_BYTES`` (``RMA_IMPORT_MAX_UPLOAD_BYTES`` for the
  admin's shipment import, ``upload_limits``) stops being written at the limit (its temp
  file is deleted and the service refuses it by its size); more than
  ``RMA_UPLOAD_MAX_FILES_PER_REQUEST`` files or ``RMA_UPLOAD_MAX_REQUEST_BYTES`` in one request
  stops the upload at once and ``UploadLimitMiddleware`` answers 413 (JSON under ``/api/``).
* ``check_claim_room`` and ``clean_content``, called by ``claims.services.add_attachment``:
  the claim's own totals (``RMA_CLAIM_MAX_ATTACHMENTS``, ``RMA_CLAIM_MAX_ATTACHMENT_BYTES``),
  then the content. Images are decoded and re-encoded with Pillow (EXIF, comments, trailing data
  and anything else that rides along are dropped; the EXIF orientation is applied to the pixels
  first). PNG, GIF and WEBP files with bytes after their end are refused (the GIF/JS polyglot).
  PDFs are parsed with pypdf and refused when they carry JavaScript, launch actions, embedded
  files, are encrypted (cannot be checked) or have bytes after the last ``%%EOF``. MP4 video is
  kept to a container check: its top-level ISO-BMFF boxes must start with ``ftyp``, include
  ``moov`` and tile the file exactly; the frames themselves are not decoded (we ship no video
  decoder), and video is only ever served as a download (``Content-Disposition: attachment``).
"""

from __future__ import annotations

import io
import struct
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework.parsers import MultiPartParser

from rma_portal.exceptions import ValidationFailed

MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel photo; more is a decompression bomb here
MAX_PDF_OBJECTS = 200_000  # walked at most; a PDF needing more is refused, not trusted


# --- While the request streams -------------------------------------------------------------------


class TooLargeUpload(UploadedFile):
    """What is left of a file that went over the per-file limit: nothing but its size.

    ``size`` is the bytes seen before writing stopped (over the limit), so the attachment
    service refuses it with its usual "too large" message, beside the field or as JSON.
    """

    def __init__(self, name: str, content_type: str, size: int):
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Django's temp-file handler with limits checked on every chunk, before it is written."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.files_seen = 0
        self.request_bytes = 0
        self.current_too_large = False
        self.current_bytes = 0
        self.max_file, self.max_request = upload_limits(self.request)
        refusals = getattr(self.request, "upload_refusals", None)
        if refusals is None:
            self.request.upload_refusals = []

    def _refuse_request(self, message: str) -> None:
        self.request.upload_refusals.append(message)
        if getattr(self, "file", None) is not None:
            self.file.close()  # a TemporaryUploadedFile: closing deletes it
        raise StopUpload(connection_reset=False)

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.files_seen += 1
        max_files = settings.RMA_UPLOAD_MAX_FILES_PER_REQUEST
        if self.files_seen > max_files:
            self._refuse_request(
                _("Too many files in one upload: at most %(count)d at a time.")
                % {"count": max_files}
            )
        self.current_too_large = False
        self.current_bytes = 0
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.request_bytes += len(raw_data)
        self.current_bytes += len(raw_data)
        max_request = self.max_request
        if self.request_bytes > max_request:
            self._refuse_request(
                _("The upload is too large: at most %(limit)s in one request.")
                % {"limit": filesizeformat(max_request)}
            )
        if self.current_too_large:
            return None
        if self.current_bytes > self.max_file:
            # Stop writing this file now; what was written goes with its temp file.
            self.current_too_large = True
            self.file.close()
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        if self.current_too_large:
            return TooLargeUpload(self.file_name, self.content_type, self.current_bytes)
        return super().file_complete(file_size)


def upload_limits(request) -> tuple[int, int]:
    """(largest file, largest request) for this request: the evidence limits, or those of a
    view that takes one large file (``RMA_LARGE_FILE_VIEWS``: the admin's shipment import)."""
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        view_name = None
    setting = settings.RMA_LARGE_FILE_VIEWS.get(view_name)
    if setting is None:
        return settings.RMA_ATTACHMENT_MAX_BYTES, settings.RMA_UPLOAD_MAX_REQUEST_BYTES
    largest = getattr(settings, setting)
    # The request carries the form's other fields too: a megabyte of room for them.
    return largest, max(settings.RMA_UPLOAD_MAX_REQUEST_BYTES, largest + 2**20)


class UploadLimitMiddleware:
    """Answers a request the upload handler stopped: 413, JSON for the API, a page otherwise.

    After ``CsrfViewMiddleware`` (which reads the form first, so the token is checked before
    anything else is said about the request).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.content_type.startswith("multipart/"):
            return None
        api_view = getattr(view_func, "cls", None)
        if api_view is not None and not any(
            issubclass(parser, MultiPartParser) for parser in api_view.parser_classes
        ):
            return None  # a JSON-only API view answers 415 itself; leave the body unread
        request.POST  # noqa: B018 - parse now (streamed through LimitedUploadHandler)
        refusals = getattr(request, "upload_refusals", None)
        if not refusals:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"errors": {"file": refusals}}, status=413)
        return render(request, "upload_refused.html", {"refusals": refusals}, status=413)


# --- Per claim ----------------------------------------------------------------------------------


def check_claim_room(claim: Any, size: int) -> None:
    """One more file of ``size`` bytes fits the claim's totals, or ValidationFailed (N5 evidence
    stays useful, and no claim becomes a file store). Call with the claim row locked."""
    totals = claim.attachments.aggregate(count=Count("pk"), bytes=Sum("size"))
    max_count = settings.RMA_CLAIM_MAX_ATTACHMENTS
    max_bytes = settings.RMA_CLAIM_MAX_ATTACHMENT_BYTES
    if totals["count"] + 1 > max_count:
        raise ValidationFailed(
            {
                "file": [
                    _("This claim already has %(count)d attachments, the most one claim takes.")
                    % {"count": totals["count"]}
                ]
            }
        )
    if (totals["bytes"] or 0) + size > max_bytes:
        raise ValidationFailed(
            {
                "file": [
                    _("This file would take the claim's attachments over %(limit)s in total.")
                    % {"limit": filesizeformat(max_bytes)}
                ]
            }
        )


# --- Content -------------------------------------------------------------------------------------


def _refuse(name: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        {
            "file": [
                _("'%(name)s' cannot be attached: %(reason)s.") % {"name": name, "reason": reason}
            ]
        }
    )


def clean_content(data: bytes, mime: str, name: str) -> bytes:
    """The bytes to store for an upload already sniffed as ``mime``; ValidationFailed if unsafe.

    Images come back re-encoded; PDFs and video come back unchanged once checked.
    """
    if mime.startswith("image/"):
        return _clean_image(data, mime, name)
    if mime == "application/pdf":
        _check_pdf(data, name)
        return data
    if mime == "video/mp4":
        _check_mp4(data, name)
        return data
    raise _refuse(name, _("this type is not checked"))


# Images ------------------------------------------------------------------------------------------

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def _png_end(data: bytes) -> int | None:
    """Offset just after the IEND chunk, walking the chunks; None if the structure is broken."""
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


def _gif_end(data: bytes) -> int | None:
    """Offset just after the trailer (0x3B), walking the blocks; None if the structure is broken."""
    try:
        pos = 13
        flags = data[10]
        if flags & 0x80:
            pos += 3 * (2 << (flags & 7))
        while True:
            block = data[pos]
            if block == 0x3B:
                return pos + 1
            if block == 0x21:  # extension: label, then sub-blocks
                pos += 2
            elif block == 0x2C:  # image: descriptor, local colour table, LZW size, sub-blocks
                local = data[pos + 9]
                pos += 10
                if local & 0x80:
                    pos += 3 * (2 << (local & 7))
                pos += 1
            else:
                return None
            while data[pos] != 0:
                pos += data[pos] + 1
            pos += 1
    except IndexError:
        return None


def _webp_end(data: bytes) -> int | None:
    if len(data) < 12:
        return None
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)


def _trailing(data: bytes, mime: str) -> bool:
    end = {"image/png": _png_end, "image/gif": _gif_end, "image/webp": _webp_end}.get(mime)
    if end is None:  # JPEG: phones append data after EOI (MPF); re-encoding drops it
        return False
    at = end(data)
    return at is None or data[at:].strip(b"\x00") != b""


def _clean_image(data: bytes, mime: str, name: str) -> bytes:
    from PIL import Image, ImageOps

    if _trailing(data, mime):
        raise _refuse(name, _("it carries data after the end of the image"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise _refuse(name, _("the image has too many pixels"))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
            image.load()
            out = io.BytesIO()
            fmt = _PIL_FORMATS[mime]
            if frames > 1 and fmt in {"GIF", "WEBP"}:
                # Animations keep their frames and timing; only pixels are written back.
                image.save(out, format=fmt, save_all=True, loop=image.info.get("loop", 0))
            else:
                upright = ImageOps.exif_transpose(image)
                if fmt == "JPEG" and upright.mode not in {"RGB", "L"}:
                    upright = upright.convert("RGB")
                options = {"quality": 92} if fmt in {"JPEG", "WEBP"} else {}
                upright.save(out, format=fmt, **options)  # no exif=, no icc, no comments
    except ValidationFailed:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken or hostile file
        raise _refuse(name, _("it cannot be read as an image")) from exc
    return out.getvalue()


# PDF ---------------------------------------------------------------------------------------------

_PDF_FORBIDDEN_NAMES = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action",
    "/EmbeddedFile": "embedded files",
    "/EmbeddedFiles": "embedded files",
    "/RichMedia": "embedded media",
    "/XFA": "an XFA form",
}


def _pdf_reason(found: str) -> str:
    if found == "JavaScript":
        return _("the PDF contains JavaScript")
    if found == "embedded files":
        return _("the PDF contains embedded files")
    if found == "a launch action":
        return _("the PDF can launch programs")
    return _("the PDF contains active content (%(what)s)") % {"what": found}


def _check_pdf(data: bytes, name: str) -> None:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    tail = data.rstrip(b"\r\n\t \x00\x0c")
    if not tail.endswith(b"%%EOF"):
        raise _refuse(name, _("it carries data after the end of the PDF"))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(name, _("the PDF is encrypted, so its content cannot be checked"))
        len(reader.pages)  # the page tree must resolve
        seen: set[tuple[int, int]] = set()
        stack: list[Any] = [reader.trailer]
        walked = 0
        while stack:
            node = stack.pop()
            walked += 1
            if walked > MAX_PDF_OBJECTS:
                raise _refuse(name, _("the PDF is too complex to check"))
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                node = node.get_object()
            if isinstance(node, DictionaryObject):
                for key, value in node.items():
                    if key in _PDF_FORBIDDEN_NAMES:
                        raise _refuse(name, _pdf_reason(_PDF_FORBIDDEN_NAMES[key]))
                    if isinstance(value, NameObject) and value in _PDF_FORBIDDEN_NAMES:
                        raise _refuse(name, _pdf_reason(_PDF_FORBIDDEN_NAMES[value]))
                    if key != "/Parent":
                        stack.append(value)
            elif isinstance(node, ArrayObject):
                stack.extend(node)
    except ValidationFailed:
        raise
    except Exception as exc:  # pypdf raises many kinds for a broken or hostile file
        raise _refuse(name, _("it cannot be read as a PDF")) from exc


# MP4 ---------------------------------------------------------------------------------------------

_MP4_TOP_LEVEL = {
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"pdin",
    b"moof", b"mfra", b"styp", b"sidx", b"ssix", b"emsg", b"prft", b"udta",
}  # fmt: skip


def _check_mp4(data: bytes, name: str) -> None:
    pos, kinds = 0, []
    while pos < len(data):
        if pos + 8 > len(data):
            raise _refuse(name, _("it carries data after the end of the video"))
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            if pos + 16 > len(data):
                raise _refuse(name, _("it is not a well-formed MP4 video"))
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
        elif size == 0:
            size = len(data) - pos  # "to the end of the file"
        if kind not in _MP4_TOP_LEVEL or size < 8 or pos + size > len(data):
            raise _refuse(name, _("it is not a well-formed MP4 video"))
        kinds.append(kind)
        pos += size
    if not kinds or kinds[0] != b"ftyp" or b"moov" not in kinds:
        raise _refuse(name, _("it is not a well-formed MP4 video"))
