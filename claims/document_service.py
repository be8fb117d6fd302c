"""Writes on the claim's documents (SPEC "Documents"): Return Authorization (R1), credit note (D1)
and debit note (D2).

``request_document`` records that a document is due and queues its rendering through the outbox;
the act that causes a document calls it by name (``returns.authorize_return``,
``settlement.issue_credit_note``...). ``render`` turns it into a PDF once (safe to run twice,
called by the ``claims.tasks.render_document`` task); ``void_document`` and ``reissue_document``
are staff acts.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import outbox
from partner_api.models import WebhookEvent
from rma_portal.exceptions import InvalidState

from . import workflow
from .actors import Actor
from .cleaning import FieldErrors
from .document_rendering import render_pdf
from .models import (
    Claim,
    ClaimStatus,
    CreditNote,
    DebitNote,
    Document,
    DocumentKind,
    DocumentStatus,
    VoidReason,
)

K = DocumentKind
RENDER_TASK = "claims.tasks.render_document"


def request_document(
    *,
    claim: Claim,
    kind: str,
    credit_note: CreditNote | None = None,
    debit_note: DebitNote | None = None,
) -> Document:
    """Record that a document is due (R1 return authorization, D1 credit note, D2 debit note)
    and schedule its rendering after commit. Idempotent: the same valid document is returned
    while it exists; asking again for one still pending schedules it again."""
    _check_request(claim, kind, credit_note, debit_note)
    lookup = {
        "claim": claim,
        "kind": kind,
        "credit_note": credit_note,
        "debit_note": debit_note,
        "valid": True,
    }
    document = Document.objects.filter(**lookup).first()
    if document is None:
        try:
            with transaction.atomic():
                document = Document.objects.create(**lookup, language=claim.organisation.language)
        except IntegrityError:
            # A concurrent request created it first (the partial unique constraints).
            document = Document.objects.get(**lookup)
    if document.status == DocumentStatus.PENDING:
        _schedule(document)
    return document


def _check_request(claim, kind, credit_note, debit_note) -> None:
    if kind not in K.values:
        raise ValueError(f"Unknown document kind {kind!r}.")
    if (credit_note is not None) != (kind == K.CREDIT_NOTE):
        raise ValueError("A credit note document needs its credit note, and only it.")
    if (debit_note is not None) != (kind == K.DEBIT_NOTE):
        raise ValueError("A debit note document needs its debit note, and only it.")
    note = credit_note or debit_note
    if note is not None and note.claim_id != claim.pk:
        raise ValueError("The note belongs to another claim.")
    if claim.status == ClaimStatus.DRAFT or not claim.rma_number:
        # N2: every document carries the RMA number; a draft has none.
        raise InvalidState(_("Documents are issued only for claims with an RMA number."))


def _schedule(document: Document, *, attempt: str = "") -> None:
    """Render after commit: the one place that starts rendering. It goes through the outbox, so
    a broker that is down at commit time loses nothing (notifications.outbox drains it later)."""
    outbox.enqueue(
        RENDER_TASK,
        args=[document.pk],
        dedupe_key=f"document:{document.pk}:render{attempt}",
    )


def schedule_rendering(document: Document) -> bool:
    """Schedule a pending document again (its task was lost); False if nothing to do."""
    if document.status != DocumentStatus.PENDING or not document.valid:
        return False
    _schedule(document, attempt=f":{secrets.token_hex(4)}")
    return True


def render(document: Document) -> Document:
    """Render the document to PDF, store it, mark it ready and record ``document_issued``
    (N2: the RMA number on every page). Idempotent: a ready document whose file exists is
    returned unchanged, unless it was voided since (then it is rendered again, once, with the
    VOID mark on every page, and the download serves that)."""
    with transaction.atomic():
        doc = (
            Document.objects.select_for_update(of=("self",))
            .select_related("claim__organisation", "credit_note", "debit_note")
            .get(pk=document.pk)
        )
        if (
            doc.is_ready
            and doc.file
            and doc.file.storage.exists(doc.file.name)
            and not doc.needs_void_mark
        ):
            return doc
        pdf = render_pdf(doc)
        first_issue = doc.status == DocumentStatus.PENDING
        doc.file.save(f"{doc.kind}.pdf", ContentFile(pdf), save=False)
        stored = doc.file.name
        try:
            doc.sha256 = hashlib.sha256(pdf).hexdigest()
            doc.status = DocumentStatus.READY
            doc.rendered_at = timezone.now()
            doc.save(update_fields=["file", "sha256", "status", "rendered_at"])
            if first_issue:
                with workflow.act(doc.claim_id, "document_issued", Actor.system()) as step:
                    step.data.update(
                        document_id=doc.pk,
                        document_kind=doc.kind,
                        number=doc.number,
                        language=doc.language,
                        verification_code=doc.display_code,
                        sha256=doc.sha256,
                    )
                    step.tell_partners(WebhookEvent.DOCUMENT_READY)
        except BaseException:
            doc.file.storage.delete(stored)
            raise
    return doc


def void_document(
    *,
    actor: Actor,
    document: Document,
    reason: str,
    public_reason: str = VoidReason.WITHDRAWN,
) -> Document:
    """Void a document: its verification page says "no longer valid" with the public reason
    (one of ``VoidReason``) and its replacement, if any; the claim's event log records who
    voided it and staff's own reason. The buyer is e-mailed."""
    reason = (reason or "").strip()
    errors = FieldErrors()
    if not reason:
        errors.add("reason", _("Give the reason for voiding the document."))
    if public_reason not in VoidReason.values:
        errors.add("public_reason", _("Choose the reason shown on the verification page."))
    errors.raise_if_any()
    with workflow.act(document.claim_id, "void_document", actor) as step:
        doc = Document.objects.select_for_update().get(pk=document.pk)
        if not doc.valid:
            raise InvalidState(_("This document is already no longer valid."))
        doc.valid = False
        doc.void_reason = reason
        doc.void_public_reason = public_reason
        doc.voided_at = timezone.now()
        doc.save(update_fields=["valid", "void_reason", "void_public_reason", "voided_at"])
        step.data.update(
            document_id=doc.pk,
            document_kind=doc.kind,
            number=doc.number,
            reason=reason,
            public_reason=public_reason,
        )
        step.tell_buyer("document_voided")  # with its replacement, when one is issued
        step.tell_partners(WebhookEvent.DOCUMENT_VOIDED)
        _schedule_void_mark(doc)
    return doc


def _schedule_void_mark(document: Document) -> None:
    """Render a voided document again, with the VOID mark, through the same task and outbox
    (issue 17): a buyer holding the paper must see that it is void. A document voided while
    still pending gets its mark in its first rendering."""
    if document.status == DocumentStatus.READY:
        _schedule(document, attempt=":void")


def reissue_document(*, actor: Actor, document: Document, reason: str) -> Document:
    """Supersede a document by a newly rendered one (e.g. the organisation's language
    changed); the old one stays on record, no longer valid, and says why."""
    superseded = _("Superseded by a newer issue")
    if reason.strip():
        superseded = f"{superseded}: {reason.strip()}"
    with transaction.atomic():
        old = void_document(
            actor=actor,
            document=document,
            reason=superseded,
            public_reason=VoidReason.SUPERSEDED,
        )
        return request_document(
            claim=Claim.objects.select_related("organisation").get(pk=old.claim_id),
            kind=old.kind,
            credit_note=old.credit_note,
            debit_note=old.debit_note,
        )
