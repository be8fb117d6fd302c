"""The forms of the admin's claim acts: they ask for what a service needs, and nothing more.

They only parse input (STYLE 1); the rules — which status, which items, what is required by
the terms — are the services' (claims/services.py, claims/returns.py), whose errors are put
back on the form by ``add_service_errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from rma_portal.money import money
from warranty.rules import Finding

from .models import FINDING_LABELS, Claim, ClaimItem, Outcome, ReceiptCondition, VoidReason
from .settlement import CHARGE_LINES, default_charge_lines

CHARGE_LABELS = {
    "verification": _("Verification (D2)"),
    "transport": _("Transport (D2)"),
    "shipment": _("Shipment (D2)"),
}


def item_label(item: ClaimItem) -> str:
    return f"{item.serial_number} — {item.model_code}"


class ActForm(forms.Form):
    """A form for one act on one claim; ``items`` are the claim's items, already loaded."""

    textarea = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def __init__(self, claim: Claim, items: Sequence[ClaimItem], *args, **kwargs):
        self.claim = claim
        self.items = list(items)
        super().__init__(*args, **kwargs)

    def is_empty(self) -> bool:
        """True when there is nothing to choose from (e.g. no item waits for this act)."""
        return False

    def service_field(self, key: str) -> str | None:
        """The form field a service error key (e.g. ``reason``, ``results.7.outcome``) is about."""
        return key if key in self.fields else None

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = self.service_field(key)
            for message in messages:
                self.add_error(field, message)

    def _item_choice(self, items: Sequence[ClaimItem], label) -> forms.TypedChoiceField:
        return forms.TypedChoiceField(
            label=label, choices=[(i.pk, item_label(i)) for i in items], coerce=int
        )


class ConfirmForm(ActForm):
    """Acts that need nothing but a confirmation (close, issue the debit note)."""


class TextForm(ActForm):
    """One required text: the question, message, note or reason."""

    text_label = _("Text")
    text_help = ""
    service_key = "text"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"] = forms.CharField(
            label=self.text_label, help_text=self.text_help, widget=self.textarea, strip=True
        )

    def service_field(self, key):
        return "text" if key == self.service_key else super().service_field(key)


class RequestInfoForm(TextForm):
    text_label = _("Question to the buyer")
    text_help = _("Sent to the buyer in the claim's thread; the hold clock does not stop (N4).")
    service_key = "question"


class MessageForm(TextForm):
    text_label = _("Message to the buyer")
    text_help = _("Shown to the buyer in the claim's thread and e-mailed to them.")
    service_key = "body"


class InternalNoteForm(TextForm):
    text_label = _("Internal note")
    text_help = _("Staff only: never shown or e-mailed to the buyer.")
    service_key = "body"


class RejectForm(TextForm):
    text_label = _("Reason for the rejection")
    text_help = _("Shown to the buyer, e.g. the records show the warranty period ended (W1).")
    service_key = "reason"


class RefuseForm(TextForm):
    text_label = _("Reason for refusing the return")
    text_help = _("Shown to the buyer (R1/R2).")
    service_key = "reason"


class RefuseUnauthorizedForm(ActForm):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=ActForm.textarea,
        help_text=_(
            "Added to the refusal: goods arrived without CPRO's return authorization (R1)."
        ),
    )


class NoticeExceptionForm(ActForm):
    """N1: accept one item's late notice, with a reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible = [i for i in self.items if i.notice_late and not i.notice_exception]
        self.fields["item"] = self._item_choice(self.eligible, _("Item notified late (N1)"))
        self.fields["reason"] = forms.CharField(
            label=_("Reason for accepting the late notice"),
            widget=self.textarea,
            help_text=_("Recorded and shown to the buyer."),
        )

    def is_empty(self):
        return not self.eligible


class AuthorizeReturnForm(ActForm):
    """R1: the items the buyer may ship back."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"] = forms.TypedMultipleChoiceField(
            label=_("Items to return"),
            choices=[(i.pk, item_label(i)) for i in self.items],
            coerce=int,
            initial=[i.pk for i in self.items],
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Only these may be shipped back; anything else that arrives is refused."),
        )


