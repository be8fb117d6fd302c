"""E-mails about claims: to the buyer in the organisation's language, to CPRO's sales staff.

Every subject carries the claim's RMA number (N2); only a draft, which has none yet, goes
without. Templates live in ``templates/emails/`` (English) and ``templates/emails/ko/``
(Korean): the first line is the subject, the rest the body. They only lay out the plain values
built here (STYLE 9).

Sending is once per ``SentEmail.dedupe_key``, decided and recorded in one transaction that is
open while the mail server is talking:

- a redelivered or concurrent duplicate of the task blocks on the key's unique index until the
  first commits, then sees the row and sends nothing;
- if sending fails, or the worker dies mid-send, the row is rolled back with it and the retry
  or redelivery sends again.

That is at-least-once, chosen over at-most-once because the terms run on these messages (the
acknowledgement, N4 hold, N1 deadlines): a lost one is worse than a rare duplicate. The only
duplicate left is the mail server accepting the message and the worker dying before the commit
that follows it a few milliseconds later.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Language, User
from claims.document_selectors import replacement_of
from claims.models import (
    Claim,
    ClaimEvent,
    ClaimItem,
    ClaimStatus,
    CreditNote,
    DebitNote,
    Document,
    Message,
    SupportContact,
)
from rma_portal.cleaning import single_line
from rma_portal.money import money
from warranty.rules import seoul_date
from warranty.selectors import unit_verdict

from .models import Reminder, ReminderKind, SentEmail

logger = logging.getLogger(__name__)

SALES_STAFF_GROUP = "Sales staff"  # accounts/migrations/0002_sales_staff_group.py

# Template names. Buyer-facing ones are in the organisation's language; staff ones in each
# staff member's own.
BUYER_KINDS = frozenset(
    {
        "submitted",
        "info_requested",
        "info_answered",
        "message",
        "return_authorized",
        "received",
        "refused",
        "inspected",
        "credit_note_issued",
        "debit_note_issued",
        "outbound_shipped",
        "charge_waived",
        "document_voided",
        "closed",
        "rejected",
        "cancelled",
        "hold_ended",
        "notice_reminder",
        "notice_passed",
    }
)
STAFF_KINDS = frozenset({"hold_reminder", "hold_ended_staff"})

REMINDER_TEMPLATES = {
    ReminderKind.NOTICE_2D: "notice_reminder",
    ReminderKind.NOTICE_1D: "notice_reminder",
    ReminderKind.NOTICE_PASSED: "notice_passed",
    ReminderKind.HOLD_7D: "hold_reminder",
    ReminderKind.HOLD_2D: "hold_reminder",
}

# N4: where the claim stands when the hold ends or nears its end, for the wording.
AWAITING_AUTHORIZATION = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.INFO_REQUESTED})
AWAITING_INSPECTION = frozenset(
    {ClaimStatus.RETURN_AUTHORIZED, ClaimStatus.SHIPPED, ClaimStatus.RECEIVED}
)


@dataclass
class Email:
    """One message to send; ``audience`` names it within its ``SentEmail`` key."""

    audience: str
    language: str
    to: list[str]
    subject: str
    body: str


@dataclass
class _Audience:
    # "buyer", or "staff-<language>": stable across retries, so a redelivery finds its key.
    name: str
    language: str
    to: list[str] = field(default_factory=list)


# --- Entry points (the Celery tasks call these) -----------------------------------------------


def send_event_email(*, event_id: int, kind: str) -> int:
    """Send the ``kind`` e-mail about one claim event, once; returns how many were sent."""
    event = ClaimEvent.objects.select_related("claim__organisation", "claim__author").get(
        pk=event_id
    )
    claim = event.claim
    sent = 0
    for email in build_event_emails(event, kind):
        sent += send_once(f"event:{event.pk}:{kind}:{email.audience}", email, kind, claim)
    return sent


def send_reminder_email(*, reminder_id: int) -> int:
    """Send the e-mail of one deadline reminder (N1, N4), once; returns how many were sent."""
    reminder = Reminder.objects.select_related("claim__organisation", "claim__author").get(
        pk=reminder_id
    )
    kind = REMINDER_TEMPLATES[reminder.kind]
    sent = 0
    for email in build_reminder_emails(reminder):
        sent += send_once(f"reminder:{reminder.pk}:{email.audience}", email, kind, reminder.claim)
    return sent


def send_once(dedupe_key: str, email: Email, kind: str, claim: Claim | None) -> bool:
    """Send ``email`` unless an e-mail with this key was already sent (see the module doc)."""
    with transaction.atomic():
        _record, created = SentEmail.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "kind": kind,
                "claim": claim,
                "subject": email.subject[:300],
                "recipients": email.to,
                "language": email.language,
            },
        )
        if not created:
            logger.info("E-mail %s was already sent; not sending it again.", dedupe_key)
            return False
        if not email.to:
            # Recorded all the same, so a retry does not look for recipients again.
            logger.warning("E-mail %s has no recipient with an address.", dedupe_key)
            return False
        EmailMessage(
            subject=email.subject,
            body=email.body,
            to=email.to,
            headers={"X-RMA-Number": claim.rma_number} if claim and claim.rma_number else None,
        ).send()
        return True


# --- Building ---------------------------------------------------------------------------------


def build_event_emails(event: ClaimEvent, kind: str) -> list[Email]:
    claim = event.claim
    if kind in STAFF_KINDS:
        audiences = _staff_audiences()
    else:
        buyer = _buyer_audience(claim)
        audiences = [buyer, *_organisation_copy(claim, buyer)]
    return [
        _render(kind, audience, claim, _event_context(event, kind, audience.language))
        for audience in audiences
    ]


def build_reminder_emails(reminder: Reminder) -> list[Email]:
    claim = reminder.claim
    kind = REMINDER_TEMPLATES[reminder.kind]
    if kind in STAFF_KINDS:
        audiences = _staff_audiences()
    else:
        author = _author_audience(claim)
        audiences = [author, *_organisation_copy(claim, author)]
    emails = []
    for audience in audiences:
        context = _claim_context(claim, audience.language)
        context.update(
            reminder=reminder.kind,
            deadline=reminder.deadline,
            days_left=(reminder.deadline - reminder.recorded_on).days,
        )
        emails.append(_render(kind, audience, claim, context))
    return emails


def _render(kind: str, audience: _Audience, claim: Claim, context: dict[str, Any]) -> Email:
    lang = audience.language
    with translation.override(lang):
        text = render_to_string([f"emails/{lang}/{kind}.txt", f"emails/{kind}.txt"], context)
    subject, _newline, body = text.strip().partition("\n")
    subject = " ".join(subject.split())
    if claim.rma_number:
        subject = f"[{claim.rma_number}] {subject}"  # N2: the RMA number in every subject
    return Email(
        audience=audience.name, language=lang, to=audience.to, subject=subject, body=_tidy(body)
    )


def _tidy(body: str) -> str:
    # Template tags leave blank lines and trailing spaces behind: at most one empty line.
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


# --- Recipients -------------------------------------------------------------------------------


def _language(code: str | None) -> str:
    return Language.KOREAN if (code or "").lower().startswith("ko") else Language.ENGLISH


def _distinct(addresses) -> list[str]:
    seen: set[str] = set()
    result = []
    for address in addresses:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def buyer_recipients(claim: Claim) -> list[str]:
    """The claim's author and the organisation's active users, each address once."""
    author = claim.author
    first = [author.email] if author is not None and author.is_active else []
    users = (
        User.objects.filter(organisation=claim.organisation_id, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    return _distinct([*first, *users])


def _buyer_audience(claim: Claim) -> _Audience:
    # SPEC "Domain": the organisation's preferred language for everything it receives.
    return _Audience("buyer", _language(claim.organisation.language), buyer_recipients(claim))


def _organisation_copy(claim: Claim, buyer: _Audience) -> list[_Audience]:
    """The copy of a buyer e-mail to the organisation's notification address, when it has one
    that the e-mail does not already go to; its own audience (so its own ``SentEmail`` key:
    sent once, shown in "Sent e-mails"), in the organisation's language."""
    address = (claim.organisation.notification_email or "").strip()
    if not address or address.lower() in {a.lower() for a in buyer.to}:
        return []
    return [_Audience("organisation", _language(claim.organisation.language), [address])]


