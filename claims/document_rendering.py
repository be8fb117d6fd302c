"""How a document looks (SPEC "Documents"): its wording in en/ko, its view-model, its barcodes and
the PDF bytes from WeasyPrint. Reads only; the service (``document_service``) stores the result.
"""

from __future__ import annotations

import base64
import io
from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rma_portal.money import money

from .document_selectors import replacement_of
from .models import CreditNote, DebitNote, Document, DocumentKind, SupportContact

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
        "void": "VOID",
        "void_since": "No longer valid since",
        "void_replaced_by": "Replaced by",
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
        "void": "무효 VOID",
        "void_since": "다음 날짜부터 무효",
        "void_replaced_by": "대체 문서",
    },
}


# The documents' one stylesheet; the templates carry no <style>, so nothing is parsed per render.
STYLESHEET = settings.BASE_DIR / "templates" / "documents" / "document.css"


@cache
def weasyprint_setup():
    """WeasyPrint's font configuration and the parsed stylesheet, made once per process: a worker
    renders many documents, and loading the fonts and parsing the CSS is no part of any one of
    them (issue 19). Only the worker (and previews) import WeasyPrint."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return fonts, CSS(filename=str(STYLESHEET), font_config=fonts)


def render_pdf(document: Document) -> bytes:
    """The PDF bytes of a document, in its language (en/ko), through WeasyPrint."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fonts, stylesheet = weasyprint_setup()
    with translation.override(document.language):
        html = render_to_string(f"documents/{document.kind}.html", document_context(document))
    # Everything a document shows is inline (data: URIs): nothing is fetched from outside, and
    # an image that fails to load fails the rendering rather than giving a PDF without it.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=fonts
    )


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
    context.update(void_mark(document, lang))
    if document.kind == K.RETURN_AUTHORIZATION:
        context.update(_return_authorization(document, lang))
    elif document.kind == K.CREDIT_NOTE:
        context.update(_credit_note(document.credit_note, labels))
    else:
        context.update(_debit_note(document.debit_note))
    return context


def void_mark(document: Document, lang: str) -> dict:
    """What the VOID mark across every page says (issue 17): since when, the public reason and
    the replacement's number; nothing for a valid document. The mark itself is in the
    templates (documents/base.html)."""
    if document.valid:
        return {"void": None}
    replacement = replacement_of(document)
    reason = ""
    if document.void_public_reason:
        with translation.override(lang):
            reason = str(document.get_void_public_reason_display())
    return {
        "void": {
            "since": timezone.localdate(document.voided_at) if document.voided_at else None,
            "reason": reason,
            "replacement": (replacement.number or document.claim.rma_number) if replacement else "",
            "replacement_code": replacement.display_code if replacement else "",
        }
    }


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
        "shipments": _by_shipment(rows),
        "item_count": len(rows),
        "barcode_uri": barcode_data_uri(rma),
        "qr_uri": qr_data_uri(verification_url(document)),  # scanning it reaches the check
    }


def _by_shipment(rows: list[dict]) -> list[dict]:
    """The item rows in runs of the same shipment (PO, PI, date), in their order: the RA prints
    each run's shipment once, above its items, rather than on every row (issue 19: a 200-item
    RA is mostly its item table, and three columns fewer per row halve its layout)."""
    runs: list[dict] = []
    for row in rows:
        key = (row["po"], row["pi"], row["shipment_date"])
        if not runs or runs[-1]["key"] != key:
            runs.append(
                {"key": key, "po": key[0], "pi": key[1], "shipment_date": key[2], "items": []}
            )
        runs[-1]["items"].append(row)
    return runs


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
    """A (full-size, not micro) QR code of ``value`` (the document's verification URL) as an SVG
    data URI (segno)."""
    import segno

    return segno.make_qr(value).svg_data_uri(scale=4, border=4)
