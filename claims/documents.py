"""The claim's documents (SPEC "Documents"): Return Authorization (R1), credit note (D1) and
debit note (D2), rendered to PDF by WeasyPrint in a Celery task, stored, and verifiable by the
code printed on them.

``request_document`` records that a document is due and schedules its rendering after commit;
``render`` turns it into a PDF once (safe to run twice); ``documents_for_event`` says which
documents an act on the claim calls for.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import secrets
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rma_portal.exceptions import DomainError, InvalidState

from . import workflow
from .actors import Actor
from .models import (
    VERIFICATION_ALPHABET,
    VERIFICATION_LENGTH,
    Claim,
    ClaimEvent,
    ClaimStatus,
    CreditNote,
    DebitNote,
    Document,
    DocumentKind,
    DocumentStatus,
    SupportContact,
)

logger = logging.getLogger(__name__)
# fontTools logs every font subset at INFO (hundreds of lines a document): keep the worker's
# log readable. (Belongs in settings.LOGGING once that is touched again.)
logging.getLogger("fontTools").setLevel(logging.WARNING)

K = DocumentKind

# The documents' wording in both languages. The compiled message catalogue comes with another
# issue; until then the strings live here, one dict per language, clause IDs cited (N2, N5...).
LABELS: dict[str, dict[str, str]] = {
    "en": {
        K.RETURN_AUTHORIZATION: "Return Authorization",
        K.CREDIT_NOTE: "Credit Note",
        K.DEBIT_NOTE: "Debit Note",
        "rma_number": "RMA number",
        "issue_date": "Date of issue",
        "buyer": "Buyer",
        "ship_to": "Ship to",
        "from": "From",
        "items_authorized": "Items authorized for return",
        "no": "No.",
        "model": "Model",
        "serial": "Serial number",
        "po": "PO number",
        "pi": "CPRO PI number",
        "shipment_date": "Date of shipment",
        "defect": "Defect",
        "instructions": "Return instructions",
        "r1": (
            "Ship the products listed above only after this authorization, at the Buyer's "
            "expense. Goods returned without CPRO's authorization are refused."
        ),
        "r2": (
            "Ship them in their original packaging, complete with the bills of purchase. Goods "
            "that are not are refused on arrival."
        ),
        "n2": (
            "Write the RMA number on the package and on all documents accompanying the return, "
            "and quote it in all further communication."
        ),
        "n5": (
            "The RMA number is not an acknowledgement of the defect; the burden of proof is the "
            "Buyer's."
        ),
        "label_title": "Box label",
        "label_cut": "Cut along the dashed line and attach to the outside of the package.",
        "item_count": "Items in this box",
        "credit_number": "Credit note number",
        "debit_number": "Debit note number",
        "description": "Description",
        "amount": "Amount",
        "invoiced_amount": "Invoiced amount",
        "total": "Total",
        "currency": "Currency",
        "verification": "Verification",
        "transport": "Transport",
        "shipment": "Shipment",
        "credit_line": "Credit for the defective product",
        "d1": (
            "CPRO acknowledges the defect and credits the invoiced amount of the defective "
            "product. Any other claim for direct, indirect or consequential damages is excluded, "
            "save in case of intent or gross negligence."
        ),
        "d2": (
            "Unjustified return: the products were found not covered by the warranty, so all "
            "verification, transport and shipment costs are charged to the Buyer."
        ),
        "support": "Customer Support",
        "tel": "Tel",
        "fax": "Fax",
        "email": "E-mail",
        "url": "URL",
        "verify": "Verify this document",
        "code": "code",
        "page": "Page",
    },
    "ko": {
        K.RETURN_AUTHORIZATION: "반품 승인서",
        K.CREDIT_NOTE: "크레딧 노트",
        K.DEBIT_NOTE: "데빗 노트",
        "rma_number": "RMA 번호",
        "issue_date": "발행일",
        "buyer": "구매자",
        "ship_to": "받는 곳",
        "from": "보내는 곳",
        "items_authorized": "반품 승인 품목",
        "no": "번호",
        "model": "모델",
        "serial": "시리얼 번호",
        "po": "PO 번호",
        "pi": "CPRO PI 번호",
        "shipment_date": "출하일",
        "defect": "결함 내용",
        "instructions": "반품 안내",
        "r1": (
            "위 제품은 본 반품 승인 후에만 구매자 부담으로 발송하십시오. CPRO의 승인 없이 "
            "반품된 제품은 수령이 거부됩니다."
        ),
        "r2": (
            "제품은 원래 포장 상태로 구매 증빙 서류를 모두 동봉하여 발송하십시오. 그렇지 않은 "
            "반품은 도착 시 거부됩니다."
        ),
        "n2": (
            "포장 상자와 반품에 동봉하는 모든 서류에 RMA 번호를 기재하고, 이후 모든 연락에 "
            "사용하십시오."
        ),
        "n5": "RMA 번호 부여는 결함을 인정하는 것이 아니며, 입증 책임은 구매자에게 있습니다.",
        "label_title": "상자 라벨",
        "label_cut": "점선을 따라 잘라 포장 상자 바깥쪽에 부착하십시오.",
        "item_count": "상자 내 품목 수",
        "credit_number": "크레딧 노트 번호",
        "debit_number": "데빗 노트 번호",
        "description": "내역",
        "amount": "금액",
        "invoiced_amount": "청구 금액",
        "total": "합계",
        "currency": "통화",
        "verification": "검사비",
        "transport": "운송비",
        "shipment": "발송비",
        "credit_line": "결함 제품에 대한 크레딧",
        "d1": (
            "CPRO는 결함을 인정하고 결함 제품의 청구 금액을 크레딧으로 발행합니다. 고의 또는 "
            "중대한 과실의 경우를 제외하고, 그 밖의 직접·간접 손해에 대한 청구는 제외됩니다."
        ),
        "d2": (
            "부당 반품: 제품이 보증 대상이 아닌 것으로 확인되어 모든 검사비, 운송비 및 "
            "발송비가 구매자에게 청구됩니다."
        ),
        "support": "고객 지원",
        "tel": "전화",
        "fax": "팩스",
        "email": "이메일",
        "url": "URL",
        "verify": "문서 진위 확인",
        "code": "코드",
        "page": "페이지",
    },
}

# Currencies without minor units are printed without decimals.
ZERO_DECIMAL_CURRENCIES = {"KRW", "JPY"}


# --- Services ------------------------------------------------------------------------------


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
    from notifications import outbox

    outbox.enqueue(
        "claims.documents.render_document",
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
    returned unchanged."""
    with transaction.atomic():
        doc = (
            Document.objects.select_for_update(of=("self",))
            .select_related("claim__organisation", "credit_note", "debit_note")
            .get(pk=document.pk)
        )
        if doc.is_ready and doc.file and doc.file.storage.exists(doc.file.name):
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
        except BaseException:
            doc.file.storage.delete(stored)
            raise
    return doc


