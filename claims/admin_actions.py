"""The lifecycle acts staff perform in the admin, one small form page each.

Each act names its ``workflow.RULES`` entry (so the change page shows only the buttons the
lifecycle allows in the claim's status), the form that asks for what the service needs, and
the call to the service layer. The admin never changes a claim itself (STYLE 1, 2): a refused
act is the service's ``DomainError``, shown as it is, with nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from rma_portal.money import money

from . import admin_forms as f
from . import document_service, services, workflow
from .actors import STAFF, Actor
from .models import Claim, ClaimItem, ClaimStatus
from .workflow import UNDER_REVIEW

Perform = Callable[[Actor, Claim, Any], str]


@dataclass(frozen=True)
class Act:
    key: str  # in the URL: <claim>/act/<key>/
    rule: str  # its entry in workflow.RULES
    label: Any
    form: type[f.ActForm]
    perform: Perform  # calls the service; returns the success message
    explanation: Any = ""  # what happens, shown on the confirmation page
    statuses: frozenset[str] | None = None  # narrower than the rule (refusal variants)
    needs_items: Callable[[Sequence[ClaimItem]], bool] | None = None  # hide when nothing to do
    needs_claim: Callable[[Claim], bool] | None = None  # the same, for what is not an item
    permission: str = "claims.change_claim"
    submit_label: Any = _("Confirm")

    def allowed_in(self, status: str) -> bool:
        return workflow.allowed(self.rule, status, STAFF) and (
            self.statuses is None or status in self.statuses
        )

    def offered(self, claim: Claim, items: Sequence[ClaimItem]) -> bool:
        """Show the button: the lifecycle allows it now, and there is something to act on."""
        return (
            self.allowed_in(claim.status)
            and (self.needs_items is None or self.needs_items(items))
            and (self.needs_claim is None or self.needs_claim(claim))
        )


def _request_info(actor, claim, form):
    services.request_info(actor=actor, claim=claim, question=form.cleaned_data["text"])
    return _("Question sent to the buyer; the claim waits for their answer.")


def _message(actor, claim, form):
    services.post_message(actor=actor, claim=claim, body=form.cleaned_data["text"])
    return _("Message sent to the buyer.")


def _note(actor, claim, form):
    services.add_internal_note(actor=actor, claim=claim, body=form.cleaned_data["text"])
    return _("Internal note added.")


def _notice_exception(actor, claim, form):
    item = services.grant_notice_exception(
        actor=actor, item=_item(claim, form), reason=form.cleaned_data["reason"]
    )
    return _("N1 exception recorded for %(serial)s; its verdict is now %(verdict)s.") % {
        "serial": item.serial_number,
        "verdict": _("Covered") if item.verdict_status == "covered" else _("Not covered"),
    }


def _authorize(actor, claim, form):
    authorized = services.authorize_return(
        actor=actor, claim=claim, items=form.cleaned_data["items"]
    )
    return _("Return authorized (R1) for %(serials)s; the Return Authorization is issued.") % {
        "serials": ", ".join(i.serial_number for i in authorized)
    }


def _receive(actor, claim, form):
    data = form.cleaned_data
    services.receive(
        actor=actor,
        claim=claim,
        original_packaging=data["original_packaging"],
        bills_of_purchase=data["bills_of_purchase"],
        rma_on_documents=data["rma_on_documents"],
        conditions=form.conditions(),
    )
    claim.refresh_from_db()
    if claim.status == ClaimStatus.REFUSED:
        return claim.refusal_reason
    return _("Arrival recorded; the receiving checklist (R2) passed.")


def _refuse(actor, claim, form):
    services.refuse(actor=actor, claim=claim, reason=form.cleaned_data["text"])
    return _("Return refused.")


def _refuse_unauthorized(actor, claim, form):
    services.refuse_unauthorized_arrival(actor=actor, claim=claim, note=form.cleaned_data["note"])
    return _("The unauthorized arrival was refused (R1).")


def _inspect(actor, claim, form):
    services.inspect(
        actor=actor,
        claim=claim,
        results=form.results(),
        on_site=claim.status in UNDER_REVIEW,
    )
    return _("Inspection recorded; every item's verdict is now final (N5).")


def _credit_note(actor, claim, form):
    note = services.issue_credit_note(actor=actor, item=_item(claim, form))
    return _("Credit note %(number)s issued: %(amount)s (D1).") % {
        "number": note.number,
        "amount": money(note.amount, note.currency),
    }


def _set_charge(actor, claim, form):
    data = form.cleaned_data
    charge = services.set_charge(
        actor=actor,
        item=_item(claim, form),
        verification=data["verification"],
        transport=data["transport"],
        shipment=data["shipment"],
    )
    return _("D2 charge set to %(total)s.") % {"total": money(charge.total, charge.currency)}


def _waive(actor, claim, form):
    charge = services.waive_charge(
        actor=actor, item=_item(claim, form), reason=form.cleaned_data["reason"]
    )
    return _("D2 charge of %(total)s waived.") % {"total": money(charge.total, charge.currency)}


def _debit_note(actor, claim, form):
    note = services.issue_debit_note(actor=actor, claim=claim)
    return _("Debit note %(number)s issued: %(total)s (D2).") % {
        "number": note.number,
        "total": money(note.total, note.currency),
    }


def _ship_outbound(actor, claim, form):
    data = form.cleaned_data
    item = services.ship_outbound(
        actor=actor,
        item=_item(claim, form),
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        replacement_serial=data["replacement_serial"] or None,
    )
    return _("%(serial)s shipped back with %(carrier)s %(tracking)s.") % {
        "serial": item.serial_number,
        "carrier": item.outbound_carrier,
        "tracking": item.outbound_tracking,
    }


def _close(actor, claim, form):
    services.close(actor=actor, claim=claim)
    return _("Claim closed.")


def _reject(actor, claim, form):
    services.reject(actor=actor, claim=claim, reason=form.cleaned_data["text"])
    return _("Claim rejected; the buyer is told why.")


def _void_document(actor, claim, form):
    document = document_service.void_document(
        actor=actor,
        document=form.chosen_document(),
        reason=form.cleaned_data["reason"],
        public_reason=form.cleaned_data["public_reason"],
    )
    return _("%(document)s %(code)s is no longer valid; its verification page says why.") % {
        "document": document.get_kind_display(),
        "code": document.display_code,
    }


def _has_valid_document(claim: Claim) -> bool:
    return claim.documents.filter(valid=True).exists()


def _item(claim: Claim, form: f.ActForm) -> ClaimItem:
    # One of the claim's items, as chosen; the service reads it again under the claim's lock.
    chosen = form.cleaned_data["item"]
    return next(item for item in form.items if item.pk == chosen)


def _any_late(items):
    return any(i.notice_late and not i.notice_exception for i in items)


def _any_credit_note_due(items):
    return any(i.credit_note_due for i in items)


def _any_open_charge(items):
    return any(i.open_charge for i in items)


def _any_outbound_due(items):
    return any(i.outbound_due for i in items)


ACTS: dict[str, Act] = {
    act.key: act
    for act in [
        Act(
            "request-info",
            "request_info",
            _("Request information"),
            f.RequestInfoForm,
            _request_info,
            _("The claim waits for the buyer's answer (information requested)."),
        ),
        Act(
            "message",
            "post_message",
            _("Message the buyer"),
            f.MessageForm,
            _message,
            submit_label=_("Send"),
            permission="claims.add_message",
        ),
        Act(
            "note",
            "internal_note",
            _("Internal note"),
            f.InternalNoteForm,
            _note,
            submit_label=_("Add note"),
            permission="claims.add_message",
        ),
        Act(
            "notice-exception",
            "grant_notice_exception",
            _("Grant notice exception (N1)"),
            f.NoticeExceptionForm,
            _notice_exception,
            _("The late notice of the item is accepted; its preliminary verdict is recomputed."),
            needs_items=_any_late,
        ),
        Act(
            "authorize-return",
            "authorize_return",
            _("Authorize return (R1)"),
            f.AuthorizeReturnForm,
            _authorize,
            _(
                "The buyer may ship back the chosen items, at their expense; the Return "
                "Authorization document is issued (R1, N5)."
            ),
        ),
        Act(
            "receive",
            "receive",
            _("Record receipt (R2)"),
            f.ReceiveForm,
            _receive,
            _(
                "Tick what the return satisfies. Any box left unticked refuses the return (R2); "
                "the item conditions are recorded either way."
            ),
        ),
        Act(
            "refuse",
            "refuse",
            _("Refuse return"),
            f.RefuseForm,
            _refuse,
            _("The return is refused and the claim ends as refused (R1/R2)."),
            statuses=frozenset({ClaimStatus.RETURN_AUTHORIZED, ClaimStatus.SHIPPED}),
        ),
        Act(
            "refuse-unauthorized",
            "refuse",
            _("Refuse unauthorized arrival (R1)"),
            f.RefuseUnauthorizedForm,
            _refuse_unauthorized,
            _(
                "Goods arrived before CPRO authorized their return: they are refused and the "
                "claim ends as refused (R1)."
            ),
            statuses=frozenset(UNDER_REVIEW),
        ),
        Act(
            "inspect",
            "inspect",
            _("Record inspection"),
            f.InspectForm,
            _inspect,
            _(
                "Findings and an outcome for each item; the verdicts become final (N5). A "
                "returned item found not covered gets a D2 charge (blank lines take the "
                "defaults). Before a return, this records an inspection on site (N4)."
            ),
        ),
        Act(
            "credit-note",
            "issue_credit_note",
            _("Issue credit note (D1)"),
            f.CreditNoteForm,
            _credit_note,
            _("A credit note for the unit's invoiced amount, numbered once (D1)."),
            needs_items=_any_credit_note_due,
        ),
        Act(
            "set-charge",
            "charge",
            _("Adjust D2 charge"),
            f.SetChargeForm,
            _set_charge,
            needs_items=_any_open_charge,
        ),
        Act(
            "waive-charge",
            "waive_charge",
            _("Waive D2 charge"),
            f.WaiveChargeForm,
            _waive,
            needs_items=_any_open_charge,
        ),
        Act(
            "debit-note",
            "issue_debit_note",
            _("Issue debit note (D2)"),
            f.ConfirmForm,
            _debit_note,
            _("Every unbilled, unwaived D2 charge of the claim goes on one debit note."),
            needs_items=_any_open_charge,
        ),
        Act(
            "ship-outbound",
            "ship_outbound",
            _("Ship repair / replacement (D1)"),
            f.ShipOutboundForm,
            _ship_outbound,
            needs_items=_any_outbound_due,
        ),
        Act(
            "close",
            "close",
            _("Close claim"),
            f.ConfirmForm,
            _close,
            _("Only once every item is settled: remedies shipped, notes issued, charges billed."),
        ),
        Act(
            "reject",
            "reject",
            _("Reject claim"),
            f.RejectForm,
            _reject,
            _("Decided without a return; the claim ends as rejected."),
        ),
        Act(
            "void-document",
            "void_document",
            _("Void a document"),
            f.VoidDocumentForm,
            _void_document,
            _(
                "The document stays on record; its verification page tells anyone holding "
                "the paper that it is no longer valid, and why."
            ),
            needs_claim=_has_valid_document,
        ),
    ]
}


def acts_offered(claim: Claim, items: Sequence[ClaimItem]) -> list[Act]:
    return [act for act in ACTS.values() if act.offered(claim, items)]