class ReceiveForm(ActForm):
    """R2: the receiving checklist, and how each authorized item arrived."""

    original_packaging = forms.BooleanField(label=_("In the original packaging"), required=False)
    bills_of_purchase = forms.BooleanField(
        label=_("Complete with the bills of purchase"), required=False
    )
    rma_on_documents = forms.BooleanField(label=_("RMA number on the documents"), required=False)
    confirm_refusal = forms.BooleanField(
        label=_("Refuse the return: it fails the checklist"),
        required=False,
        help_text=_("Needed only when a box above is left unticked."),
    )
    checklist = ("original_packaging", "bills_of_purchase", "rma_on_documents")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.authorized = [i for i in self.items if i.return_authorized]
        for item in self.authorized:
            self.fields[f"condition_{item.pk}"] = forms.ChoiceField(
                label=item_label(item),
                choices=ReceiptCondition.choices,
                initial=ReceiptCondition.AS_EXPECTED,
            )

    def clean(self):
        # A slip of the mouse must not refuse a return: an unticked box is confirmed.
        data = super().clean()
        failed = not all(data.get(name) for name in self.checklist)
        if failed and not data.get("confirm_refusal"):
            raise forms.ValidationError(
                _(
                    "A box of the checklist is unticked, which refuses the return (R2). "
                    "Tick every box the return satisfies, or confirm the refusal."
                )
            )
        return data

    def checklist_fields(self):
        return [self[name] for name in [*self.checklist, "confirm_refusal"]]

    def condition_fields(self):
        return [self[f"condition_{item.pk}"] for item in self.authorized]

    def conditions(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data[f"condition_{item.pk}"] for item in self.authorized}


class InspectForm(ActForm):
    """Findings and outcome per item (W2, W5, D1), with the D2 charge lines where they apply."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in self.items:
            pk = item.pk
            currency = item.unit.currency
            defaults = default_charge_lines(currency)
            self.fields[f"findings_{pk}"] = forms.MultipleChoiceField(
                label=_("Findings"),
                choices=[(f.value, FINDING_LABELS[f]) for f in Finding],
                required=False,
                initial=item.findings,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"outcome_{pk}"] = forms.ChoiceField(
                label=_("Outcome"),
                choices=[("", "—"), *Outcome.choices],
                required=False,
                initial=item.outcome,
            )
            self.fields[f"reason_{pk}"] = forms.CharField(
                label=_("Reason (not covered: W2, W5, period, N1)"),
                required=False,
                initial=item.outcome_reason,
            )
            self.fields[f"notes_{pk}"] = forms.CharField(
                label=_("Inspection notes"), required=False, initial=item.inspection_notes
            )
            for line in CHARGE_LINES:
                # Text, parsed by the service (claims.cleaning.clean_amount) with the other
                # checks, so that every error of the form is reported at once (issue 17).
                self.fields[f"{line}_{pk}"] = forms.CharField(
                    label=CHARGE_LABELS[line],
                    required=False,
                    max_length=20,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
                    help_text=(
                        _("Default %(amount)s") % {"amount": money(defaults[line], currency)}
                        if defaults is not None
                        else _(
                            "No D2 fee schedule for %(currency)s: enter the amount in %(currency)s."
                        )
                        % {"currency": currency}
                    ),
                )

    def item_rows(self):
        names = ["findings", "outcome", "reason", "notes", *CHARGE_LINES]
        return [(item, [self[f"{name}_{item.pk}"] for name in names]) for item in self.items]

    def results(self) -> dict[int, dict]:
        """``returns.inspect`` results; an item left wholly blank is left out (the service says
        whether it needed a result)."""
        data = self.cleaned_data
        results = {}
        for item in self.items:
            pk = item.pk
            result = {
                "findings": data[f"findings_{pk}"],
                "outcome": data[f"outcome_{pk}"],
                "reason": data[f"reason_{pk}"],
                "notes": data[f"notes_{pk}"],
            }
            charge = {
                line: data[f"{line}_{pk}"].strip()
                for line in CHARGE_LINES
                if data[f"{line}_{pk}"].strip()
            }
            if charge:
                result["charge"] = charge
            if any(result.values()):
                results[pk] = result
        return results

    def service_field(self, key):
        parts = key.split(".")
        if len(parts) >= 3 and parts[0] == "results" and parts[1].isdigit():
            name = parts[3] if parts[2] == "charge" and len(parts) > 3 else parts[2]
            field = f"{name}_{parts[1]}"
            if field in self.fields:
                return field
        return None


class CreditNoteForm(ActForm):
    """D1: one credit note for an item decided for one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible = [i for i in self.items if i.credit_note_due]
        self.fields["item"] = self._item_choice(self.eligible, _("Item (credit note, D1)"))

    def is_empty(self):
        return not self.eligible