def _author_audience(claim: Claim) -> _Audience:
    """N1 reminders go to the draft's author; a partner's draft (no author) to its organisation."""
    author = claim.author
    if author is not None and author.is_active and author.email:
        return _Audience("buyer", _language(claim.organisation.language), [author.email])
    return _buyer_audience(claim)


def staff_recipients() -> list[User]:
    """CPRO's sales staff (the group); every active staff user when the group has nobody."""
    staff = User.objects.filter(is_active=True, is_staff=True).exclude(email="")
    members = staff.filter(groups__name=SALES_STAFF_GROUP).distinct()
    return list((members if members.exists() else staff).order_by("pk"))


def _staff_audiences() -> list[_Audience]:
    by_language: dict[str, list[str]] = defaultdict(list)
    for user in staff_recipients():
        by_language[_language(user.preferred_language)].append(user.email)
    return [
        _Audience(f"staff-{lang}", lang, _distinct(to)) for lang, to in sorted(by_language.items())
    ]


# --- Context ----------------------------------------------------------------------------------


def _claim_context(claim: Claim, lang: str) -> dict[str, Any]:
    support = SupportContact.current()
    admin_url = settings.SITE_URL + reverse("admin:claims_claim_change", args=[claim.pk])
    return {
        "claim": claim,
        "rma_number": claim.rma_number,
        "organisation": claim.organisation,
        "reference": single_line(claim.buyer_reference),  # never splits a subject line
        "status": claim.status,
        "awaiting_authorization": claim.status in AWAITING_AUTHORIZATION,
        "awaiting_inspection": claim.status in AWAITING_INSPECTION,
        "hold_until": claim.hold_until,
        "notice_date": _seoul(claim.notice_at),
        "site_url": settings.SITE_URL,
        "claim_url": settings.SITE_URL + reverse("portal:claim", args=[claim.pk]),
        "admin_url": admin_url,
        "support": support,
        "lang": lang,
    }


