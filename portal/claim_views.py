"""Buyer pages for claims: the list, the wizard (new and draft), the live verdict, the claim page
and its acts (message, evidence, shipment, cancel, submit), evidence downloads.

Every write goes through ``claims.services`` as ``Actor.buyer`` on the
portal channel; a refused act comes back as a ``DomainError`` whose message is put beside the
field that caused it, and nothing is saved (the whole request is one transaction). Another
organisation's claim or attachment is "not found".
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from claims import services
from claims.actors import BUYER, Actor
from claims.models import Claim, ClaimStatus
from claims.selectors import attachment_for, claim_of, messages_for, timeline
from claims.workflow import allowed
from notifications.deadlines import draft_notice_state
from rma_portal.exceptions import DomainError, NotFound, RuleInputError, ValidationFailed
from warranty import rules
from warranty.selectors import (
    N3_LABELS,
    PolicyTable,
    n3_mismatches,
    prospective_verdict,
    seoul_today,
)

from . import selectors
from .decorators import buyer_required
from .forms import (
    CancelForm,
    ClaimForm,
    ClaimItemFormSet,
    ClaimSearchForm,
    EvidenceForm,
    MessageForm,
    ShipmentForm,
    defect_date_message,
    find_unit,
    reason_choices,
    unknown_serial_message,
)
from .presenters import next_step, timeline_lines

PAGE_SIZE = 25
PREFIX = "items"
_ROW_PREFIX = re.compile(r"^items-(\d{1,3})$")
# Service error keys for an item's fields that the form names differently.
_FIELD_ALIASES = {"attachments": "evidence", "file": "evidence", "unit": "serial_number"}


def _claim_or_404(request, pk) -> Claim:
    try:
        return claim_of(request.user.organisation, pk)
    except NotFound:
        raise Http404 from None


def _actor(request) -> Actor:
    return Actor.buyer(request.user)


# --- The list ---------------------------------------------------------------------------------


@buyer_required
@require_GET
def claim_list(request):
    form = ClaimSearchForm(request.GET, status_choices=ClaimStatus.choices)
    query = status = ""
    if form.is_valid():
        query, status = form.cleaned_data["q"], form.cleaned_data["status"]
    claims = selectors.claim_list(request.user.organisation, query=query, status=status)
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    today, policies = seoul_today(), PolicyTable.load()
    rows = [(claim, next_step(claim, today=today, policies=policies)) for claim in page]
    return render(request, "portal/claims.html", {"form": form, "page": page, "rows": rows})


# --- The wizard -------------------------------------------------------------------------------


def _formset(request, data=None, files=None, initial=None):
    return ClaimItemFormSet(
        data,
        files,
        prefix=PREFIX,
        initial=initial,
        form_kwargs={
            "organisation": request.user.organisation,
            "today": seoul_today(),
            "reasons": reason_choices(get_language()),
        },
    )


def _initial_from_units(request) -> list[dict]:
    """Rows for the units picked on the units page (``?serial=…``), N3 fields from CPRO's
    records; the buyer checks them (mismatches are flagged to staff, N3)."""
    rows = []
    for serial in request.GET.getlist("serial")[:50]:
        unit = find_unit(request.user.organisation, serial.strip())
        if unit is None:
            rows.append({"serial_number": serial.strip()})
            continue
        rows.append(_records(unit) | {"serial_number": unit.serial_number})
    return rows


def _records(unit) -> dict:
    shipment = unit.shipment
    return {
        "model_code": unit.product_model.code,
        "shipment_date": shipment.shipment_date,
        "po_number": shipment.po_number,
        "pi_number": shipment.pi_number,
    }


def _initial_from_claim(claim: Claim) -> list[dict]:
    return [
        {
            "serial_number": item.serial_number,
            "model_code": item.model_code,
            "shipment_date": item.shipment_date,
            "po_number": item.po_number,
            "pi_number": item.pi_number,
            "defect_kind": item.defect_kind,
            "defect_date": item.defect_date,
            "defect_details": item.defect_details,
            "component": item.component.name if item.component_id else "",
            "reason": item.defect_reason.code if item.defect_reason_id else "",
        }
        for item in claim.items.all()
    ]


def _draft_data(claim: Claim) -> dict[str, str]:
    """The draft as the wizard would post it: to show submission errors beside its fields."""
    rows = _initial_from_claim(claim)
    data = {
        f"{PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{PREFIX}-INITIAL_FORMS": str(len(rows)),
        f"{PREFIX}-MIN_NUM_FORMS": "1",
        f"{PREFIX}-MAX_NUM_FORMS": "50",
        "buyer_reference": claim.buyer_reference,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{PREFIX}-{index}-{name}"] = "" if value is None else str(value)
    return data


def _apply_errors(errors: dict[str, list[str]], claim_form, forms: list) -> list[str]:
    """Put the services' field errors ("items.0.defect_date", "buyer_reference") beside the
    fields of the wizard; what has no field is returned for the top of the page."""
    page_errors: list[str] = []
    for key, texts in errors.items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            form = forms[index] if index < len(forms) else None
            field = _FIELD_ALIASES.get(parts[2], parts[2]) if len(parts) > 2 else None
            for text in texts:
                if form is None:
                    page_errors.append(text)
                else:
                    form.add_error(field if field in form.fields else None, text)
        elif key in claim_form.fields:
            for text in texts:
                claim_form.add_error(key, text)
        else:
            page_errors.extend(texts)
    return page_errors


def _errors_of(exc: DomainError) -> dict[str, list[str]]:
    if isinstance(exc, ValidationFailed):
        return exc.errors
    return {exc.field or "": [exc.message]}


def _attach_evidence(actor: Actor, claim: Claim, forms: list, stored: list) -> dict:
    """Each row's good uploads onto its item; the bad files' errors are returned (every one of
    them), for the caller to report with whatever else is wrong before nothing is kept."""
    items = list(claim.items.order_by("position", "pk"))
    errors: dict[str, list[str]] = {}
    for index, form in enumerate(forms):
        for upload in form.cleaned_data.get("evidence") or []:
            try:
                attachment = services.add_attachment(
                    actor=actor, claim=claim, upload=upload, item=items[index]
                )
            except ValidationFailed as exc:
                key = f"items.{index}.attachments"
                for texts in exc.errors.values():
                    errors.setdefault(key, []).extend(texts)
            else:
                stored.append(attachment)
    return errors


def _merged(first: dict[str, list[str]], exc: DomainError | None) -> dict[str, list[str]]:
    merged = {key: list(texts) for key, texts in first.items()}
    if exc is not None:
        for key, texts in _errors_of(exc).items():
            merged.setdefault(key, []).extend(t for t in texts if t not in merged.get(key, []))
    return merged


def _evidence_errors(forms: list) -> dict[str, list[str]]:
    """Each row's bad uploads, checked by content alone (nothing is attached)."""
    errors: dict[str, list[str]] = {}
    for index, form in enumerate(forms):
        for upload in form.cleaned_data.get("evidence") or []:
            try:
                services.check_evidence(upload=upload)
            except ValidationFailed as exc:
                for texts in exc.errors.values():
                    errors.setdefault(f"items.{index}.attachments", []).extend(texts)
    return errors


