"""What the partner API reads and writes (SPEC "Operations interface").

Input serializers check shapes and types only (a string where a string belongs, a real date);
the rules (whose serial, which dates, N3 on submission) stay in claims.services, which answer
with the same ``{"errors": {"items.0.serial_number": [...]}}`` body. Output serializers render
what the selectors loaded and document it in the OpenAPI schema.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.cleaning import MAX_TEXT, max_length
from claims.models import (
    Attachment,
    Claim,
    ClaimItem,
    ClaimStatus,
    DefectKind,
    DocumentKind,
    DocumentStatus,
    Message,
    Outcome,
)
from rma_portal.api import CalendarDateField, QuerySerializer
from rma_portal.money import Money
from warranty.apis import VerdictSerializer

from . import webhooks
from .models import DeliveryStatus, WebhookDelivery, WebhookEvent

SHORT = max_length(ClaimItem, "serial_number")  # serial, model, PO and PI columns
MAX_ITEMS = 200


# --- Input ---------------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """Text that must be sent as a JSON string: 42 where a serial belongs is a client's bug.
    Its length is the schema's ``maxLength`` as sent, before surrounding whitespace is trimmed
    (Python counts control characters such as U+001C as whitespace: schemathesis found a body
    one such character over the limit accepted)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file part of a multipart body: binary in the schema, so that generated clients send
    the bytes, not a URL (drf-spectacular describes a plain FileField as ``format: uri``)."""


class ClaimItemInputSerializer(serializers.Serializer):
    """One unit of a claim, the N3 fields as the buyer gives them (blank allowed in a draft)."""

    serial_number = StrictCharField(min_length=1, max_length=SHORT)
    model_code = StrictCharField(max_length=SHORT, required=False, allow_blank=True)
    shipment_date = CalendarDateField(required=False, allow_null=True)
    po_number = StrictCharField(max_length=SHORT, required=False, allow_blank=True)
    pi_number = StrictCharField(max_length=SHORT, required=False, allow_blank=True)
    defect_kind = serializers.ChoiceField(choices=DefectKind.choices)
    defect_date = CalendarDateField(help_text="Date of receipt (manifest) or discovery.")
    defect_details = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    component = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text='A component name of the model, or "unknown".',
    )
    reason = StrictCharField(
        max_length=40,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="One of CPRO's defect reason codes (a slug, e.g. `no-image`). The list is kept "
        "by CPRO staff and may grow, so it is no fixed enum; an unknown code is a 400.",
    )


class ClaimCreateSerializer(serializers.Serializer):
    items = ClaimItemInputSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)
    buyer_reference = StrictCharField(
        max_length=max_length(Claim, "buyer_reference"), required=False, allow_blank=True
    )


class ClaimUpdateSerializer(serializers.Serializer):
    """A draft's changes: ``items`` replaces all items; either field may be left out."""

    items = ClaimItemInputSerializer(
        many=True, allow_empty=False, max_length=MAX_ITEMS, required=False
    )
    buyer_reference = StrictCharField(
        max_length=max_length(Claim, "buyer_reference"), required=False, allow_blank=True
    )


class CancelSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class ShipmentSerializer(serializers.Serializer):
    carrier = StrictCharField(min_length=1, max_length=max_length(Claim, "carrier"))
    tracking_number = StrictCharField(min_length=1, max_length=max_length(Claim, "tracking_number"))


class MessageInputSerializer(serializers.Serializer):
    body = StrictCharField(min_length=1, max_length=MAX_TEXT)


class AttachmentUploadSerializer(serializers.Serializer):
    file = UploadField(help_text="JPEG, PNG, GIF, WEBP, PDF or MP4, judged by content.")
    item = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The id of one of the claim's items; leave out for the whole claim.",
    )


class ClaimListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=ClaimStatus.choices, required=False)
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601; only claims changed at or after this time (without a zone: Seoul).",
    )


class DeliveryListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


# --- Output --------------------------------------------------------------------------------


