"""Document downloads (organisation members and staff only) and the public verification page.

Views parse, check who is asking and render; the reads live in claims/document_selectors.py.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rma_portal.throttles import rate_limited_by_client

from . import document_rendering, document_selectors


@require_GET
@never_cache
def download(request, pk: int):
    """The PDF as an attachment. Anyone else's document is "not found", never "forbidden"."""
    document = document_selectors.documents_visible_to(request.user).filter(pk=pk).first()
    if (
        document is None
        or not document.file
        or not document.file.storage.exists(document.file.name)
    ):
        raise Http404
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document_selectors.download_name(document),
        content_type="application/pdf",
    )


@require_GET
@never_cache
@rate_limited_by_client("verify", "RMA_VERIFY_RATE")
def verify_form(request):
    """``/verify/?code=…``: the code as typed, sent to its canonical page."""
    raw = request.GET.get("code", "").strip()
    if raw:
        code = document_selectors.normalize_code(raw)
        if code is not None:
            return redirect("documents:verify", code=_grouped(code))
        return _verification_page(request, raw, None)
    return render(request, "documents/verify.html", {"asked": False})


@require_GET
@never_cache
@rate_limited_by_client("verify", "RMA_VERIFY_RATE")
def verify(request, code: str):
    """Whether the paper in hand is genuine and still valid; nothing beyond what it shows."""
    return _verification_page(request, code, document_selectors.find_by_code(code))


def _verification_page(request, raw: str, document):
    response = render(
        request,
        "documents/verify.html",
        {
            "asked": True,
            "code": raw,
            "document": document,
            "issue_date": document_rendering.issued_on(document) if document is not None else None,
            "replacement": (
                document_selectors.replacement_of(document)
                if document is not None and not document.valid
                else None
            ),
        },
        status=200 if document is not None else 404,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


def _grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
