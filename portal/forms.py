"""The portal's forms: they parse what the buyer typed; the services decide (STYLE 1).

The claim item form looks its unit up by serial (in the buyer's organisation only) to offer the
model's components and to say, in the buyer's language, what the services would refuse in
English: an unknown serial, a component the model does not have, a date in the future or
before the warranty started (W1). Everything else — N3 completeness, evidence rules, the
verdict — stays with ``claims.services``, whose messages are translated in the catalogue.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Organisation
from claims.models import DefectKind, DefectReason
from rma_portal.exceptions import NotFound, RuleInputError
from warranty.models import Unit
from warranty.selectors import check_defect_date, unit_of

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Serial number, model, PO number or PI number."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class ClaimSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("RMA number, serial number or your reference."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, status_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), ("open", _("Open")), *status_choices]


def find_unit(organisation: Organisation, serial: str) -> Unit | None:
    """One of the organisation's units; None for an unknown serial or another organisation's."""
    if not serial:
        return None
    try:
        return unit_of(organisation, serial)
    except NotFound:
        return None


def unknown_serial_message(serial: str) -> str:
    # The same words for unknown and for another organisation's serial: nothing leaks.
    return _("No unit with serial number %(serial)s in your organisation.") % {"serial": serial}


def defect_date_message(exc: RuleInputError, unit: Unit, defect_date: date) -> str:
    """``rules.validate_defect_date``'s refusal in the buyer's language."""
    if exc.code == "future":
        return _("The date of receipt or discovery cannot be in the future.")
    if exc.code == "before_start":
        shipment = unit.shipment
        if shipment.delivery_date:
            return _(
                "The date of receipt or discovery (%(date)s) cannot be before the unit's "
                "delivery date (%(start)s)."
            ) % {"date": defect_date.isoformat(), "start": shipment.delivery_date.isoformat()}
        return _(
            "The date of receipt or discovery (%(date)s) cannot be before the unit's "
            "shipment date (%(start)s)."
        ) % {"date": defect_date.isoformat(), "start": shipment.shipment_date.isoformat()}
    return exc.message


def component_choices(unit: Unit | None) -> list[tuple[str, str]]:
    """The failed component: one of the unit's model's, or unknown (the default)."""
    choices = [("", _("Unknown"))]
    if unit is not None:
        choices += [(c.name, c.name) for c in unit.product_model.components.all()]
    return choices


def _options_reload(select_id: str) -> dict[str, str]:
    return {
        "hx-get": reverse("portal:component_options"),
        "hx-trigger": "change",
        "hx-target": f"#{select_id}",
        "hx-swap": "innerHTML",
        "autocomplete": "off",
        "spellcheck": "false",
    }


def reason_choices(language: str) -> list[tuple[str, str]]:
    """The structured defect reasons staff maintain, named in the buyer's language."""
    reasons = DefectReason.objects.filter(active=True).order_by("position", "code")
    return [("", _("Choose a reason"))] + [(r.code, r.name(language)) for r in reasons]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Zero or more files; their content is checked by ``claims.services.add_attachment``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ClaimForm(forms.Form):
    buyer_reference = forms.CharField(
        label=_("Your reference"),
        required=False,
        max_length=100,
        help_text=_("Optional: your own case or order number, shown with the claim."),
    )


