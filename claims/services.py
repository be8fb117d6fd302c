"""Writes on claims, buyer side and review: drafts, the notice, messages, evidence, exits.

Every change to a claim goes through ``workflow.act`` (STYLE 2): it locks the claim row, checks
status and role against ``workflow.RULES`` and appends the event, all in one transaction. A
``DomainError`` raised inside rolls everything back, so a refused or invalid act changes nothing.
The web portal, the admin and the partner API call these functions and nothing else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from rma_portal import uploads
from rma_portal.exceptions import (
    DomainError,
    Forbidden,
    InvalidState,
    NotFound,
    RuleInputError,
    ValidationFailed,
)
from warranty import rules
from warranty.models import Component, Unit
from warranty.selectors import (
    PolicyTable,
    check_defect_date,
    component_facts,
    seoul_today,
    unit_of,
    unit_verdict,
)

from .actors import Actor
from .models import (
    OPEN_STATUSES,
    Attachment,
    Claim,
    ClaimItem,
    DefectKind,
    DefectReason,
    Message,
)
from .numbering import next_number
from .workflow import act

HOLD_DAYS = 30  # N4: the buyer keeps the products at CPRO's disposal for 30 days
MAX_TEXT = 10_000  # defect details, messages, reasons: generous, but bounded
DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

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

# N3: what the buyer must give for every item to obtain an RMA number, with its label.
N3_FIELDS: dict[str, str] = {
    "model_code": "model",
    "serial_number": "serial number",
    "shipment_date": "date of shipment",
    "po_number": "PO number",
    "pi_number": "CPRO PI number",
    "defect_details": "details of the defect",
}
_SHORT_FIELDS = ("serial_number", "model_code", "po_number", "pi_number")
_SHORT_MAX = 64  # the model's max_length for these fields


# --- Input cleaning ---------------------------------------------------------------------------


class _Errors:
    """Field errors collected across all items, raised at once (nothing saved on any error)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    @property
    def count(self) -> int:
        return sum(len(messages) for messages in self.errors.values())

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _text(value: Any, key: str, errors: _Errors, *, max_length: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(key, _("Enter text."))
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors.add(
            key,
            _("Use at most %(max)d characters (this has %(n)d).")
            % {"max": max_length, "n": len(value)},
        )
    return value


def _date(value: Any, key: str, errors: _Errors) -> date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string; a timestamp counts in Seoul."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        try:
            return rules.seoul_date(value)
        except RuleInputError as exc:
            errors.add(key, exc.message)
            return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add(key, _("Enter a valid date as YYYY-MM-DD."))
    return None


@dataclass
class _CleanItem:
    unit: Unit
    serial_number: str
    model_code: str
    shipment_date: date | None
    po_number: str
    pi_number: str
    defect_kind: str
    defect_date: date
    defect_details: str
    component: Component | None
    component_facts: rules.ComponentFacts | None
    reason: DefectReason | None

    def fields(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "serial_number": self.serial_number,
            "model_code": self.model_code,
            "shipment_date": self.shipment_date,
            "po_number": self.po_number,
            "pi_number": self.pi_number,
            "defect_kind": self.defect_kind,
            "defect_date": self.defect_date,
            "defect_details": self.defect_details,
            "component": self.component,
            "defect_reason": self.reason,
        }


def _clean_item(
    raw: Any, index: int, *, actor: Actor, today: date, errors: _Errors
) -> _CleanItem | None:
    """One item as SPEC "Operations interface" gives it; errors under ``items.<index>.<field>``.

    N3 fields may be blank in a draft (submission requires them); the serial, the defect kind
    and date are needed from the start, since the preliminary verdict depends on them.
    """
    p = f"items.{index}."
    if not isinstance(raw, Mapping):
        errors.add(f"items.{index}", _("Each item must be an object with the item's fields."))
        return None
    before = errors.count
    text = {f: _text(raw.get(f), p + f, errors, max_length=_SHORT_MAX) for f in _SHORT_FIELDS}
    details = _text(raw.get("defect_details"), p + "defect_details", errors)
    shipment_date = _date(raw.get("shipment_date"), p + "shipment_date", errors)

    unit = None
    if not text["serial_number"]:
        errors.add(p + "serial_number", _("Enter the unit's serial number."))
    elif p + "serial_number" not in errors.errors:
        try:
            # Unknown and another organisation's serial read the same: no existence leak.
            unit = unit_of(actor.organisation, text["serial_number"])
        except NotFound as exc:
            errors.add(p + "serial_number", exc.message)

    kind = raw.get("defect_kind")
    if kind not in DefectKind.values:
        errors.add(
            p + "defect_kind",
            _("Choose 'manifest' (visible on receipt) or 'hidden' (discovered later)."),
        )
        kind = None

    defect_date = _date(raw.get("defect_date"), p + "defect_date", errors)
    if defect_date is None and p + "defect_date" not in errors.errors:
        errors.add(p + "defect_date", _("Enter the date of receipt or discovery of the defect."))
    if unit is not None and defect_date is not None:
        try:
            check_defect_date(unit, defect_kind=kind, defect_date=defect_date, today=today)
        except RuleInputError as exc:
            errors.add(p + "defect_date", exc.message)

    component = facts = None
    component_name = raw.get("component")
    if component_name is not None and not isinstance(component_name, str):
        errors.add(p + "component", _("Enter the component's name, or 'unknown'."))
    elif unit is not None and component_name:
        try:
            facts = component_facts(unit, component_name)
        except DomainError as exc:
            errors.add(p + "component", exc.message)
        if facts is not None:
            component = unit.product_model.components.get(name=facts.name)

    reason = None
    code = raw.get("reason")
    if code not in (None, ""):
        reason = DefectReason.objects.filter(code=code, active=True).first()
        if reason is None:
            codes = ", ".join(
                DefectReason.objects.filter(active=True).values_list("code", flat=True)
            )
            errors.add(
                p + "reason",
                _("Unknown defect reason %(code)r; choose one of: %(codes)s.")
                % {"code": code, "codes": codes},
            )

    if errors.count > before:
        return None
    assert unit is not None and defect_date is not None and kind is not None
    return _CleanItem(
        unit=unit,
        serial_number=unit.serial_number,
        model_code=text["model_code"],
        shipment_date=shipment_date,
        po_number=text["po_number"],
        pi_number=text["pi_number"],
        defect_kind=kind,
        defect_date=defect_date,
        defect_details=details,
        component=component,
        component_facts=facts,
        reason=reason,
    )


def _clean_items(raw_items: Any, *, actor: Actor, today: date) -> list[_CleanItem]:
    """All items at once: every error is reported together, and nothing is saved on any."""
    errors = _Errors()
    if not isinstance(raw_items, Sequence) or isinstance(raw_items, str | bytes):
        errors.add("items", _("Give the items as a list."))
        errors.raise_if_any()
    if not raw_items:
        errors.add("items", _("Add at least one unit to the claim."))
        errors.raise_if_any()
    cleaned: list[_CleanItem] = []
    seen: dict[int, int] = {}
    for index, raw in enumerate(raw_items):
        item = _clean_item(raw, index, actor=actor, today=today, errors=errors)
        if item is None:
            continue
        if item.unit.pk in seen:
            errors.add(
                f"items.{index}.serial_number",
                _("This unit is already item %(n)d of this claim.") % {"n": seen[item.unit.pk] + 1},
            )
            continue
        seen[item.unit.pk] = index
        cleaned.append(item)
    errors.raise_if_any()
    return cleaned


def _require_buyer(actor: Actor) -> None:
    if not actor.is_buyer:
        raise Forbidden(_("CPRO staff cannot do this on the buyer's behalf."))
    if actor.organisation is None:
        raise Forbidden(_("Your account does not belong to a buyer organisation."))


def _verdict_fields(verdict: rules.Verdict) -> dict[str, Any]:
    """How an item stores a verdict: the SPEC answer in both languages, for display (N5)."""
    return {
        "verdict": {"en": verdict.as_dict("en"), "ko": verdict.as_dict("ko")},
        "verdict_status": verdict.status,
        "verdict_final": not verdict.preliminary,
        "notice_late": verdict.notice_late,
    }


def _draft_verdict(clean: _CleanItem, *, today: date, policies: PolicyTable) -> rules.Verdict:
    # As if notified today: tells the buyer what submitting now would give (N1 deadline too).
    return unit_verdict(
        clean.unit,
        today=today,
        defect_kind=clean.defect_kind,
        defect_date=clean.defect_date,
        component=clean.component_facts,
        policies=policies,
    )


def _item_summary(items: Sequence[ClaimItem]) -> list[dict[str, Any]]:
    return [
        {
            "item": item.pk,
            "serial_number": item.serial_number,
            "defect_kind": item.defect_kind,
            "defect_date": item.defect_date,
            "verdict_status": item.verdict_status,
        }
        for item in items
    ]


def _write_items(claim: Claim, cleaned: list[_CleanItem], *, today: date) -> list[ClaimItem]:
    """Make the claim's items exactly ``cleaned``.

    Items are matched by unit, so a kept unit keeps its row and the evidence attached to it; a
    removed unit's attachments stay on the claim (evidence is never dropped silently).
    """
    policies = PolicyTable.load()
    existing = {item.unit_id: item for item in claim.items.all()}
    keep = {c.unit.pk for c in cleaned}
    removed = [item for unit_id, item in existing.items() if unit_id not in keep]
    if removed:
        Attachment.objects.filter(item__in=removed).update(item=None)
        ClaimItem.objects.filter(pk__in=[i.pk for i in removed]).delete()
    written = []
    for position, clean in enumerate(cleaned):
        item = existing.get(clean.unit.pk) or ClaimItem(claim=claim)
        for name, value in clean.fields().items():
            setattr(item, name, value)
        item.position = position
        verdict = _draft_verdict(clean, today=today, policies=policies)
        for name, value in _verdict_fields(verdict).items():
            setattr(item, name, value)
        item.save()
        written.append(item)
    return written


# --- Drafts -----------------------------------------------------------------------------------


def create_draft(*, actor: Actor, items: list[dict], buyer_reference: str = "") -> Claim:
    """Save a buyer's draft claim: no notice given yet (N1), no RMA number (N2).

    Every item's serial must be one of the buyer's organisation's units; defect dates may be
    neither in the future nor before the warranty started (W1); the failed component must be
    one of the model's. All errors come back at once in ``ValidationFailed``; nothing is saved.
    N3 fields may stay blank until submission. Each item stores a preliminary verdict as of
    today (N5) so the buyer sees where it stands, including the N1 deadline.
    """
    _require_buyer(actor)
    today = seoul_today()
    errors = _Errors()
    reference = _text(buyer_reference, "buyer_reference", errors, max_length=100)
    try:
        cleaned = _clean_items(items, actor=actor, today=today)
    except ValidationFailed as exc:
        for key, messages in exc.errors.items():
            for message in messages:
                errors.add(key, message)
    errors.raise_if_any()

    with transaction.atomic():
        claim = Claim.objects.create(
            organisation=actor.organisation,
            author=actor.user,
            api_key=actor.api_key,
            buyer_reference=reference,
        )
        written = _write_items(claim, cleaned, today=today)
        # The first event records the creation (``act`` needs an existing claim to lock).
        with act(claim, "edit_draft", actor, created=True) as step:
            step.data.update(buyer_reference=reference, items=_item_summary(written))
    return claim


def update_draft(
    *,
    actor: Actor,
    claim: Claim,
    items: list[dict] | None = None,
    buyer_reference: str | None = None,
) -> Claim:
    """Change a draft: replace its items (same checks as ``create_draft``) and/or the reference.

    Only the organisation's buyers, only while it is a draft (``RULES["edit_draft"]``).
    """
    with act(claim, "edit_draft", actor) as step:
        today = seoul_today()
        errors = _Errors()
        changed = []
        if buyer_reference is not None:
            reference = _text(buyer_reference, "buyer_reference", errors, max_length=100)
            if reference != step.claim.buyer_reference:
                step.claim.buyer_reference = reference
                step.claim.save(update_fields=["buyer_reference", "updated_at"])
                changed.append("buyer_reference")
                step.data["buyer_reference"] = reference
        cleaned = None
        if items is not None:
            try:
                cleaned = _clean_items(items, actor=actor, today=today)
            except ValidationFailed as exc:
                for key, messages in exc.errors.items():
                    for message in messages:
                        errors.add(key, message)
        errors.raise_if_any()
        if cleaned is not None:
            written = _write_items(step.claim, cleaned, today=today)
            changed.append("items")
            step.data["items"] = _item_summary(written)
        step.data["changed"] = changed
    return claim


# --- The notice (N1-N5) -----------------------------------------------------------------------


def _mismatches(item: ClaimItem) -> list[dict[str, str]]:
    """N3: the buyer's fields that disagree with CPRO's records; flagged to staff, not refused."""
    shipment = item.unit.shipment
    recorded = {
        "model_code": item.unit.product_model.code,
        "shipment_date": shipment.shipment_date.isoformat(),
        "po_number": shipment.po_number,
        "pi_number": shipment.pi_number,
    }
    given = {
        "model_code": item.model_code,
        "shipment_date": item.shipment_date.isoformat() if item.shipment_date else "",
        "po_number": item.po_number,
        "pi_number": item.pi_number,
    }
    found = []
    for name, value in given.items():
        # Case and surrounding spaces are typing, not a disagreement.
        if value.strip().casefold() != recorded[name].strip().casefold():
            found.append({"field": name, "given": value, "recorded": recorded[name]})
    return found


def _units_in_other_open_claims(claim: Claim, items: list[ClaimItem]) -> dict[int, str]:
    """One unit, one open RMA: the units of ``items`` already in another open claim, with its
    RMA number. The unit rows are locked (in id order) so two drafts naming the same unit
    cannot both be submitted."""
    unit_ids = sorted(item.unit_id for item in items)
    list(Unit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk").values("pk"))
    return dict(
        ClaimItem.objects.filter(unit_id__in=unit_ids, claim__status__in=OPEN_STATUSES)
        .exclude(claim=claim)
        .values_list("unit_id", "claim__rma_number")
    )


def _check_submission(claim: Claim, items: list[ClaimItem], notice_date: date) -> None:
    """N3 fields, evidence (N5) and dates, for every item; all errors at once."""
    errors = _Errors()
    if not items:
        errors.add("items", _("Add at least one unit to the claim."))
    open_elsewhere = _units_in_other_open_claims(claim, items)
    for index, item in enumerate(items):
        p = f"items.{index}."
        if item.unit_id in open_elsewhere:
            errors.add(
                p + "serial_number",
                _("Unit %(serial)s is already in open claim %(rma)s: follow it there.")
                % {"serial": item.serial_number, "rma": open_elsewhere[item.unit_id]},
            )
        for name, label in N3_FIELDS.items():
            value = getattr(item, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors.add(
                    p + name,
                    _("The %(field)s is required to obtain an RMA number (N3).")
                    % {"field": _(label)},
                )
        if item.unit.shipment.buyer_id != claim.organisation_id:
            # The shipment records changed hands since the draft: same answer as unknown.
            errors.add(
                p + "serial_number",
                _("No unit with serial number %(serial)r in your organisation.")
                % {"serial": item.serial_number},
            )
        try:
            check_defect_date(
                item.unit,
                defect_kind=item.defect_kind,
                defect_date=item.defect_date,
                today=notice_date,
            )
        except RuleInputError as exc:
            errors.add(p + "defect_date", exc.message)
        reason = item.defect_reason
        has_photo = any(a.is_image for a in item.attachments.all())
        if reason is not None and reason.photo_required and not has_photo:
            errors.add(
                p + "attachments",
                _(
                    "Attach at least one photo of the defect to this item: the reason "
                    "'%(reason)s' needs one (N5: the burden of proof is the buyer's)."
                )
                % {"reason": reason.name_en},
            )
    errors.raise_if_any()


def submit(*, actor: Actor, claim: Claim) -> Claim:
    """Give the notice (N1) and obtain the RMA number (N2).

    N3: every item needs model, serial, date of shipment, PO, PI and defect details, else
    ``ValidationFailed`` keyed ``items.<n>.<field>`` and nothing changes. An item whose defect
    reason requires a photo needs one image attached (N5). The N3 fields are compared with
    CPRO's records and disagreements flagged in ``item.mismatches`` (not refused). The notice
    date is the Seoul date of now; each item gets its preliminary verdict (N1, W1-W4; N5); the
    RMA number is assigned under the number row's lock; the hold runs 30 days (N4).
    """
    with act(claim, "submit", actor) as step:
        locked = step.claim
        now = timezone.now()
        notice_date = rules.seoul_date(now)
        items = list(
            locked.items.select_related(
                "unit__shipment", "unit__product_model", "component", "defect_reason"
            ).prefetch_related("attachments")
        )
        _check_submission(locked, items, notice_date)

        policies = PolicyTable.load()
        summary = []
        for item in items:
            component = (
                rules.ComponentFacts(name=item.component.name, kind=item.component.kind)
                if item.component is not None
                else None
            )
            verdict = unit_verdict(
                item.unit,
                today=notice_date,
                defect_kind=item.defect_kind,
                defect_date=item.defect_date,
                component=component,
                notice_date=notice_date,
                notice_exception=item.notice_exception or None,
                policies=policies,
            )
            for name, value in _verdict_fields(verdict).items():
                setattr(item, name, value)
            item.mismatches = _mismatches(item)
            item.save(
                update_fields=[
                    "verdict",
                    "verdict_status",
                    "verdict_final",
                    "notice_late",
                    "mismatches",
                ]
            )
            summary.append(
                {
                    "item": item.pk,
                    "serial_number": item.serial_number,
                    "verdict_status": item.verdict_status,
                    "notice_late": item.notice_late,
                    "mismatches": item.mismatches,
                }
            )

        locked.notice_at = now
        locked.hold_until = notice_date + timedelta(days=HOLD_DAYS)
        locked.rma_number = next_number("RMA")
        locked.save()
        step.data.update(
            rma_number=locked.rma_number,
            notice_date=notice_date,
            hold_until=locked.hold_until,
            items=summary,
        )
    return claim


# --- Review and the thread --------------------------------------------------------------------


def _body(value: Any, key: str, what: str) -> str:
    errors = _Errors()
    body = _text(value, key, errors)
    if not body and not errors:
        errors.add(key, _("Enter the %(what)s.") % {"what": _(what)})
    errors.raise_if_any()
    return body


def _thread_message(
    action: str,
    *,
    actor: Actor,
    claim: Claim,
    value: Any,
    key: str,
    what: str,
    internal: bool = False,
) -> Message:
    """One message in the claim's thread, as one transition whose event records it (N2)."""
    with act(claim, action, actor) as step:
        body = _body(value, key, what)
        message = Message.objects.create(
            claim=step.claim,
            author=actor.user,
            author_label=actor.label,
            from_staff=actor.is_staff,
            internal=internal,
            channel=actor.channel,
            body=body,
        )
        if internal:
            step.public = False
        step.data.update({"message": message.pk, key: body})
    return message


def request_info(*, actor: Actor, claim: Claim, question: str) -> Message:
    """Staff ask the buyer a question in the thread; the claim waits for the answer.

    The N4 hold clock does not stop meanwhile (SPEC "Claim lifecycle": info_requested).
    """
    return _thread_message(
        "request_info", actor=actor, claim=claim, value=question, key="question", what="question"
    )


def answer_info(*, actor: Actor, claim: Claim, answer: str) -> Message:
    """The buyer answers staff's question; the claim is back under review (submitted)."""
    return _thread_message(
        "answer_info", actor=actor, claim=claim, value=answer, key="answer", what="answer"
    )


def post_message(*, actor: Actor, claim: Claim, body: str) -> Message:
    """A message in the buyer ↔ staff thread, visible to both sides (N2: under its RMA)."""
    return _thread_message(
        "post_message", actor=actor, claim=claim, value=body, key="body", what="message"
    )


def add_internal_note(*, actor: Actor, claim: Claim, body: str) -> Message:
    """A staff-only note: never shown to buyers, and its event stays off their timeline."""
    return _thread_message(
        "internal_note",
        actor=actor,
        claim=claim,
        value=body,
        key="body",
        what="note",
        internal=True,
    )


# --- Evidence (N5) ----------------------------------------------------------------------------


def _max_upload_bytes() -> int:
    return getattr(settings, "RMA_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES)


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
            uploads.check_claim_room(step.claim, len(data))  # issue 13: per-claim totals
            data = uploads.clean_content(data, mime, shown_name)  # issue 13: beyond magic bytes
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


# --- Staff decisions and exits ----------------------------------------------------------------


def grant_notice_exception(*, actor: Actor, item: ClaimItem, reason: str) -> ClaimItem:
    """N1: staff accept a late notice for one item, with a reason (required, shown to the buyer).

    The item's preliminary verdict is recomputed with the exception and the notice date of the
    claim; it remains preliminary until inspection (N5).
    """
    with act(item.claim_id, "grant_notice_exception", actor) as step:
        text = _body(reason, "reason", "reason for accepting the late notice")
        if step.claim.notice_at is None:
            raise InvalidState(_("The claim has no notice date yet."))
        locked = ClaimItem.objects.select_related(
            "unit__shipment", "unit__product_model", "component"
        ).get(pk=item.pk, claim=step.claim)
        notice_date = rules.seoul_date(step.claim.notice_at)
        component = (
            rules.ComponentFacts(name=locked.component.name, kind=locked.component.kind)
            if locked.component is not None
            else None
        )
        verdict = unit_verdict(
            locked.unit,
            defect_kind=locked.defect_kind,
            defect_date=locked.defect_date,
            component=component,
            notice_date=notice_date,
            notice_exception=text,
        )
        if not verdict.notice_late:
            raise ValidationFailed(
                {"item": [_("This item's notice was given in time (N1); no exception is needed.")]}
            )
        before = locked.verdict_status
        locked.notice_exception = text
        for name, value in _verdict_fields(verdict).items():
            setattr(locked, name, value)
        locked.save(
            update_fields=[
                "notice_exception",
                "verdict",
                "verdict_status",
                "verdict_final",
                "notice_late",
            ]
        )
        step.data.update(
            item=locked.pk,
            serial_number=locked.serial_number,
            reason=text,
            verdict_before=before,
            verdict_status=locked.verdict_status,
        )
    item.refresh_from_db()
    return item


def cancel(*, actor: Actor, claim: Claim, reason: str = "") -> Claim:
    """The buyer withdraws the claim, at any point before shipping the goods back."""
    with act(claim, "cancel", actor) as step:
        errors = _Errors()
        text = _text(reason, "reason", errors)
        errors.raise_if_any()
        step.claim.decision_reason = text
        step.claim.decided_at = timezone.now()
        step.claim.save(update_fields=["decision_reason", "decided_at", "updated_at"])
        step.data["reason"] = text
    return claim


def reject(*, actor: Actor, claim: Claim, reason: str) -> Claim:
    """Staff decide without a return (e.g. the records show the period ended, W1/N1).

    A reason is required; it is shown to the buyer.
    """
    with act(claim, "reject", actor) as step:
        text = _body(reason, "reason", "reason for the rejection")
        step.claim.decision_reason = text
        step.claim.decided_at = timezone.now()
        step.claim.save(update_fields=["decision_reason", "decided_at", "updated_at"])
        step.data["reason"] = text
    return claim