def _event_context(event: ClaimEvent, kind: str, lang: str) -> dict[str, Any]:
    claim = event.claim
    data = event.data or {}
    context = _claim_context(claim, lang)
    context.update(event=event, event_date=_seoul(event.created_at))
    if kind in {"submitted", "return_authorized", "inspected", "closed"}:
        items = claim.items.select_related(
            "unit__product_model", "charge__debit_note", "credit_note", "replacement_unit"
        ).order_by("position", "pk")
        context["items"] = [_item_context(item, lang) for item in items]
        context["not_authorized"] = [i for i in context["items"] if not i["return_authorized"]]
    if kind in {"info_requested", "info_answered", "message"}:
        message = Message.objects.filter(pk=data.get("message"), claim=claim).first()
        context["message"] = message.body if message is not None else data.get("body", "")
        if kind == "info_requested" and not context["message"]:
            context["message"] = data.get("question", "")
    if kind == "refused":
        context["reason"] = (
            data.get("refusal_reason") or data.get("reason") or claim.refusal_reason or ""
        )
    if kind in {"rejected", "cancelled"}:
        context["reason"] = data.get("reason") or claim.decision_reason or ""
    if kind in SETTLEMENT_KINDS:
        context.update(_settlement_context(claim, kind, data, lang))
    if kind == "received":
        context["received_on"] = _seoul(claim.received_at) or context["event_date"]
        context["differences"] = data.get("differences") or []
    return context


SETTLEMENT_KINDS = frozenset(
    {
        "credit_note_issued",
        "debit_note_issued",
        "outbound_shipped",
        "charge_waived",
        "document_voided",
    }
)


def _document_url(document: Document | None) -> str:
    if document is None:
        return ""
    return settings.SITE_URL + reverse("documents:download", args=[document.pk])