def _save(request, claim: Claim | None, claim_form, formset, action: str) -> Claim:
    """One transaction: the draft, its evidence and, when asked, the notice (N1, N2). A bad file
    does not hide what the services would refuse: the draft and the submission are still
    checked, and every error comes back in one answer (issue 17), then nothing is kept."""
    actor = _actor(request)
    forms = formset.live_forms()
    items = [form.item_data() for form in forms]
    reference = claim_form.cleaned_data["buyer_reference"]
    stored: list = []
    try:
        with transaction.atomic():
            try:
                if claim is None:
                    claim = services.create_draft(
                        actor=actor, items=items, buyer_reference=reference
                    )
                else:
                    services.update_draft(
                        actor=actor, claim=claim, items=items, buyer_reference=reference
                    )
            except DomainError as exc:
                raise ValidationFailed(_merged(_evidence_errors(forms), exc)) from exc
            file_errors = _attach_evidence(actor, claim, forms, stored)
            refused = None
            if action == "submit":
                try:
                    with transaction.atomic():
                        services.submit(actor=actor, claim=claim)
                except DomainError as exc:
                    refused = exc
            if file_errors or refused is not None:
                raise ValidationFailed(_merged(file_errors, refused))
    except BaseException:
        # The rows rolled back; their files must not stay behind.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return claim