def void_document(*, actor: Actor, document: Document, reason: str) -> Document:
    """Void a document: its verification page says "no longer valid" with the reason, and the
    claim's event log records who voided it and why."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for voiding the document."), field="reason")
    with workflow.act(document.claim_id, "void_document", actor) as step:
        doc = Document.objects.select_for_update().get(pk=document.pk)
        if not doc.valid:
            raise InvalidState(_("This document is already no longer valid."))
        doc.valid = False
        doc.void_reason = reason
        doc.voided_at = timezone.now()
        doc.save(update_fields=["valid", "void_reason", "voided_at"])
        step.data.update(
            document_id=doc.pk, document_kind=doc.kind, number=doc.number, reason=reason
        )
    return doc


def reissue_document(*, actor: Actor, document: Document, reason: str) -> Document:
    """Supersede a document by a newly rendered one (e.g. the organisation's language
    changed); the old one stays on record, no longer valid, and says why."""
    superseded = _("Superseded by a newer issue")
    if reason.strip():
        superseded = f"{superseded}: {reason.strip()}"
    with transaction.atomic():
        old = void_document(actor=actor, document=document, reason=superseded)
        return request_document(
            claim=Claim.objects.select_related("organisation").get(pk=old.claim_id),
            kind=old.kind,
            credit_note=old.credit_note,
            debit_note=old.debit_note,
        )


# --- Triggers ------------------------------------------------------------------------------


def documents_for_event(event: ClaimEvent) -> list[Document]:
    """The documents an act on the claim calls for: the Return Authorization when the return
    is authorized (R1), a credit note (D1) or debit note (D2) document when one is issued."""
    claim = event.claim
    data = event.data or {}
    if event.kind == "authorize_return":
        return [request_document(claim=claim, kind=K.RETURN_AUTHORIZATION)]
    if event.kind == "issue_credit_note":
        ids = _ids(data, "credit_note_id")
        notes = CreditNote.objects.filter(pk__in=ids, claim=claim).order_by("pk")
        return [request_document(claim=claim, kind=K.CREDIT_NOTE, credit_note=n) for n in notes]
    if event.kind == "issue_debit_note":
        ids = _ids(data, "debit_note_id")
        notes = DebitNote.objects.filter(pk__in=ids, claim=claim).order_by("pk")
        return [request_document(claim=claim, kind=K.DEBIT_NOTE, debit_note=n) for n in notes]
    return []


def _ids(data: dict, key: str) -> list[int]:
    ids = list(data.get(key + "s") or [])
    if data.get(key) is not None:
        ids.append(data[key])
    return [int(i) for i in ids]


# --- Celery --------------------------------------------------------------------------------


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def render_document(self, document_id: int) -> str | None:
    document = Document.objects.filter(pk=document_id).first()
    if document is None:  # deleted since: nothing to render
        return None
    return render(document).status


# --- Rendering -----------------------------------------------------------------------------


def render_pdf(document: Document) -> bytes:
    """The PDF bytes of a document, in its language (en/ko), through WeasyPrint."""
    from weasyprint import HTML  # heavy; only the worker (and previews) need it
    from weasyprint.urls import URLFetcher

    with translation.override(document.language):
        html = render_to_string(f"documents/{document.kind}.html", document_context(document))
    # Everything a document shows is inline (data: URIs): nothing is fetched from outside, and
    # an image that fails to load fails the rendering rather than giving a PDF without it.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def verification_url(document: Document) -> str:
    return settings.SITE_URL + reverse("documents:verify", args=[document.display_code])


def document_context(document: Document) -> dict:
    """The view-model of a document: plain values the templates only lay out (STYLE 9)."""
    claim = document.claim
    organisation = claim.organisation
    lang = document.language if document.language in LABELS else "en"
    labels = LABELS[lang]
    rma = claim.rma_number
    context = {
        "document": document,
        "lang": lang,
        "t": labels,
        "title": labels[document.kind],
        "kind": document.kind,
        "rma_number": rma,
        "number": document.number,
        "issue_date": issued_on(document),
        "buyer": {"name": organisation.name, "address": organisation.address},
        "support": SupportContact.current(),
        "verification_code": document.display_code,
        "verification_url": verification_url(document),
    }
    if document.kind == K.RETURN_AUTHORIZATION:
        context.update(_return_authorization(document, lang))
    elif document.kind == K.CREDIT_NOTE:
        context.update(_credit_note(document.credit_note, labels))
    else:
        context.update(_debit_note(document.debit_note))
    return context


def issued_on(document: Document):
    """The date printed as the date of issue: the note's, or the document's request."""
    note = document.credit_note or document.debit_note
    moment = note.issued_at if note is not None else document.created_at
    return timezone.localdate(moment) if moment else timezone.localdate()


def _return_authorization(document: Document, lang: str) -> dict:
    rma = document.claim.rma_number
    items = (
        document.claim.items.filter(return_authorized=True)
        .select_related("unit__product_model", "unit__shipment", "defect_reason")
        .order_by("position", "pk")
    )
    rows = []
    for index, item in enumerate(items, start=1):
        unit = item.unit
        # CPRO's records name what is authorized; the buyer's N3 entries only fill gaps.
        shipment = unit.shipment if unit is not None else None
        defect = item.defect_details.strip()
        if item.defect_reason is not None:
            reason = item.defect_reason.name(lang)
            defect = f"{reason}: {defect}" if defect else reason
        rows.append(
            {
                "no": index,
                "model": unit.product_model.code if unit else item.model_code,
                "serial": unit.serial_number if unit else item.serial_number,
                "po": shipment.po_number if shipment else item.po_number,
                "pi": shipment.pi_number if shipment else item.pi_number,
                "shipment_date": shipment.shipment_date if shipment else item.shipment_date,
                "defect": _shorten(defect, 180),
            }
        )
    return {
        "items": rows,
        "item_count": len(rows),
        "barcode_uri": barcode_data_uri(rma),
        "qr_uri": qr_data_uri(rma),
    }


def _credit_note(note: CreditNote, labels: dict) -> dict:
    unit = note.item.unit
    return {
        "note": note,
        "lines": [
            {
                "description": f"{labels['credit_line']} — {unit.product_model.name}",
                "model": unit.product_model.code,
                "serial": unit.serial_number,
                "amount": money(note.amount, note.currency),
            }
        ],
        "total": money(note.amount, note.currency),
        "currency": note.currency,
    }


def _debit_note(note: DebitNote) -> dict:
    charges = (
        note.charges.filter(waived=False)
        .select_related("item__unit__product_model")
        .order_by("item__position", "item__pk")
    )
    lines = [
        {
            "model": charge.item.unit.product_model.code,
            "serial": charge.item.unit.serial_number,
            "verification": money(charge.verification, charge.currency),
            "transport": money(charge.transport, charge.currency),
            "shipment": money(charge.shipment, charge.currency),
            "total": money(charge.total, charge.currency),
        }
        for charge in charges
    ]
    return {
        "note": note,
        "lines": lines,
        "total": money(note.total, note.currency),
        "currency": note.currency,
    }


def money(amount: Decimal, currency: str) -> str:
    places = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return f"{amount:,.{places}f} {currency.upper()}"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def barcode_data_uri(value: str) -> str:
    """Code128 of the RMA number as an SVG data URI (python-barcode, offline)."""
    import barcode
    from barcode.writer import SVGWriter

    buffer = io.BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        buffer,
        {"write_text": False, "module_width": 0.33, "module_height": 13.0, "quiet_zone": 4.0},
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def qr_data_uri(value: str) -> str:
    """A (full-size, not micro) QR code of the RMA number as an SVG data URI (segno)."""
    import segno

    return segno.make_qr(value).svg_data_uri(scale=4, border=4)


# --- Reads (download, verification) --------------------------------------------------------


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