class ClaimItemForm(forms.Form):
    """One unit of a claim (SPEC "Domain": claim item; N3 fields as the buyer gives them)."""

    serial_number = forms.CharField(label=_("Serial number"), max_length=64)
    defect_kind = forms.ChoiceField(
        label=_("Kind of defect"),
        choices=[("", _("Choose…"))] + list(DefectKind.choices),
        help_text=_(
            "Manifest: visible on receipt of the goods. Hidden: discovered later. "
            "N1 counts 8 days from receipt or from discovery."
        ),
    )
    defect_date = forms.DateField(
        label=_("Date of receipt or discovery"),
        widget=DATE_WIDGET,
        help_text=_("Receipt of the goods for a manifest defect, discovery for a hidden one."),
    )
    reason = forms.ChoiceField(label=_("What is wrong"), required=False)
    component = forms.ChoiceField(label=_("Failed component"), required=False)
    defect_details = forms.CharField(
        label=_("Details of the defect"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happens, since when, and what you have tried (N3)."),
    )
    model_code = forms.CharField(label=_("Model"), required=False, max_length=64)
    shipment_date = forms.DateField(label=_("Date of shipment"), required=False, widget=DATE_WIDGET)
    po_number = forms.CharField(label=_("Your PO number"), required=False, max_length=64)
    pi_number = forms.CharField(label=_("CPRO PI number"), required=False, max_length=64)
    evidence = EvidenceField(
        label=_("Evidence"),
        help_text=_(
            "Photos, videos or PDFs (JPEG, PNG, GIF, WEBP, PDF, MP4; up to 10 MB each). "
            "The burden of proof is yours (N5)."
        ),
    )

    def __init__(self, *args, organisation: Organisation, today: date, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.today = today
        self.fields["reason"].choices = list(reasons) or [("", _("Choose a reason"))]
        serial = self._raw("serial_number")
        self.unit = find_unit(organisation, serial)
        self.fields["component"].choices = component_choices(self.unit)
        # The model the component options belong to: the live preview replaces the options
        # only when the serial now points at another model.
        # htmx: a new serial reloads the component options (the row's live verdict is asked by
        # the row itself, see templates/portal/partials/item_row.html).
        self.fields["serial_number"].widget.attrs.update(
            _options_reload(self.auto_id % self.add_prefix("component"))
        )

    def _raw(self, name: str) -> str:
        if self.is_bound:
            value = self.data.get(self.add_prefix(name), "")
        else:
            value = self.initial.get(name, "")
        return (value or "").strip() if isinstance(value, str) else ""

    def clean_serial_number(self):
        serial = self.cleaned_data["serial_number"].strip()
        if self.unit is None:
            raise forms.ValidationError(unknown_serial_message(serial), code="unknown_serial")
        return self.unit.serial_number

    def clean(self):
        cleaned = super().clean()
        defect_date = cleaned.get("defect_date")
        if self.unit is not None and defect_date is not None:
            try:
                check_defect_date(
                    self.unit,
                    defect_kind=cleaned.get("defect_kind"),
                    defect_date=defect_date,
                    today=self.today,
                )
            except RuleInputError as exc:
                self.add_error("defect_date", defect_date_message(exc, self.unit, defect_date))
        return cleaned

    def item_data(self) -> dict:
        """The item as ``claims.services.create_draft`` takes it (SPEC "Operations interface")."""
        data = self.cleaned_data
        return {
            "serial_number": data["serial_number"],
            "model_code": data["model_code"],
            "shipment_date": data["shipment_date"],
            "po_number": data["po_number"],
            "pi_number": data["pi_number"],
            "defect_kind": data["defect_kind"],
            "defect_date": data["defect_date"],
            "defect_details": data["defect_details"],
            "component": data["component"] or None,
            "reason": data["reason"] or None,
        }


class BaseClaimItemFormSet(forms.BaseFormSet):
    def live_forms(self) -> list[ClaimItemForm]:
        """The rows that make the claim: the draft's own and filled-in new ones, not removed."""
        initial = self.initial_form_count()
        return [
            form
            for index, form in enumerate(self.forms)
            if (index < initial or form.has_changed()) and not self._should_delete_form(form)
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.live_forms():
            raise forms.ValidationError(_("Add at least one unit to the claim."))
        seen: dict[str, int] = {}
        for position, form in enumerate(self.live_forms()):
            serial = form.cleaned_data.get("serial_number")
            if serial in seen:
                form.add_error(
                    "serial_number",
                    _("This unit is already item %(n)d of this claim.") % {"n": seen[serial] + 1},
                )
            else:
                seen[serial] = position

    def items(self) -> list[tuple[ClaimItemForm, dict]]:
        """The live rows in order, each with the item it gives to the services."""
        return [(form, form.item_data()) for form in self.live_forms()]


ClaimItemFormSet = forms.formset_factory(
    ClaimItemForm,
    formset=BaseClaimItemFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


class WarrantyCheckForm(forms.Form):
    """SPEC "Operations interface": a unit's verdict today, or a prospective claim's."""

    serial = forms.CharField(label=_("Serial number"), max_length=64)
    defect_kind = forms.ChoiceField(
        label=_("Kind of defect"),
        required=False,
        choices=[("", _("None: just check the unit"))] + list(DefectKind.choices),
    )
    defect_date = forms.DateField(
        label=_("Date of receipt or discovery"), required=False, widget=DATE_WIDGET
    )
    component = forms.ChoiceField(label=_("Failed component"), required=False)

    def __init__(self, *args, organisation: Organisation, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        serial = (self.data.get("serial") or "").strip() if self.is_bound else ""
        self.unit = find_unit(organisation, serial)
        self.fields["component"].choices = component_choices(self.unit)
        self.fields["serial"].widget.attrs.update(_options_reload("id_component"))

    def clean_serial(self):
        serial = self.cleaned_data["serial"].strip()
        if self.unit is None:
            raise forms.ValidationError(unknown_serial_message(serial), code="unknown_serial")
        return serial

    def clean(self):
        cleaned = super().clean()
        defect_date, kind = cleaned.get("defect_date"), cleaned.get("defect_kind")
        if defect_date is not None and not kind:
            self.add_error(
                "defect_kind",
                _("Say whether the defect was visible on receipt or discovered later (N1)."),
            )
        if kind and defect_date is None and "defect_date" not in self.errors:
            self.add_error("defect_date", _("Enter the date of receipt or discovery."))
        if self.unit is not None and defect_date is not None:
            try:
                check_defect_date(
                    self.unit, defect_kind=kind or None, defect_date=defect_date, today=self.today
                )
            except RuleInputError as exc:
                self.add_error("defect_date", defect_date_message(exc, self.unit, defect_date))
        return cleaned


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )


class EvidenceForm(forms.Form):
    item = forms.TypedChoiceField(label=_("For item"), coerce=int, required=False, empty_value=None)
    files = EvidenceField(label=_("Files"), required=True)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("The whole claim"))] + [
            (item.pk, f"{item.serial_number} ({item.model_code or item.unit.product_model.code})")
            for item in items
        ]


class ShipmentForm(forms.Form):
    """R1: the buyer's shipment of the authorized items."""

    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing the claim? (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