def _wizard_page(request, claim, claim_form, formset, page_errors=(), status=200):
    if claim is not None:
        # Evidence already on the draft, shown beside its unit's row.
        existing = {item.serial_number: list(item.attachments.all()) for item in claim.items.all()}
        for form in formset.forms:
            form.attachments = existing.get(form.initial.get("serial_number"), [])
    notice = draft_notice_state(claim) if claim is not None else None
    return render(
        request,
        "portal/claim_form.html",
        {
            "claim": claim,
            "claim_form": claim_form,
            "formset": formset,
            "page_errors": page_errors,
            "notice": notice,
        },
        status=status,
    )


def _run_wizard(request, claim: Claim | None, data, files, initial=None):
    action = "submit" if data.get("action") == "submit" else "draft"
    claim_form = ClaimForm(data)
    formset = _formset(request, data, files, initial=initial)
    page_errors: list[str] = []
    if claim_form.is_valid() and formset.is_valid():
        try:
            claim = _save(request, claim, claim_form, formset, action)
        except DomainError as exc:
            page_errors = _apply_errors(_errors_of(exc), claim_form, formset.live_forms())
        else:
            if action == "submit":
                messages.success(
                    request,
                    _("Claim submitted: your RMA number is %(rma)s.") % {"rma": claim.rma_number},
                )
            else:
                messages.success(request, _("Draft saved. It is not a notice until you submit it."))
            return redirect("portal:claim", pk=claim.pk)
    elif formset.is_bound:
        # The forms' own errors stopped the services: the files' errors all the same (issue 17).
        live = [form for form in formset.forms if hasattr(form, "cleaned_data")]
        page_errors = _apply_errors(_evidence_errors(live), claim_form, live)
    if files and any(files.getlist(key) for key in files):
        page_errors.append(
            _("Nothing was saved, so the files you chose were not kept: choose them again.")
        )
    return _wizard_page(request, claim, claim_form, formset, page_errors, status=400)


@buyer_required
@never_cache
def claim_new(request):
    if request.method == "POST":
        return _run_wizard(request, None, request.POST, request.FILES)
    initial = _initial_from_units(request) or None
    return _wizard_page(request, None, ClaimForm(), _formset(request, initial=initial))


@buyer_required
@never_cache
def claim_edit(request, pk):
    claim = _claim_or_404(request, pk)
    if not allowed("edit_draft", claim.status, BUYER):
        messages.info(request, _("Only a draft can be changed."))
        return redirect("portal:claim", pk=claim.pk)
    initial = _initial_from_claim(claim)
    if request.method == "POST":
        return _run_wizard(request, claim, request.POST, request.FILES, initial=initial)
    claim_form = ClaimForm(initial={"buyer_reference": claim.buyer_reference})
    return _wizard_page(request, claim, claim_form, _formset(request, initial=initial))