class MoneySerializer(serializers.Serializer):
    """The one representation of money in the API (D1, D2; the OpenAPI component ``Money``):
    the amount as a decimal string with exactly the currency's minor-unit places (KRW and JPY
    none: ``"110"``; others two: ``"110.00"``) and its ISO 4217 code. Never a JSON number, so
    no client loses a cent to floating point (``rma_portal.money.Money.as_dict``)."""

    amount = serializers.RegexField(
        r"^-?[0-9]+(\.[0-9]{2})?$",
        help_text='Decimal string in the currency\'s minor units: "110" (KRW, JPY), "110.00" '
        "(USD, EUR and others).",
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217 code, e.g. KRW, USD.")

    def to_representation(self, value: Money):
        return value.as_dict()


class CreditNoteSerializer(serializers.Serializer):
    """D1: the credit note issued for an item."""

    number = serializers.CharField(help_text="CN-YYYY-NNNNN")
    amount = MoneySerializer()

    def to_representation(self, note):
        return {
            "number": note.number,
            "amount": Money(note.amount, note.currency).as_dict(),
        }


class ChargeSerializer(serializers.Serializer):
    """D2: what an item found not covered is charged, and how it stands."""

    verification = MoneySerializer()
    transport = MoneySerializer()
    shipment = MoneySerializer()
    total = MoneySerializer()
    waived = serializers.BooleanField()
    debit_note = serializers.CharField(
        allow_null=True, help_text="DN-YYYY-NNNNN once billed; null while open or when waived."
    )

    def to_representation(self, charge):
        def amount(value):
            return Money(value, charge.currency).as_dict()

        return {
            "verification": amount(charge.verification),
            "transport": amount(charge.transport),
            "shipment": amount(charge.shipment),
            "total": amount(charge.total),
            "waived": charge.waived,
            "debit_note": charge.debit_note.number if charge.debit_note_id else None,
        }


class MismatchSerializer(serializers.Serializer):
    field = serializers.CharField()
    given = serializers.CharField(allow_blank=True)
    recorded = serializers.CharField(allow_blank=True)


class ClaimItemSerializer(serializers.ModelSerializer):
    component = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    mismatches = MismatchSerializer(many=True, read_only=True)
    outcome = serializers.SerializerMethodField()
    credit_note = serializers.SerializerMethodField()
    charge = serializers.SerializerMethodField()

    class Meta:
        model = ClaimItem
        fields = [
            "id",
            "serial_number",
            "model_code",
            "shipment_date",
            "po_number",
            "pi_number",
            "defect_kind",
            "defect_date",
            "defect_details",
            "component",
            "reason",
            "verdict",
            "verdict_final",
            "notice_late",
            "mismatches",
            "return_authorized",
            "outcome",
            "credit_note",
            "charge",
        ]
        read_only_fields = fields

    def get_component(self, item: ClaimItem) -> str | None:
        return item.component.name if item.component_id else None

    def get_reason(self, item: ClaimItem) -> str | None:
        return item.defect_reason.code if item.defect_reason_id else None

    @extend_schema_field(VerdictSerializer(allow_null=True))
    def get_verdict(self, item: ClaimItem):
        """The verdict in the organisation's language (preliminary until inspection, N5)."""
        verdicts = item.verdict or {}
        return verdicts.get(self.context.get("language", "en")) or verdicts.get("en")

    @extend_schema_field(
        serializers.ChoiceField(choices=Outcome.choices, allow_null=True)  # D1, not covered
    )
    def get_outcome(self, item: ClaimItem):
        return item.outcome or None

    @extend_schema_field(CreditNoteSerializer(allow_null=True))
    def get_credit_note(self, item: ClaimItem):
        note = getattr(item, "credit_note", None)
        return CreditNoteSerializer(note).data if note is not None else None

    @extend_schema_field(ChargeSerializer(allow_null=True))
    def get_charge(self, item: ClaimItem):
        charge = getattr(item, "charge", None)
        return ChargeSerializer(charge).data if charge is not None else None


class ClaimSerializer(serializers.ModelSerializer):
    items = ClaimItemSerializer(many=True, read_only=True)
    status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "rma_number",
            "status",
            "buyer_reference",
            "notice_at",
            "hold_until",
            "carrier",
            "tracking_number",
            "shipped_at",
            "decision_reason",
            "created_at",
            "updated_at",
            "items",
        ]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_label", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "body", "author", "from_staff", "created_at"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(source="original_name", read_only=True)
    item = serializers.IntegerField(source="item_id", allow_null=True, read_only=True)

    class Meta:
        model = Attachment
        fields = ["id", "item", "file_name", "content_type", "size", "sha256", "created_at"]
        read_only_fields = fields


class DocumentSerializer(serializers.Serializer):
    """A claim's document; ``download_url`` once it is rendered (status "ready")."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    number = serializers.CharField(allow_null=True, help_text="CN/DN number; null for an RA.")
    status = serializers.ChoiceField(choices=DocumentStatus.choices)
    valid = serializers.BooleanField(help_text="False once voided or superseded.")
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    verification_code = serializers.CharField()
    created_at = serializers.DateTimeField()
    rendered_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.URLField(allow_null=True)
    amount = MoneySerializer(
        allow_null=True,
        help_text="The credit note's amount or the debit note's total; null for an RA.",
    )

    def to_representation(self, document):
        request = self.context["request"]
        url = request.build_absolute_uri(
            reverse("api-claim-document-download", args=[document.claim_id, document.pk])
        )
        data = super().to_representation(webhooks.document_data(document, download_url=url))
        data["amount"] = _note_amount(document)
        return data


def _note_amount(document) -> dict | None:
    if document.credit_note_id:
        note = document.credit_note
        return Money(note.amount, note.currency).as_dict()
    if document.debit_note_id:
        note = document.debit_note
        return Money(note.total, note.currency).as_dict()
    return None


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One entry of the delivery log: the event, where it went, and how it went."""

    id = serializers.UUIDField(source="uuid", read_only=True, help_text="X-CPRO-Delivery.")
    event = serializers.ChoiceField(choices=WebhookEvent.choices, read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    endpoint_url = serializers.CharField(source="endpoint.url", read_only=True)
    claim = serializers.IntegerField(source="claim_id", allow_null=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "endpoint_url",
            "claim",
            "attempts",
            "response_code",
            "error",
            "created_at",
            "last_attempt_at",
            "delivered_at",
            "next_attempt_at",
            "payload",
        ]
        read_only_fields = fields