def open_charge_items(items: Sequence[ClaimItem]) -> list[ClaimItem]:
    """Items whose D2 charge is neither billed nor waived."""
    return [item for item in items if item.open_charge is not None]


class SetChargeForm(ActForm):
    """D2: adjust an item's charge lines before billing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible = open_charge_items(self.items)
        self.fields["item"] = self._item_choice(self.eligible, _("Item (D2 charge)"))
        for line in CHARGE_LINES:
            self.fields[line] = forms.DecimalField(
                label=CHARGE_LABELS[line], min_value=Decimal("0"), decimal_places=2, max_digits=10
            )

    def is_empty(self):
        return not self.eligible

    def service_field(self, key):
        if key.startswith("charge."):
            key = key.removeprefix("charge.")
        return super().service_field(key)


class WaiveChargeForm(ActForm):
    """D2: waive an item's charge, with a reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible = open_charge_items(self.items)
        self.fields["item"] = self._item_choice(self.eligible, _("Item (D2 charge)"))
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the waiver"), widget=self.textarea
        )

    def is_empty(self):
        return not self.eligible


class ShipOutboundForm(ActForm):
    """D1: the repaired unit or the replacement goes back to the buyer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible = [i for i in self.items if i.outbound_due]
        self.fields["item"] = forms.TypedChoiceField(
            label=_("Item"),
            coerce=int,
            choices=[
                (i.pk, f"{item_label(i)} ({Outcome(i.outcome).label})") for i in self.eligible
            ],
        )
        self.fields["carrier"] = forms.CharField(label=_("Carrier"), max_length=100)
        self.fields["tracking_number"] = forms.CharField(label=_("Tracking number"), max_length=100)
        self.fields["replacement_serial"] = forms.CharField(
            label=_("Replacement's serial number"),
            max_length=64,
            required=False,
            help_text=_("Replacements only; a repaired unit goes back under its own serial."),
        )

    def is_empty(self):
        return not self.eligible


class VoidDocumentForm(ActForm):
    """One of the claim's valid documents, and why it is no longer valid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = list(self.claim.documents.filter(valid=True).order_by("created_at"))
        self.fields["document"] = forms.TypedChoiceField(
            label=_("Document"),
            choices=[
                (d.pk, f"{d.get_kind_display()} {d.number or ''} ({d.display_code})")
                for d in self.documents
            ],
            coerce=int,
        )
        self.fields["public_reason"] = forms.ChoiceField(
            label=_("Reason shown on the verification page"),
            choices=VoidReason.choices,
            initial=VoidReason.WITHDRAWN,
        )
        self.fields["reason"] = forms.CharField(
            label=_("Reason (staff)"),
            widget=self.textarea,
            help_text=_(
                "Kept in the claim's log; the verification page shows only the reason above."
            ),
        )

    def is_empty(self) -> bool:
        return not self.documents

    def chosen_document(self):
        return next(d for d in self.documents if d.pk == self.cleaned_data["document"])
