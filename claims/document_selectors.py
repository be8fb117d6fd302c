"""Reads of documents: who may download which, their file names, and the verification code
printed on them (SPEC "Documents": genuine, void, or unknown)."""

from __future__ import annotations

from .models import VERIFICATION_ALPHABET, VERIFICATION_LENGTH, Document, DocumentStatus


def documents_visible_to(user):
    """Ready documents of the user's organisation; every one for CPRO staff; none otherwise."""
    documents = Document.objects.filter(status=DocumentStatus.READY).select_related(
        "claim", "credit_note", "debit_note"
    )
    if not user.is_authenticated:
        return documents.none()
    if user.is_staff:
        return documents
    if getattr(user, "organisation_id", None) is None:
        return documents.none()
    return documents.filter(claim__organisation_id=user.organisation_id)


def download_name(document: Document) -> str:
    """``<RMA>-<kind>.pdf``; a note's number is added, since a claim may have several."""
    parts = [document.claim.rma_number, document.kind]
    if document.number:
        parts.append(document.number)
    return "-".join(parts) + ".pdf"


def normalize_code(raw: str) -> str | None:
    """A verification code as typed off paper (any case, dashes, spaces, O for 0, I/L for 1)
    in its stored form, or None if it cannot be one."""
    code = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    code = code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(code) != VERIFICATION_LENGTH or any(ch not in VERIFICATION_ALPHABET for ch in code):
        return None
    return code


def find_by_code(raw: str) -> Document | None:
    """The issued document a verification code belongs to, or None (unknown code)."""
    code = normalize_code(raw)
    if code is None:
        return None
    return (
        Document.objects.filter(verification_code=code, status=DocumentStatus.READY)
        .select_related("claim__organisation", "credit_note", "debit_note")
        .first()
    )


def replacement_of(document: Document) -> Document | None:
    """The valid document issued after ``document`` for the same claim, kind and note (its
    reissue), or None."""
    return (
        Document.objects.filter(
            claim=document.claim_id,
            kind=document.kind,
            credit_note=document.credit_note_id,
            debit_note=document.debit_note_id,
            valid=True,
            pk__gt=document.pk,
        )
        .order_by("pk")
        .first()
    )