@buyer_required
@require_POST
def claim_submit(request, pk):
    """Submit a saved draft from its page; what is missing is shown beside its fields."""
    claim = _claim_or_404(request, pk)
    try:
        services.submit(actor=_actor(request), claim=claim)
    except ValidationFailed as exc:
        data = _draft_data(claim)
        initial = _initial_from_claim(claim)
        claim_form = ClaimForm(data)
        formset = _formset(request, data, initial=initial)
        claim_form.is_valid()
        formset.is_valid()
        page_errors = _apply_errors(exc.errors, claim_form, formset.live_forms())
        return _wizard_page(request, claim, claim_form, formset, page_errors, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:claim", pk=claim.pk)
    messages.success(
        request, _("Claim submitted: your RMA number is %(rma)s.") % {"rma": claim.rma_number}
    )
    return redirect("portal:claim", pk=claim.pk)


# --- The live verdict -------------------------------------------------------------------------


def _value(request, prefix: str, name: str) -> str:
    return (request.GET.get(f"{prefix}-{name}") or "").strip()


def _mismatches(request, prefix: str, unit) -> list[dict]:
    """N3 fields typed that disagree with CPRO's records (staff will see them flagged)."""
    given = {name: _value(request, prefix, name) for name in N3_LABELS}
    return [{**m, "label": N3_LABELS[m["field"]]} for m in n3_mismatches(unit, given)]


@buyer_required
@require_GET
def claim_preview(request):
    """htmx: the preliminary verdict (N5) and notice deadline (N1) of one wizard row as typed,
    by the same lookup the API answers with, as if notified today."""
    match = _ROW_PREFIX.match(request.GET.get("prefix", ""))
    if match is None:
        return HttpResponse(status=400)
    prefix = match.group(0)
    context: dict = {"prefix": prefix}
    serial = _value(request, prefix, "serial_number")
    unit = find_unit(request.user.organisation, serial)
    if not serial:
        context["hint"] = _("Enter the serial number to see the preliminary verdict.")
    elif unit is None:
        context["problem"] = unknown_serial_message(serial)
    else:
        today = seoul_today()
        records = _records(unit)
        context.update(unit=unit, records=records, mismatches=_mismatches(request, prefix, unit))
        kind = _value(request, prefix, "defect_kind") or None
        if kind not in {k.value for k in rules.DefectKind}:
            kind = None
        defect_date = None
        raw_date = _value(request, prefix, "defect_date")
        if raw_date:
            try:
                defect_date = date.fromisoformat(raw_date)
            except ValueError:
                context["problem"] = _("Enter a valid date.")
        # A component of another model (the serial just changed) counts as unknown.
        name = _value(request, prefix, "component")
        if name not in {c.name for c in unit.product_model.components.all()}:
            name = None
        if defect_date is not None and kind is None:
            context["hint"] = _("Choose the kind of defect to see the notice deadline (N1).")
            defect_date = None
        try:
            context["verdict"] = prospective_verdict(
                unit, defect_kind=kind, defect_date=defect_date, component_name=name, today=today
            )
        except RuleInputError as exc:
            context["problem"] = defect_date_message(exc, unit, defect_date)
        if context.get("verdict") and context["verdict"].notice_deadline:
            context["days_left"] = (context["verdict"].notice_deadline - today).days
    return render(request, "portal/partials/live_verdict.html", context)


# --- The claim page and its acts ----------------------------------------------------------------


def _claim_page(request, claim: Claim, status: int = 200, **forms):
    status_now = claim.status
    items = list(claim.items.all())
    can = {
        action: allowed(action, status_now, BUYER)
        for action in (
            "edit_draft",
            "submit",
            "cancel",
            "post_message",
            "answer_info",
            "record_shipment",
            "attach",
        )
    }
    context = {
        "claim": claim,
        "items": items,
        "events": timeline_lines(timeline(claim, staff=False), request.user),
        "thread": messages_for(claim, staff=False),
        "documents": selectors.claim_documents(claim),
        "claim_attachments": [a for a in claim.attachments.all() if a.item_id is None],
        "can": can,
        "notice": draft_notice_state(claim) if status_now == ClaimStatus.DRAFT else None,
        "authorized_items": [item for item in items if item.return_authorized],
        "message_form": forms.get("message_form") or MessageForm(),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(items=items),
        "shipment_form": forms.get("shipment_form") or ShipmentForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
    }
    return render(request, "portal/claim.html", context, status=status)


@buyer_required
@require_GET
def claim_detail(request, pk):
    return _claim_page(request, _claim_or_404(request, pk))


def _put_error(request, form, exc: DomainError) -> None:
    """Beside the field that caused it; an act refused as a whole (wrong status) at the top."""
    for key, texts in _errors_of(exc).items():
        for text in texts:
            if key in form.fields:
                form.add_error(key, text)
            else:
                messages.error(request, text)


def _act(request, pk, form_name: str, form, call) -> HttpResponse:
    """Run one act of the claim page; on refusal show the page again with the error beside the
    field that caused it."""
    claim = _claim_or_404(request, pk)
    if form.is_valid():
        try:
            with transaction.atomic():
                success = call(claim, form.cleaned_data)
        except DomainError as exc:
            _put_error(request, form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("portal:claim", kwargs={"pk": claim.pk}) + "#top")
    claim = _claim_or_404(request, pk)
    return _claim_page(request, claim, status=400, **{form_name: form})


@buyer_required
@require_POST
def claim_message(request, pk):
    """A message in the thread; while CPRO's question is open, the answer to it."""

    def call(claim, data):
        sent = services.post_buyer_message(actor=_actor(request), claim=claim, body=data["body"])
        if sent.answered:
            return _("Your answer was sent to CPRO.")
        return _("Your message was sent.")

    return _act(request, pk, "message_form", MessageForm(request.POST), call)


@buyer_required
@require_POST
def claim_evidence(request, pk):
    claim = _claim_or_404(request, pk)
    form = EvidenceForm(request.POST, request.FILES, items=claim.items.all())

    def call(claim, data):
        item = next((i for i in claim.items.all() if i.pk == data["item"]), None)
        stored: list = []
        refused: dict[str, list[str]] = {}
        try:
            for upload in data["files"]:  # every bad file is named, not only the first
                try:
                    stored.append(
                        services.add_attachment(
                            actor=_actor(request), claim=claim, upload=upload, item=item
                        )
                    )
                except ValidationFailed as exc:
                    for key, texts in exc.errors.items():
                        refused.setdefault(key, []).extend(texts)
            if refused:
                raise ValidationFailed(refused)
        except BaseException:
            for attachment in stored:
                attachment.file.storage.delete(attachment.file.name)
            raise
        return _("Evidence attached.")

    return _act(request, pk, "evidence_form", form, _files_error(call))


def _files_error(call):
    # add_attachment names the upload "file"; the form's field is "files".
    def wrapped(claim, data):
        try:
            return call(claim, data)
        except ValidationFailed as exc:
            raise ValidationFailed(
                {("files" if key == "file" else key): texts for key, texts in exc.errors.items()}
            ) from exc

    return wrapped


@buyer_required
@require_POST
def claim_shipment(request, pk):
    def call(claim, data):
        services.record_shipment(
            actor=_actor(request),
            claim=claim,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
        )
        return _("Shipment recorded. Thank you: CPRO will confirm receipt.")

    return _act(request, pk, "shipment_form", ShipmentForm(request.POST), call)


@buyer_required
@require_POST
def claim_cancel(request, pk):
    def call(claim, data):
        services.cancel(actor=_actor(request), claim=claim, reason=data["reason"])
        return _("The claim was withdrawn.")

    return _act(request, pk, "cancel_form", CancelForm(request.POST), call)


@buyer_required
@require_GET
@never_cache
def attachment_download(request, pk):
    """Evidence of the buyer's organisation only (never one of a staff-internal note)."""
    try:
        attachment = attachment_for(_actor(request), pk)
    except NotFound:
        raise Http404 from None
    if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise Http404
    inline = attachment.is_image and request.GET.get("inline") == "1"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
