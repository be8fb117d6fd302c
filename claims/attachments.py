"""Evidence (N5: the burden of proof is the buyer's): uploads checked by content, stored under
random names."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from rma_portal import uploads
from rma_portal.exceptions import (
    ValidationFailed,
)

from .actors import Actor
from .models import (
    Attachment,
    Claim,
    ClaimItem,
)
from .workflow import act

# What an upload may be, by its content (SPEC "What every part must hold"): sniffed MIME type
# to the extension it is stored under.
ALLOWED_UPLOADS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
}


# Extensions a buyer's file name may carry for each allowed type; any other gets the right one.
_NAME_EXTENSIONS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"jpg", "jpeg", "jpe", "jfif"}),
    "image/png": frozenset({"png"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "application/pdf": frozenset({"pdf"}),
    "video/mp4": frozenset({"mp4", "m4v"}),
}


_ALLOWED_NAMES = "JPEG, PNG, GIF, WEBP, PDF, MP4"


def _max_upload_bytes() -> int:
    return settings.RMA_ATTACHMENT_MAX_BYTES


def _read_upload(upload: Any, limit: int) -> bytes:
    """The upload's bytes, read at most ``limit`` + 1 so an oversized file is never held whole."""
    too_big = _("The file is too large: the limit is %(limit)s.") % {"limit": filesizeformat(limit)}
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise ValidationFailed({"file": [too_big]})
    if hasattr(upload, "seek"):
        upload.seek(0)
    chunks: list[bytes] = []
    total = 0
    source = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
    for chunk in source:
        total += len(chunk)
        if total > limit:
            raise ValidationFailed({"file": [too_big]})
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ValidationFailed({"file": [_("The file is empty.")]})
    return data


def _sniff(data: bytes, shown_name: str) -> tuple[str, str]:
    """The content's real type and storage extension; anything not allowed is refused.

    Judged by the bytes only: a renamed executable, archive or web page is caught whatever its
    name or the browser's content type claims.
    """
    kind = filetype.guess(data)
    if kind is not None and kind.mime in ALLOWED_UPLOADS:
        return kind.mime, ALLOWED_UPLOADS[kind.mime]
    found = (
        _("its content is %(type)s") % {"type": kind.mime}
        if kind is not None
        else _("its content is not a recognised file type")
    )
    raise ValidationFailed(
        {
            "file": [
                _(
                    "'%(name)s' cannot be attached: %(found)s, whatever its name says. "
                    "Allowed: %(allowed)s."
                )
                % {"name": shown_name, "found": found, "allowed": _ALLOWED_NAMES}
            ]
        }
    )


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def sanitise_filename(name: str, mime: str | None = None, *, max_length: int = 200) -> str:
    """A display name safe to show and to offer as a download name.

    Directories, control and reserved characters are dropped; when ``mime`` is given the
    extension is made to match the sniffed type, so "invoice.exe" holding a PNG reads
    "invoice.exe.png".
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", name)
    name = " ".join(name.split()).strip(" .")
    if mime is not None:
        stem, dot, ext = name.rpartition(".")
        if not dot or ext.lower() not in _NAME_EXTENSIONS[mime]:
            name = f"{name or 'attachment'}.{ALLOWED_UPLOADS[mime]}"
    name = name or "attachment"
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) < 10:
            name = stem[: max_length - len(ext) - 1] + "." + ext
        else:
            name = name[:max_length]
    return name


def check_evidence(*, upload: Any) -> None:
    """N5: the content checks of ``add_attachment`` alone (size, sniffed type, content), for a
    form that reports every error at once although the claim itself was refused, so nothing
    could be attached. Raises ``ValidationFailed`` on ``"file"``; leaves the upload rewound."""
    try:
        shown_name = sanitise_filename(getattr(upload, "name", "") or "")
        data = _read_upload(upload, _max_upload_bytes())
        mime, _ext = _sniff(data, shown_name)
        uploads.clean_content(data, mime, shown_name)
    finally:
        if hasattr(upload, "seek"):
            upload.seek(0)


def add_attachment(
    *, actor: Actor, claim: Claim, upload: Any, item: ClaimItem | None = None
) -> Attachment:
    """Attach evidence to a claim or one of its items (N5: the burden of proof is the buyer's).

    Allowed in the statuses ``RULES["attach"]`` lists, drafts included, so a photo can be
    attached before submission. The content is sniffed (JPEG, PNG, GIF, WEBP, PDF, MP4 only),
    the size limited (``RMA_ATTACHMENT_MAX_BYTES``), an empty file refused; the file is stored
    under a random name with the sniffed extension, never the uploader's name.
    """
    stored: list[Any] = []
    try:
        with act(claim, "attach", actor) as step:
            if item is not None and item.claim_id != step.claim.pk:
                raise ValidationFailed({"item": [_("This item is not part of the claim.")]})
            shown_name = sanitise_filename(getattr(upload, "name", "") or "")
            data = _read_upload(upload, _max_upload_bytes())
            mime, ext = _sniff(data, shown_name)
            uploads.check_claim_room(step.claim, len(data))  # per-claim totals
            data = uploads.clean_content(data, mime, shown_name)  # beyond magic bytes
            attachment = Attachment(
                claim=step.claim,
                item=item,
                storage_name=f"{secrets.token_urlsafe(24)}.{ext}",
                original_name=sanitise_filename(shown_name, mime),
                content_type=mime,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                uploaded_by=actor.user,
                channel=actor.channel,
            )
            attachment.file.save(attachment.storage_name, ContentFile(data), save=False)
            stored.append(attachment.file)
            attachment.save()
            step.data.update(
                attachment=attachment.pk,
                item=item.pk if item is not None else None,
                original_name=attachment.original_name,
                content_type=mime,
                size=attachment.size,
                sha256=attachment.sha256,
            )
    except BaseException:
        # The row rolled back; do not leave its file behind.
        for file in stored:
            file.storage.delete(file.name)
        raise
    return attachment