def _settlement_context(claim: Claim, kind: str, data: dict, lang: str) -> dict[str, Any]:
    """D1/D2: what the buyer needs of a note, a shipment, a waiver or a voided document."""
    if kind == "credit_note_issued":
        note = (
            CreditNote.objects.select_related("item__unit__product_model")
            .filter(pk=data.get("credit_note_id"), claim=claim)
            .first()
        )
        if note is None:
            return {}
        return {
            "number": note.number,
            "amount": money(note.amount, note.currency, lang),
            "serial": note.item.serial_number,
            "model": note.item.model_code or note.item.unit.product_model.code,
            "pdf_url": _document_url(note.documents.filter(valid=True).first()),
        }
    if kind == "debit_note_issued":
        note = DebitNote.objects.filter(pk=data.get("debit_note_id"), claim=claim).first()
        if note is None:
            return {}
        charges = note.charges.select_related("item").order_by("item__position", "item__pk")
        return {
            "number": note.number,
            "total": money(note.total, note.currency, lang),
            "lines": [
                {
                    "serial": c.item.serial_number,
                    "verification": money(c.verification, c.currency, lang),
                    "transport": money(c.transport, c.currency, lang),
                    "shipment": money(c.shipment, c.currency, lang),
                    "total": money(c.total, c.currency, lang),
                }
                for c in charges
            ],
            "pdf_url": _document_url(note.documents.filter(valid=True).first()),
        }
    if kind == "outbound_shipped":
        item = (
            claim.items.select_related("unit__product_model", "replacement_unit")
            .filter(unit__serial_number=data.get("serial", ""))
            .first()
        )
        replacement = item.replacement_unit if item is not None else None
        return {
            "serial": data.get("serial", ""),
            "model": item.model_code or item.unit.product_model.code if item else "",
            "outcome": data.get("outcome", ""),
            "carrier": data.get("carrier", ""),
            "tracking": data.get("tracking_number", ""),
            "replacement_serial": data.get("replacement_serial", ""),
            "replacement_end": unit_verdict(replacement).end_date if replacement else None,
        }
    if kind == "charge_waived":
        return {
            "serial": data.get("serial", ""),
            "amount": money(Decimal(data.get("total", "0")), data.get("currency", ""), lang),
        }
    # document_voided: the document and, when it was reissued, its replacement.
    document = Document.objects.filter(pk=data.get("document_id"), claim=claim).first()
    if document is None:
        return {}
    replacement = replacement_of(document)
    return {
        "document_kind": document.kind,
        "number": document.number or claim.rma_number,  # a Return Authorization: the RMA's
        "code": document.display_code,
        "replacement_number": (replacement.number or claim.rma_number) if replacement else "",
        "replacement_code": replacement.display_code if replacement else "",
        "replacement_url": _document_url(replacement),
    }


def _item_context(item: ClaimItem, lang: str) -> dict[str, Any]:
    verdict = item.verdict or {}
    # Items store the verdict in both languages ({"en": …, "ko": …}); older rows, one answer.
    verdict = verdict.get(lang) or verdict.get("en") or verdict
    charge = getattr(item, "charge", None)
    credit_note = getattr(item, "credit_note", None)
    return {
        "serial": item.serial_number,
        "model": item.model_code or item.unit.product_model.code,
        "covered": item.verdict_status == "covered",
        "final": item.verdict_final,
        "reasons": [r.get("text", "") for r in verdict.get("reasons", []) if r.get("text")],
        "notice_late": item.notice_late,
        "has_mismatches": bool(item.mismatches),
        "return_authorized": item.return_authorized,
        "outcome": item.outcome,
        "outcome_reason": item.outcome_reason,
        "credit_note": credit_note.number if credit_note is not None else "",
        "carrier": item.outbound_carrier,
        "tracking": item.outbound_tracking,
        "replacement_serial": item.replacement_unit.serial_number
        if item.replacement_unit_id
        else "",
        "charge": None
        if charge is None
        else {
            "total": money(charge.total, charge.currency, lang),
            "currency": charge.currency,
            "waived": charge.waived,
            "debit_note": charge.debit_note.number if charge.debit_note_id else "",
        },
    }


def _seoul(moment) -> date | None:
    return seoul_date(moment) if moment is not None else None
