"""Claims (one RMA each), their items, messages, attachments, documents, numbers and events.

Nothing here changes a claim's status: the transitions in the service layer do (STYLE 2).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Language, Organisation
from rma_portal.cleaning import SingleLineCharField
from rma_portal.money import minor_places, money
from warranty import rules
from warranty.models import Component, Unit, WarrantyPolicy


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INFO_REQUESTED = "info_requested", _("Information requested")
    RETURN_AUTHORIZED = "return_authorized", _("Return authorized")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = frozenset(
    {
        ClaimStatus.SUBMITTED,
        ClaimStatus.INFO_REQUESTED,
        ClaimStatus.RETURN_AUTHORIZED,
        ClaimStatus.SHIPPED,
        ClaimStatus.RECEIVED,
        ClaimStatus.INSPECTED,
    }
)


# Decided and done: nothing waits on CPRO or the buyer any more.
FINAL_STATUSES = frozenset(
    {ClaimStatus.CLOSED, ClaimStatus.REJECTED, ClaimStatus.CANCELLED, ClaimStatus.REFUSED}
)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class DefectKind(models.TextChoices):
    MANIFEST = "manifest", _("Manifest (visible on receipt)")
    HIDDEN = "hidden", _("Hidden (discovered later)")


class DefectReason(models.Model):
    """A staff-editable list of structured defect reasons, with their evidence rules."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = SingleLineCharField(_("name (English)"), max_length=100)
    name_ko = SingleLineCharField(_("name (Korean)"), max_length=100)
    photo_required = models.BooleanField(
        _("photo required"),
        default=False,
        help_text=_("At least one photo must be attached to the item before submission."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("defect reason")
        verbose_name_plural = _("defect reasons")

    def __str__(self) -> str:
        return self.name_en

    def name(self, lang: str = "en") -> str:
        return self.name_ko if lang.startswith("ko") else self.name_en


class Claim(models.Model):
    """One RMA (N2): the buyer's notice (N1) about one or more units."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("organisation"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("author"),
    )
    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("API key"),
    )
    rma_number = models.CharField(_("RMA number"), max_length=20, unique=True, null=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ClaimStatus.choices,
        default=ClaimStatus.DRAFT,
        db_index=True,
    )
    buyer_reference = SingleLineCharField(_("your reference"), max_length=100, blank=True)
    notice_at = models.DateTimeField(_("notice given"), null=True, blank=True)  # N1
    hold_until = models.DateField(_("hold until"), null=True, blank=True)  # N4
    hold_ended_at = models.DateTimeField(_("hold ended"), null=True, blank=True)
    # N1: the earliest defect date of the items, kept by triggers (claims/first_defect.py).
    first_defect_date = models.DateField(
        _("earliest defect date"), null=True, blank=True, editable=False
    )
    # Buyer's shipment of the authorized items (R1).
    carrier = SingleLineCharField(_("carrier"), max_length=100, blank=True)
    tracking_number = SingleLineCharField(_("tracking number"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    # Receiving (R2).
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    original_packaging = models.BooleanField(_("original packaging"), null=True)
    bills_of_purchase = models.BooleanField(_("bills of purchase"), null=True)
    rma_on_documents = models.BooleanField(_("RMA on documents"), null=True)
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    # Who decided, when and why: inspection (each item's outcome), rejection, withdrawal.
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    # The clerk working the claim (claims/assignment.py; every change is in the event log).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_claims",
        verbose_name=_("assigned to"),
    )
    # Whom the thread waits on (the work queue, claims/queue.py): the newest public message of
    # the buyer and of CPRO (internal notes never count), and the event of the buyer's last
    # answer to a request for information. Written only where each is recorded: every
    # message's insert (Message.save) and every event's append (claims.events.append_event).
    last_buyer_message_at = models.DateTimeField(
        _("last buyer message"), null=True, blank=True, editable=False
    )
    last_staff_message_at = models.DateTimeField(
        _("last CPRO message"), null=True, blank=True, editable=False
    )
    info_answered_at = models.DateTimeField(
        _("information answered"), null=True, blank=True, editable=False
    )
    # Head of the hash chain of this claim's events (see claims/events.py).
    event_count = models.PositiveIntegerField(_("events"), default=0, editable=False)
    last_event_hash = models.CharField(
        _("last event hash"), max_length=64, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "-updated_at"]),
            models.Index(fields=["status", "hold_until"]),
            # The N1 sweep: drafts by their earliest defect date (notifications/deadlines.py).
            models.Index(
                fields=["first_defect_date"],
                condition=models.Q(status="draft"),
                name="claims_draft_first_defect",
            ),
            # The dashboard and the work queue read only the open claims: the holds ending
            # soonest in index order, the queue's columns without touching the rows (issue 19).
            # (Key columns rather than INCLUDE, which SQLite, the embedded default, lacks.)
            models.Index(
                fields=[
                    "hold_until",
                    "id",
                    "status",
                    "notice_at",
                    "received_at",
                    "last_buyer_message_at",
                    "last_staff_message_at",
                    "info_answered_at",
                ],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="claim_open_by_hold",
            ),
        ]

    def __str__(self) -> str:
        return self.rma_number or f"Draft #{self.pk}"

    def note_public_message(self, *, from_staff: bool, at: datetime) -> None:
        """A public message of that side was written at ``at``: keep the newest, in the row
        and on this instance (a claim locked by an act is saved again after its body)."""
        name = "last_staff_message_at" if from_staff else "last_buyer_message_at"
        when = Value(at, output_field=DateTimeField())
        Claim.objects.filter(pk=self.pk).update(**{name: Greatest(Coalesce(F(name), when), when)})
        current = getattr(self, name)
        setattr(self, name, at if current is None else max(current, at))


class ReceiptCondition(models.TextChoices):
    AS_EXPECTED = "as_expected", _("Arrived as expected")
    WRONG_ITEM = "wrong_item", _("Wrong item arrived")
    MISSING = "missing", _("Missing (short shipment)")
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("Damaged in transit")


class Outcome(models.TextChoices):
    REPAIR = "repair", _("Repair (D1)")
    REPLACE = "replace", _("Replacement (D1)")
    CREDIT_NOTE = "credit_note", _("Credit note (D1)")
    NOT_COVERED = "not_covered", _("Not covered")


# Inspection findings (warranty.rules.Finding) in the staff's and buyer's words: the admin's
# checkboxes and every message that names a finding use these, never the code (issue 17).
FINDING_LABELS = {
    rules.Finding.CONFIRMED_DEFECT: _("Defect confirmed"),
    rules.Finding.NO_FAULT_FOUND: _("No fault found"),
    rules.Finding.TAMPERED: _("Tampered with (W5)"),
    rules.Finding.THIRD_PARTY_REPAIR: _("Repaired by a third party (W5)"),
    rules.Finding.NON_CONFORMING_USE: _("Used against the conditions of use (W5)"),
    rules.Finding.THIRD_PARTY_COMPONENT: _("Failed part is third-party / common-use (W2)"),
}


# D1: outcomes that send a unit back to the buyer (the repaired one, or a replacement).
OUTBOUND_OUTCOMES = frozenset({Outcome.REPAIR, Outcome.REPLACE})


class ClaimItem(models.Model):
    """One unit in a claim: the N3 fields as the buyer gave them, the verdict, the outcome."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="items", verbose_name=_("claim")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="claim_items", verbose_name=_("unit")
    )
    # N3, as the buyer gave them; compared with CPRO's records at submission.
    serial_number = SingleLineCharField(_("serial number"), max_length=64)
    model_code = SingleLineCharField(_("model"), max_length=64)
    shipment_date = models.DateField(_("date of shipment"), null=True, blank=True)
    po_number = SingleLineCharField(_("PO number"), max_length=64, blank=True)
    pi_number = SingleLineCharField(_("CPRO PI number"), max_length=64, blank=True)
    defect_kind = models.CharField(_("defect kind"), max_length=10, choices=DefectKind.choices)
    defect_date = models.DateField(_("date of receipt or discovery"))
    defect_details = models.TextField(_("details of the defect"), blank=True)
    defect_reason = models.ForeignKey(
        DefectReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("defect reason"),
    )
    component = models.ForeignKey(
        Component,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: unknown."),
        verbose_name=_("component"),
    )
    mismatches = models.JSONField(
        _("mismatches (N3)"),
        default=list,
        blank=True,
        help_text=_("N3 fields that disagree with CPRO's records."),
    )
    # The warranty verdict (preliminary until inspection, N5): rules.Verdict.as_dict() per language.
    verdict_status = models.CharField(_("verdict"), max_length=12, blank=True, db_index=True)
    verdict_final = models.BooleanField(_("verdict final"), default=False)
    verdict = models.JSONField(_("verdict"), default=dict, blank=True)
    notice_late = models.BooleanField(_("late notice (N1)"), default=False)
    notice_exception = models.TextField(
        _("N1 exception"), blank=True
    )  # N1 exception reason recorded by staff
    # Return (R1) and receiving (R2).
    return_authorized = models.BooleanField(_("return authorized"), default=False)
    receipt_condition = models.CharField(
        _("receipt condition"), max_length=20, choices=ReceiptCondition.choices, blank=True
    )
    # Inspection and outcome (D1, D2, W2, W5).
    findings = models.JSONField(_("findings"), default=list, blank=True)
    inspection_notes = models.TextField(_("inspection notes"), blank=True)
    inspected_on_site = models.BooleanField(_("inspected on site"), default=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(_("outcome reason"), blank=True)
    outbound_carrier = SingleLineCharField(_("outbound carrier"), max_length=100, blank=True)
    outbound_tracking = SingleLineCharField(
        _("outbound tracking number"), max_length=100, blank=True
    )
    outbound_shipped_at = models.DateTimeField(_("shipped to the buyer"), null=True, blank=True)
    replacement_unit = models.OneToOneField(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces_item",
        verbose_name=_("replacement unit"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("claim item")
        verbose_name_plural = _("claim items")
        ordering = ["claim", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "unit"], name="claim_item_unit_once"),
        ]
        indexes = [
            # The dashboard's counts by reason (every item's, and the drafts' by claim) and by
            # outcome, read from the indexes (issue 19).
            models.Index(fields=["claim", "defect_reason"], name="claim_item_claim_reason"),
            models.Index(
                fields=["outcome"], condition=~Q(outcome=""), name="claim_item_decided_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.serial_number} ({self.claim})"

    def component_facts(self) -> rules.ComponentFacts | None:
        """The failed component as the rules read it (W2-W4), or None when unknown."""
        if self.component is None:
            return None
        return rules.ComponentFacts(name=self.component.name, kind=self.component.kind)

    def set_verdict(self, verdict: rules.Verdict) -> None:
        """Store a verdict (not saved): the SPEC answer in both languages for display (N5)."""
        self.verdict = {"en": verdict.as_dict("en"), "ko": verdict.as_dict("ko")}
        self.verdict_status = verdict.status
        self.verdict_final = not verdict.preliminary
        self.notice_late = verdict.notice_late

    @property
    def credit_note_due(self) -> bool:
        """D1: decided for a credit note that is not issued yet."""
        return self.outcome == Outcome.CREDIT_NOTE and not hasattr(self, "credit_note")

    @property
    def outbound_due(self) -> bool:
        """D1: a repaired unit or a replacement still to ship back to the buyer."""
        return self.outcome in OUTBOUND_OUTCOMES and self.outbound_shipped_at is None

    @property
    def open_charge(self) -> Charge | None:
        """D2: the item's charge while it is neither billed nor waived."""
        charge = getattr(self, "charge", None)
        return charge if charge is not None and charge.is_open else None


def _copied(to) -> models.ForeignKey:
    """A summary's copy of a key: no constraint or index of its own (the triggers keep it)."""
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )


class NoticedItem(models.Model):
    """An item of a claim that gave notice (N1), with the joins the counts need already made:
    a summary of ``ClaimItem`` that database triggers keep exact in the same statement as every
    write on items, claims and units (claims/summaries.py). Read by the quality analytics and
    the dashboard (issues 15, 19); never written by Python."""

    item = models.OneToOneField(
        ClaimItem,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="noticed",
    )
    organisation = _copied(Organisation)  # the claim's
    notice_at = models.DateTimeField(db_index=True)
    cancelled = models.BooleanField()
    unit = _copied(Unit)
    shipment = _copied("warranty.Shipment")  # the unit's
    product_model = _copied("warranty.ProductModel")  # the unit's
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)  # the unit's (D1)
    currency = models.CharField(max_length=3)
    defect_date = models.DateField()
    confirmed = models.BooleanField()  # inspection found confirmed_defect (N5: final)

    def __str__(self) -> str:
        return f"item {self.item_id}"


class NoticedMonth(models.Model):
    """Items of noticed claims per product model and Seoul month of notice: a summary of
    ``NoticedItem`` that database triggers keep exact in the same statement as every write on
    it (claims/summaries.py), so the dashboard's twelve months are a few hundred rows, not a
    hundred thousand (issue 19); never written by Python."""

    product_model = _copied("warranty.ProductModel")
    month = models.DateField()  # the first day of the month of notice, in Asia/Seoul
    items = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "month"], name="noticed_month_per_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_model_id} {self.month:%Y-%m}: {self.items}"


class Decision(models.Model):
    """A staff decision on a claim (inspection or rejection, N5: the final verdicts) with the
    wait since its notice (N1): a summary of ``ClaimEvent`` that database triggers keep exact
    as events are appended and notices change (claims/summaries.py), so the dashboard's
    medians read narrow rows in (month, wait) order without joining events to claims
    (issue 19); never written by Python."""

    event = models.OneToOneField(
        "ClaimEvent",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    claim = _copied(Claim)
    month = models.DateField()  # the first day of the month of the decision, in Asia/Seoul
    waited = models.DurationField()  # from the notice to the decision

    class Meta:
        indexes = [
            models.Index(fields=["month", "waited"], name="decision_month_wait"),
            models.Index(fields=["claim"], name="decision_claim"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id}"


class NumberSequence(models.Model):
    """Counters for RMA, credit-note and debit-note numbers, locked row by row (gapless)."""

    kind = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="number_sequence_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class CreditNote(models.Model):
    """D1: a credit note for the unit's invoiced amount; issued once, numbered CN-YYYY-NNNNN."""

    number = models.CharField(_("number"), max_length=16, unique=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("claim")
    )
    item = models.OneToOneField(
        ClaimItem, on_delete=models.PROTECT, related_name="credit_note", verbose_name=_("item")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cn_amount_positive")]

    def __str__(self) -> str:
        return self.number


class DebitNote(models.Model):
    """D2: the bill for unjustified returns; issued once, numbered DN-YYYY-NNNNN."""

    number = models.CharField(_("number"), max_length=16, unique=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="debit_notes", verbose_name=_("claim")
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("debit note")
        verbose_name_plural = _("debit notes")

    def __str__(self) -> str:
        return self.number


class FeeSchedule(models.Model):
    """D2: the verification, transport and shipment fees charged for a returned item found not
    covered, per currency, effective from a date (a new row supersedes an older one from its
    date; issued charges keep their amounts). Staff edit them in the admin."""

    currency = models.CharField(
        _("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. USD, EUR, KRW.")
    )
    effective_from = models.DateField(_("effective from"))
    policy = models.ForeignKey(
        WarrantyPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_schedules",
        verbose_name=_("policy version"),
    )
    verification = models.DecimalField(_("verification"), max_digits=10, decimal_places=2)
    transport = models.DecimalField(_("transport"), max_digits=10, decimal_places=2)
    shipment = models.DecimalField(_("shipment"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("D2 fee schedule")
        verbose_name_plural = _("D2 fee schedules")
        ordering = ["currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "effective_from"], name="fee_schedule_one_per_currency_date"
            ),
            models.CheckConstraint(
                condition=Q(verification__gte=0) & Q(transport__gte=0) & Q(shipment__gte=0),
                name="fee_schedule_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"D2 {self.currency} {self.effective_from}"

    def clean(self) -> None:
        self.currency = (self.currency or "").strip().upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": _("Give a three-letter currency code.")})
        if minor_places(self.currency) == 0:
            errors = {
                name: _("%(currency)s has no decimals: give a whole amount.")
                % {"currency": self.currency}
                for name in ("verification", "transport", "shipment")
                if getattr(self, name) is not None and getattr(self, name) % 1
            }
            if errors:
                raise ValidationError(errors)

    @classmethod
    def in_force(cls, currency: str, on) -> FeeSchedule | None:
        """The schedule of ``currency`` in force on the (Asia/Seoul) date ``on``, or None."""
        return (
            cls.objects.filter(currency=currency.upper(), effective_from__lte=on)
            .order_by("-effective_from")
            .first()
        )

    def lines(self) -> dict[str, Decimal]:
        return {
            "verification": self.verification,
            "transport": self.transport,
            "shipment": self.shipment,
        }


class Charge(models.Model):
    """D2: verification, transport and shipment costs of a returned item found not covered."""

    item = models.OneToOneField(
        ClaimItem, on_delete=models.PROTECT, related_name="charge", verbose_name=_("item")
    )
    verification = models.DecimalField(
        _("verification"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    transport = models.DecimalField(
        _("transport"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    shipment = models.DecimalField(
        _("shipment"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3)
    waived = models.BooleanField(_("waived"), default=False)
    waive_reason = models.TextField(_("waive reason"), blank=True)
    debit_note = models.ForeignKey(
        DebitNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("debit note"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("D2 charge")
        verbose_name_plural = _("D2 charges")
        constraints = [
            models.CheckConstraint(
                condition=Q(verification__gte=0) & Q(transport__gte=0) & Q(shipment__gte=0),
                name="charge_lines_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"D2 charge {money(self.total, self.currency)} ({self.item})"

    @property
    def total(self) -> Decimal:
        return self.verification + self.transport + self.shipment

    @property
    def is_open(self) -> bool:
        """D2: neither billed on a debit note nor waived."""
        return not self.waived and self.debit_note_id is None


class Message(models.Model):
    """The buyer ↔ staff thread; ``internal`` notes are staff-only and never shown to buyers."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="messages", verbose_name=_("claim")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("author"),
    )
    author_label = SingleLineCharField(_("author"), max_length=150)
    from_staff = models.BooleanField(_("from CPRO"), default=False)
    internal = models.BooleanField(_("internal"), default=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_label}: {self.body[:40]}"

    def save(self, *args, **kwargs) -> None:
        """Written once (the thread is never edited); a public message moves its claim's
        ``last_buyer_message_at`` or ``last_staff_message_at``, whoever wrote it."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and not self.internal:
            claim_field = Message._meta.get_field("claim")
            claim = self.claim if claim_field.is_cached(self) else Claim(pk=self.claim_id)
            claim.note_public_message(from_staff=self.from_staff, at=self.created_at)


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploader's file name: a random, non-guessable name (set by the service).
    return f"attachments/{instance.storage_name}"


class Attachment(models.Model):
    """Evidence (N5: the burden of proof is the buyer's), checked by content, served after a
    permission check only."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("claim")
    )
    item = models.ForeignKey(
        ClaimItem,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("item"),
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    storage_name = models.CharField(_("stored name"), max_length=100, unique=True, editable=False)
    original_name = SingleLineCharField(_("file name"), max_length=200)
    content_type = models.CharField(
        _("content type"), max_length=100
    )  # sniffed from the content, not the name
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("uploaded by"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ClaimEvent(models.Model):
    """Append-only, hash-chained record of every change to a claim (who, when, what, channel).

    Each entry carries the hash of the one before in the same claim; the claim row keeps the
    head, so an edited, inserted or deleted row breaks the chain (manage.py verify_event_log).
    """

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="events", verbose_name=_("claim")
    )
    seq = models.PositiveIntegerField(_("no."))
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = SingleLineCharField(_("actor"), max_length=150)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    public = models.BooleanField(
        _("public"), default=True, help_text=_("Shown on the buyer's timeline.")
    )
    created_at = models.DateTimeField(_("created"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    key_version = models.PositiveSmallIntegerField(
        _("key version"),
        default=0,
        help_text=_("Version of the event log key (RMA_EVENT_LOG_KEYS) it is signed with."),
    )

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["claim", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "seq"], name="claim_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Claim events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Claim events are append-only.")


class EventLogCheckpoint(models.Model):
    """A claim's event-log head as beat saw it (count and last hash), signed with the event log
    key: a later log that lacks that event was cut and rewound (claims.events.checkpoint_all)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="event_checkpoints")
    event_count = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_version = models.PositiveSmallIntegerField()
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["claim", "event_count"]
        verbose_name = _("event log checkpoint")
        verbose_name_plural = _("event log checkpoints")

    def __str__(self) -> str:
        return f"{self.claim_id}@{self.event_count}"


# --- Documents (SPEC "Documents"; S1, N2, R1, D1, D2) ---------------------------------------

# S1 as printed at the end of the terms, copied exactly; the terms leave e-mail and URL blank.
S1_ADDRESS = "#501, 58, Pangyo-ro 255bion-gil, Bundang-gu, Seongnam-si, Gyeonggi-do, 13486, Korea"
S1_TELEPHONE = "+82-70-8633, 8591"
S1_FAX = "+82-31-735-5453"


class SupportContact(models.Model):
    """S1: CPRO Customer Support, one row edited by staff (footer, e-mails, PDFs)."""

    address = models.TextField(_("address"), default=S1_ADDRESS)
    telephone = SingleLineCharField(_("telephone"), max_length=100, default=S1_TELEPHONE)
    fax = SingleLineCharField(_("fax"), max_length=100, default=S1_FAX)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Blank in the terms (S1)."))
    url = models.URLField(_("URL"), blank=True, help_text=_("Blank in the terms (S1)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer support contact")
        verbose_name_plural = _("customer support contact")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="support_contact_single_row"),
        ]

    def __str__(self) -> str:
        return str(_("Customer Support (S1)"))

    @classmethod
    def current(cls) -> SupportContact:
        contact, _created = cls.objects.get_or_create(pk=1)
        return contact


class DocumentKind(models.TextChoices):
    RETURN_AUTHORIZATION = "return_authorization", _("Return Authorization")  # R1
    CREDIT_NOTE = "credit_note", _("Credit note")  # D1
    DEBIT_NOTE = "debit_note", _("Debit note")  # D2


class VoidReason(models.TextChoices):
    """Why a document is no longer valid, as anyone holding it may read (the verification page);
    staff's own explanation stays in the claim's log."""

    SUPERSEDED = "superseded", _("Replaced by a newer issue")
    ISSUED_IN_ERROR = "issued_in_error", _("Issued in error")
    WITHDRAWN = "withdrawn", _("Withdrawn by CPRO")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Being rendered")
    READY = "ready", _("Ready")


# Crockford's base32: no I, L, O or U, so a code read off paper is typed without confusion.
VERIFICATION_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VERIFICATION_LENGTH = 12


def new_verification_code() -> str:
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _i in range(VERIFICATION_LENGTH))


def document_path(instance: Document, filename: str) -> str:
    # A random name: the file is served only through the permission-checked download view.
    return f"documents/{secrets.token_urlsafe(24)}.pdf"


class Document(models.Model):
    """A PDF issued for a claim (Return Authorization, credit note, debit note), rendered by
    Celery, carrying a verification code whose public page says whether it is still valid.

    A claim has at most one *valid* document per kind (and per note): a superseded or voided
    one stays on record with ``valid`` off and the reason.
    """

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="documents", verbose_name=_("claim")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    credit_note = models.ForeignKey(
        CreditNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("credit note"),
    )
    debit_note = models.ForeignKey(
        DebitNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("debit note"),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200, blank=True)
    verification_code = models.CharField(
        _("verification code"),
        max_length=VERIFICATION_LENGTH,
        unique=True,
        default=new_verification_code,
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    valid = models.BooleanField(_("valid"), default=True)
    void_reason = models.TextField(_("void reason"), blank=True)
    void_public_reason = models.CharField(
        _("public reason"), max_length=20, choices=VoidReason.choices, blank=True
    )
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["claim", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(kind="return_authorization", valid=True),
                name="document_one_valid_ra_per_claim",
            ),
            models.UniqueConstraint(
                fields=["credit_note"],
                condition=Q(kind="credit_note", valid=True),
                name="document_one_valid_per_credit_note",
            ),
            models.UniqueConstraint(
                fields=["debit_note"],
                condition=Q(kind="debit_note", valid=True),
                name="document_one_valid_per_debit_note",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="return_authorization",
                        credit_note__isnull=True,
                        debit_note__isnull=True,
                    )
                    | Q(kind="credit_note", credit_note__isnull=False, debit_note__isnull=True)
                    | Q(kind="debit_note", credit_note__isnull=True, debit_note__isnull=False)
                ),
                name="document_note_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.claim}"

    @property
    def number(self) -> str:
        """The CN/DN number; empty for a Return Authorization (its number is the RMA's)."""
        if self.credit_note_id:
            return self.credit_note.number
        if self.debit_note_id:
            return self.debit_note.number
        return ""

    @property
    def display_code(self) -> str:
        code = self.verification_code
        return "-".join(code[i : i + 4] for i in range(0, len(code), 4))

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY

    @property
    def needs_void_mark(self) -> bool:
        """Voided, and its stored PDF was rendered before (so without the VOID mark): a buyer
        holding the paper must see that it is void (issue 17)."""
        if self.valid or self.voided_at is None:
            return False
        return self.rendered_at is None or self.rendered_at < self.voided_at
