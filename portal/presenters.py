"""Plain words for the buyer: what a claim waits for, what happened on it (no rules here).

The deadlines come from the services' own functions (``notifications.deadlines``, the N4 hold
stored on the claim); this module only says them in the buyer's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from claims.models import Claim, ClaimEvent, ClaimStatus, DocumentKind, VoidReason
from notifications.deadlines import NoticeState, notice_deadline_of
from warranty.selectors import PolicyTable

S = ClaimStatus


@dataclass(frozen=True)
class NextStep:
    """What matters next on a claim, for the dashboard and the claim list."""

    text: str
    deadline: date | None = None
    action: bool = False  # the buyer has something to do
    overdue: bool = False


def notice_state(claim: Claim, *, today: date, policies: PolicyTable) -> NoticeState:
    """``notifications.deadlines.draft_notice_state`` with one policy table for a whole page."""
    if claim.status != S.DRAFT:
        return NoticeState(None, None)
    deadline = notice_deadline_of(claim, policies)
    if deadline is None:
        return NoticeState(None, None)
    return NoticeState(deadline, (deadline - today).days)


def _hold(claim: Claim) -> str:
    if claim.hold_until is None:
        return ""
    return _("Keep the products at CPRO's disposal until %(date)s (N4).") % {
        "date": claim.hold_until.isoformat()
    }


def next_step(claim: Claim, *, today: date, policies: PolicyTable) -> NextStep:
    status = claim.status
    if status == S.DRAFT:
        state = notice_state(claim, today=today, policies=policies)
        if state.deadline is None:
            return NextStep(_("Draft: add the units and submit it."), action=True)
        when = state.deadline.isoformat()
        if state.passed:
            return NextStep(
                _(
                    "The notice deadline passed on %(date)s (N1): submitting now gives a late "
                    "notice."
                )
                % {"date": when},
                state.deadline,
                action=True,
                overdue=True,
            )
        days = ngettext("%(n)d day left", "%(n)d days left", state.days_left) % {
            "n": state.days_left
        }
        return NextStep(
            _("Submit by %(date)s, the notice deadline (N1): %(days)s.")
            % {"date": when, "days": days},
            state.deadline,
            action=True,
        )
    if status == S.SUBMITTED:
        return NextStep(_("CPRO is reviewing the claim.") + " " + _hold(claim), claim.hold_until)
    if status == S.INFO_REQUESTED:
        return NextStep(
            _("CPRO asked a question: answer it on the claim page.") + " " + _hold(claim),
            claim.hold_until,
            action=True,
        )
    if status == S.RETURN_AUTHORIZED:
        return NextStep(
            _(
                "Return authorized: ship the authorized items with the Return Authorization, "
                "then enter the carrier and tracking number (R1)."
            ),
            claim.hold_until,
            action=True,
        )
    if status == S.SHIPPED:
        return NextStep(
            _("On its way to CPRO: %(carrier)s, tracking number %(tracking)s.")
            % {"carrier": claim.carrier, "tracking": claim.tracking_number}
        )
    if status == S.RECEIVED:
        return NextStep(_("CPRO received the goods and will inspect them."))
    if status == S.INSPECTED:
        return NextStep(_("Inspected: see the outcome of each item on the claim page."))
    if status == S.CLOSED:
        return NextStep(_("Closed."))
    if status == S.REJECTED:
        return NextStep(_("Rejected by CPRO: see the reason on the claim page."))
    if status == S.CANCELLED:
        return NextStep(_("Withdrawn by you."))
    if status == S.REFUSED:
        return NextStep(_("The return was refused: see the reason on the claim page."))
    return NextStep(claim.get_status_display())


def who(event: ClaimEvent, user) -> str:
    """The side that acted, as the buyer knows it (staff names are CPRO's business)."""
    if event.channel == "system":
        return _("CPRO RMA portal")
    if event.channel == "admin":
        return _("CPRO")
    if user is not None and event.actor_id == user.pk:
        return _("You")
    if event.channel == "api":
        return _("Your organisation (API)")
    return event.actor_label


def _serials(data: dict, key: str = "serials") -> str:
    return ", ".join(str(s) for s in data.get(key) or [])


def timeline_lines(events, user) -> list[tuple[ClaimEvent, str, str]]:
    """The buyer's timeline: each act once, in their words; an event that only repeats another
    act (a credit or debit note's PDF being ready) is left out."""
    lines = []
    for event in events:
        text = event_text(event)
        if text:
            lines.append((event, text, who(event, user)))
    return lines


def event_text(event: ClaimEvent) -> str:
    """One line of the claim's timeline (public events only reach buyers); empty when
    another line already says it."""
    data = event.data or {}
    kind = event.kind
    if kind == "edit_draft":
        return _("Draft created.") if data.get("created") else _("Draft changed.")
    if kind == "submit":
        return _(
            "Notice given (N1). RMA number %(rma)s assigned (N2); keep the products at CPRO's "
            "disposal until %(hold)s (N4)."
        ) % {"rma": data.get("rma_number", ""), "hold": data.get("hold_until", "")}
    if kind == "request_info":
        return _("CPRO asked for more information.")
    if kind == "answer_info":
        return _("Question answered.")
    if kind == "post_message":
        return _("Message posted.")
    if kind == "attach":
        return _("Evidence attached: %(name)s.") % {"name": data.get("original_name", "")}
    if kind == "grant_notice_exception":
        return _("CPRO accepted the late notice for %(serial)s (N1): %(reason)s") % {
            "serial": data.get("serial_number", ""),
            "reason": data.get("reason", ""),
        }
    if kind == "authorize_return":
        return _("CPRO authorized the return of %(serials)s (R1).") % {"serials": _serials(data)}
    if kind == "document_issued":
        if data.get("document_kind") != DocumentKind.RETURN_AUTHORIZATION:
            return ""  # the note's own act says it was issued (issue_credit/debit_note)
        return _("Return Authorization ready to download and print (R1).")
    if kind == "void_document":
        label = dict(DocumentKind.choices).get(data.get("document_kind"), "")
        public = data.get("public_reason")  # staff's own reason stays in the admin
        return _("%(document)s %(number)s is no longer valid: %(reason)s") % {
            "document": label,
            "number": data.get("number") or "",
            "reason": VoidReason(public).label if public in VoidReason.values else _("withdrawn"),
        }
    if kind == "record_shipment":
        return _("Shipped with %(carrier)s, tracking number %(tracking)s.") % {
            "carrier": data.get("carrier", ""),
            "tracking": data.get("tracking_number", ""),
        }
    if kind == "receive":
        if data.get("passed") is False:
            return _("The goods arrived but were refused (R2): %(reason)s") % {
                "reason": data.get("refusal_reason", "")
            }
        return _("CPRO received the goods (R2).")
    if kind == "refuse":
        return _("The return was refused: %(reason)s") % {"reason": data.get("reason", "")}
    if kind == "inspect":
        return _("CPRO inspected the items; the verdicts are now final (N5).")
    if kind == "issue_credit_note":
        return _("Credit note %(number)s issued (D1).") % {"number": data.get("number", "")}
    if kind == "charge":
        return _("Costs of an unjustified return charged (D2).")
    if kind == "waive_charge":
        return _("CPRO waived the costs of the return (D2).")
    if kind == "issue_debit_note":
        return _("Debit note %(number)s issued (D2).") % {"number": data.get("number", "")}
    if kind == "ship_outbound":
        return _(
            "CPRO shipped the repaired or replacement unit for %(serial)s (D1): %(carrier)s, "
            "tracking number %(tracking)s."
        ) % {
            "serial": data.get("serial", ""),
            "carrier": data.get("carrier", ""),
            "tracking": data.get("tracking_number", ""),
        }
    if kind == "close":
        return _("Claim closed.")
    if kind == "reject":
        return _("CPRO rejected the claim: %(reason)s") % {"reason": data.get("reason", "")}
    if kind == "cancel":
        return _("Claim withdrawn.")
    if kind == "hold_ended":
        return _("The 30-day hold ended (N4).")
    return kind.replace("_", " ").capitalize() + "."
