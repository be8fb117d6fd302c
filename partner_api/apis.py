"""The partner REST API's claim endpoints (SPEC "Partner API", "Operations interface").

Thin views (STYLE 1): parse with a serializer, find the caller's organisation and actor, call
the claims service, render the claim again from its selector. An API key acts with the claim
rights of its organisation's buyers; a signed-in buyer's session works too. Errors come back as
``{"errors": {field: [messages]}}`` (rma_portal/api_errors.py).
"""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status as http
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import services
from claims.actors import Actor
from claims.document_selectors import download_name
from claims.models import Channel, Claim
from claims.selectors import claim_of, messages_for
from rma_portal.api import caller_organisation
from rma_portal.api_errors import ErrorSerializer
from rma_portal.exceptions import NotFound
from rma_portal.parsers import LimitedJSONParser

from . import selectors, webhooks
from .idempotency import idempotent
from .pagination import ClaimCursorPagination, DeliveryCursorPagination
from .serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CancelSerializer,
    ClaimCreateSerializer,
    ClaimListQuerySerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    DeliveryListQuerySerializer,
    DocumentSerializer,
    MessageInputSerializer,
    MessageSerializer,
    ShipmentSerializer,
    WebhookDeliverySerializer,
)

TAG = ["claims"]

# --- Schema pieces shared by the operations --------------------------------------------------

CLAIM_KEY = OpenApiParameter(
    "rma_or_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The claim's RMA number (RMA-YYYY-NNNNNN) or its numeric id (drafts have no "
    "RMA number yet).",
    examples=[
        OpenApiExample("RMA number", value="RMA-2026-000042"),
        OpenApiExample("Id", value="17"),
    ],
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x20-\x7E]{1,255}$",
    description="Any unique string of 1 to 255 printable ASCII characters (a UUID). "
    "Repeating the request with the same key replays the first response (header "
    "`Idempotent-Replayed: true`) instead of acting twice; the same key with another request "
    "is refused with 422. Kept 24 hours.",
)


def _errors(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


UNAUTHORISED = {
    401: _errors("No, a wrong or a revoked API key."),
    403: _errors("The caller belongs to no buyer or partner organisation."),
    429: _errors("Too many requests for this key; see Retry-After."),
}
READ_ERRORS = {**UNAUTHORISED, 404: _errors("Unknown, or another organisation's.")}
BAD_INPUT = _errors("Malformed body or field errors; nothing was changed.")
WRONG_STATE = _errors("The claim's status does not allow this; nothing was changed.")
REPLAY_MISMATCH = _errors("The Idempotency-Key was used for another request.")
WRITE_ERRORS = {400: BAD_INPUT, 409: WRONG_STATE, 422: REPLAY_MISMATCH, **READ_ERRORS}

VERDICT_EXAMPLE = {
    "status": "covered",
    "preliminary": True,
    "start_date": "2026-05-11",
    "start_basis": "delivery",
    "period_months": 24,
    "period_clause": "W1",
    "end_date": "2028-05-11",
    "defect_date": "2026-11-20",
    "notice_date": "2026-11-25",
    "notice_deadline": "2026-11-28",
    "policy_version": "CPRO-LW-1",
    "clauses": ["W1", "N1"],
    "reasons": [
        {"clause": "W1", "text": "Covered for 24 months from delivery (2026-05-11)."},
        {"clause": "N1", "text": "Notice given within 8 days of the discovery."},
    ],
}
ITEM_EXAMPLE = {
    "serial_number": "SN00012345",
    "model_code": "PTZ-200",
    "shipment_date": "2026-05-04",
    "po_number": "PO-7781",
    "pi_number": "PI-2026-0153",
    "defect_kind": "hidden",
    "defect_date": "2026-11-20",
    "defect_details": "No image after power-on; LED blinks red.",
    "component": "mainboard",
}
ITEM_OUT_EXAMPLE = {
    "id": 31,
    **ITEM_EXAMPLE,
    "reason": None,
    "verdict": VERDICT_EXAMPLE,
    "verdict_final": False,
    "notice_late": False,
    "mismatches": [],
    "return_authorized": False,
    "outcome": None,
    "credit_note": None,  # D1: {"number", "amount": Money}
    "charge": None,  # D2: {"verification", "transport", "shipment", "total": Money, …}
}
CLAIM_COMMON = {
    "buyer_reference": "Ticket 4471",
    "carrier": "",
    "tracking_number": "",
    "shipped_at": None,
    "decision_reason": "",
    "created_at": "2026-11-25T11:58:02+09:00",
}
DRAFT_EXAMPLE = {
    "id": 17,
    "rma_number": None,
    "status": "draft",
    "notice_at": None,
    "hold_until": None,
    **CLAIM_COMMON,
    "updated_at": "2026-11-25T11:58:02+09:00",
    # A draft's preliminary verdict is judged as if notified the day it was saved (N1).
    "items": [ITEM_OUT_EXAMPLE],
}
SUBMITTED_EXAMPLE = {
    **DRAFT_EXAMPLE,
    "rma_number": "RMA-2026-000042",
    "status": "submitted",
    "notice_at": "2026-11-25T12:00:00+09:00",
    "hold_until": "2026-12-25",
    "updated_at": "2026-11-25T12:00:00+09:00",
    "items": [ITEM_OUT_EXAMPLE],
}
FIELD_ERRORS_EXAMPLE = OpenApiExample(
    "Field errors",
    value={
        "errors": {
            "items.0.serial_number": ["No unit with serial number 'SN-X' in your organisation."],
            "items.0.defect_date": ["This field is required."],
        }
    },
    response_only=True,
    status_codes=["400"],
)


def _actor(request) -> Actor:
    return Actor.for_request_user(request.user, Channel.API)


def _claim(request, rma_or_id: str) -> Claim:
    """The caller's claim by RMA number or id; another organisation's is not found (404)."""
    organisation = caller_organisation(request)
    if not rma_or_id.isascii():  # "³" passes str.isdigit() but is no id
        raise NotFound(_("No such claim."))
    return claim_of(organisation, rma_or_id)


def _parse(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _render(request, claim: Claim, status: int = http.HTTP_200_OK) -> Response:
    """The claim as it is now, read again with its items (after an act its copy is stale)."""
    organisation = caller_organisation(request)
    fresh = claim_of(organisation, claim.pk)
    context = {"request": request, "language": organisation.language}
    return Response(ClaimSerializer(fresh, context=context).data, status=status)


class ClaimsApi(GenericAPIView):
    """`GET, POST /api/v1/claims/`."""

    pagination_class = ClaimCursorPagination
    parser_classes = [LimitedJSONParser]
    serializer_class = ClaimSerializer

    @extend_schema(
        tags=TAG,
        operation_id="claims_list",
        summary="Your organisation's claims, last changed first (cursor pagination)",
        parameters=[ClaimListQuerySerializer],
        responses={
            200: ClaimSerializer(many=True),
            400: _errors("Unknown status, malformed updated_since or cursor."),
            **UNAUTHORISED,
        },
    )
    def get(self, request):
        query = ClaimListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        organisation = caller_organisation(request)
        page = self.paginate_queryset(
            selectors.claims_for_api(organisation, **query.validated_data)
        )
        context = {"request": request, "language": organisation.language}
        return self.get_paginated_response(ClaimSerializer(page, many=True, context=context).data)

    @extend_schema(
        tags=TAG,
        operation_id="claims_create",
        summary="File a draft claim (no notice yet, no RMA number)",
        description="Every serial must be one of your organisation's units. N3 fields (model, "
        "shipment date, PO, PI, details) may stay blank in a draft; submitting requires them. "
        "Each item carries a preliminary verdict as if notified today.",
        parameters=[IDEMPOTENCY_KEY],
        request=ClaimCreateSerializer,
        responses={
            201: ClaimSerializer,
            400: BAD_INPUT,
            422: REPLAY_MISMATCH,
            **UNAUTHORISED,
        },
        examples=[
            OpenApiExample(
                "A draft with one unit",
                value={"items": [ITEM_EXAMPLE], "buyer_reference": "Ticket 4471"},
                request_only=True,
            ),
            OpenApiExample(
                "Draft created", value=DRAFT_EXAMPLE, response_only=True, status_codes=["201"]
            ),
            FIELD_ERRORS_EXAMPLE,
        ],
    )
    @idempotent
    def post(self, request):
        data = _parse(ClaimCreateSerializer, request)
        claim = services.create_draft(
            actor=_actor(request),
            items=data["items"],
            buyer_reference=data.get("buyer_reference", ""),
        )
        return _render(request, claim, http.HTTP_201_CREATED)


class ClaimDetailApi(APIView):
    """`GET, PATCH /api/v1/claims/{rma_or_id}/`."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        tags=TAG,
        operation_id="claims_retrieve",
        summary="One claim with its items and verdicts",
        parameters=[CLAIM_KEY],
        responses={200: ClaimSerializer, **READ_ERRORS},
        examples=[OpenApiExample("Submitted", value=SUBMITTED_EXAMPLE, response_only=True)],
    )
    def get(self, request, rma_or_id):
        return _render(request, _claim(request, rma_or_id))

    @extend_schema(
        tags=TAG,
        operation_id="claims_update",
        summary="Change a draft (items replace all items)",
        parameters=[CLAIM_KEY],
        request=ClaimUpdateSerializer,
        responses={200: ClaimSerializer, 400: BAD_INPUT, 409: WRONG_STATE, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "New reference", value={"buyer_reference": "Ticket 4472"}, request_only=True
            ),
            FIELD_ERRORS_EXAMPLE,
        ],
    )
    def patch(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        data = _parse(ClaimUpdateSerializer, request)
        services.update_draft(
            actor=_actor(request),
            claim=claim,
            items=data.get("items"),
            buyer_reference=data.get("buyer_reference"),
        )
        return _render(request, claim)


class SubmitApi(APIView):
    """`POST /api/v1/claims/{rma_or_id}/submit/`: the notice (N1) and the RMA number (N2)."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        tags=TAG,
        operation_id="claims_submit",
        summary="Give the notice (N1): RMA number assigned, 30-day hold starts (N4)",
        description="Every item needs model, serial, date of shipment, PO number, PI number and "
        "defect details (N3). Each item gets its preliminary verdict (N5: the RMA number is not "
        "an acknowledgement of the defect). No request body.",
        parameters=[CLAIM_KEY, IDEMPOTENCY_KEY],
        request=None,
        responses={200: ClaimSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample("Submitted", value=SUBMITTED_EXAMPLE, response_only=True),
            OpenApiExample(
                "N3 field missing",
                value={
                    "errors": {
                        "items.0.pi_number": [
                            "The CPRO PI number is required to obtain an RMA number (N3)."
                        ]
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    @idempotent
    def post(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        services.submit(actor=_actor(request), claim=claim)
        return _render(request, claim)


class CancelApi(APIView):
    """`POST /api/v1/claims/{rma_or_id}/cancel/`."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        tags=TAG,
        operation_id="claims_cancel",
        summary="Withdraw the claim (any time before shipping the goods back)",
        parameters=[CLAIM_KEY, IDEMPOTENCY_KEY],
        request=CancelSerializer,
        responses={200: ClaimSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "With a reason", value={"reason": "Fixed by a firmware update."}, request_only=True
            )
        ],
    )
    @idempotent
    def post(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        data = _parse(CancelSerializer, request)
        services.cancel(actor=_actor(request), claim=claim, reason=data.get("reason", ""))
        return _render(request, claim)


class ShipmentApi(APIView):
    """`POST /api/v1/claims/{rma_or_id}/shipment/`: the return is on its way (R1)."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        tags=TAG,
        operation_id="claims_shipment",
        summary="Record carrier and tracking number of the authorized return (R1)",
        parameters=[CLAIM_KEY, IDEMPOTENCY_KEY],
        request=ShipmentSerializer,
        responses={200: ClaimSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "DHL",
                value={"carrier": "DHL", "tracking_number": "JD0146000034"},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        data = _parse(ShipmentSerializer, request)
        services.record_shipment(
            actor=_actor(request),
            claim=claim,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
        )
        return _render(request, claim)


class MessagesApi(APIView):
    """`GET, POST /api/v1/claims/{rma_or_id}/messages/`: the thread with CPRO staff."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        tags=TAG,
        operation_id="claims_messages_list",
        summary="The claim's thread, oldest first",
        parameters=[CLAIM_KEY],
        responses={200: MessageSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        return Response(MessageSerializer(messages_for(claim, staff=False), many=True).data)

    @extend_schema(
        tags=TAG,
        operation_id="claims_messages_create",
        summary="Write to CPRO staff in the claim's thread",
        parameters=[CLAIM_KEY, IDEMPOTENCY_KEY],
        request=MessageInputSerializer,
        responses={201: MessageSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "A message",
                value={"body": "Photos of the label are attached."},
                request_only=True,
            ),
            OpenApiExample(
                "Posted",
                value={
                    "id": 88,
                    "body": "Photos of the label are attached.",
                    "author": "api-key 3f9c2a1b",
                    "from_staff": False,
                    "created_at": "2026-11-25T12:03:00+09:00",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    @idempotent
    def post(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        data = _parse(MessageInputSerializer, request)
        sent = services.post_buyer_message(actor=_actor(request), claim=claim, body=data["body"])
        return Response(MessageSerializer(sent.message).data, status=http.HTTP_201_CREATED)


class AttachmentsApi(APIView):
    """`GET, POST /api/v1/claims/{rma_or_id}/attachments/`: evidence (N5)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAG,
        operation_id="claims_attachments_list",
        summary="The claim's evidence",
        parameters=[CLAIM_KEY],
        responses={200: AttachmentSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        return Response(AttachmentSerializer(selectors.attachments_of(claim), many=True).data)

    @extend_schema(
        tags=TAG,
        operation_id="claims_attachments_create",
        summary="Upload evidence (multipart), for the claim or one of its items",
        description="N5: the burden of proof is the buyer's. The type is judged by the content, "
        "not the name; oversized, empty or other files are refused with 400.",
        parameters=[CLAIM_KEY, IDEMPOTENCY_KEY],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Uploaded",
                value={
                    "id": 5,
                    "item": 31,
                    "file_name": "label.jpg",
                    "content_type": "image/jpeg",
                    "size": 48211,
                    "sha256": "9f2c…",
                    "created_at": "2026-11-25T12:01:00+09:00",
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    @idempotent
    def post(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        data = _parse(AttachmentUploadSerializer, request)
        attachment = services.add_attachment(
            actor=_actor(request),
            claim=claim,
            upload=data["file"],
            item=selectors.item_of(claim, data.get("item")),
        )
        return Response(AttachmentSerializer(attachment).data, status=http.HTTP_201_CREATED)


EVIDENCE_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "video/mp4",
)


class AttachmentDownloadApi(APIView):
    """`GET /api/v1/claims/{rma_or_id}/attachments/{id}/download/`: the evidence file back."""

    def perform_content_negotiation(self, request, force=False):
        # The file is not rendered by DRF; errors are JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAG,
        operation_id="claims_attachments_download",
        summary="Download an uploaded evidence file (N5), as stored",
        description="Images come back as stored: re-encoded, upright, without EXIF. Always "
        "`Content-Disposition: attachment`.",
        parameters=[CLAIM_KEY],
        responses={
            **{
                (200, media): OpenApiResponse(OpenApiTypes.BINARY, description="The file")
                for media in EVIDENCE_TYPES
            },
            **READ_ERRORS,
        },
    )
    def get(self, request, rma_or_id, attachment_id):
        attachment = selectors.stored_attachment(_claim(request, rma_or_id), attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class DocumentsApi(APIView):
    """`GET /api/v1/claims/{rma_or_id}/documents/`: Return Authorization, credit/debit notes."""

    @extend_schema(
        tags=TAG,
        operation_id="claims_documents_list",
        summary="The claim's documents with verification codes and download links",
        parameters=[CLAIM_KEY],
        responses={200: DocumentSerializer(many=True), **READ_ERRORS},
        examples=[
            OpenApiExample(
                "Return Authorization",
                value=[
                    {
                        "id": 9,
                        "kind": "return_authorization",
                        "number": None,
                        "status": "ready",
                        "valid": True,
                        "language": "en",
                        "verification_code": "7KQ2-M9XD-4T1B",
                        "created_at": "2026-11-26T09:10:00+09:00",
                        "rendered_at": "2026-11-26T09:10:04+09:00",
                        "download_url": "https://rma.cpro.example/api/v1/claims/17/documents/9/"
                        "download/",
                        "amount": None,  # a credit/debit note's: {"amount": "110", "currency"}
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request, rma_or_id):
        claim = _claim(request, rma_or_id)
        documents = selectors.documents_of(claim)
        return Response(DocumentSerializer(documents, many=True, context={"request": request}).data)


class DocumentDownloadApi(APIView):
    """`GET /api/v1/claims/{rma_or_id}/documents/{id}/download/`: the PDF itself."""

    def perform_content_negotiation(self, request, force=False):
        # The PDF is not rendered by DRF; errors are JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAG,
        operation_id="claims_documents_download",
        summary="Download a rendered document (PDF)",
        parameters=[CLAIM_KEY],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF"),
            **READ_ERRORS,
        },
    )
    def get(self, request, rma_or_id, document_id):
        document = selectors.ready_document(_claim(request, rma_or_id), document_id)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=download_name(document),
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


# --- Webhook delivery log ------------------------------------------------------------------

DELIVERY_KEY = OpenApiParameter(
    "delivery_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The delivery's id, sent as `X-CPRO-Delivery`.",
)


class DeliveriesApi(GenericAPIView):
    """`GET /api/v1/webhooks/deliveries/`: the organisation's webhook delivery log."""

    pagination_class = DeliveryCursorPagination
    serializer_class = WebhookDeliverySerializer

    @extend_schema(
        tags=["webhooks"],
        operation_id="webhooks_deliveries_list",
        summary="Your webhook deliveries, newest first (cursor pagination)",
        description="Every event for each of your endpoints, sent or not: `failed` (given up "
        "after the retries) and `skipped` (the endpoint was disabled) are the missed ones; "
        "ask them again with `redeliver`.",
        parameters=[DeliveryListQuerySerializer],
        responses={
            200: WebhookDeliverySerializer(many=True),
            400: _errors("Unknown or empty status, bad page size or cursor."),
            **UNAUTHORISED,
        },
    )
    def get(self, request):
        query = DeliveryListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        organisation = caller_organisation(request)
        page = self.paginate_queryset(
            selectors.deliveries_for_api(organisation, **query.validated_data)
        )
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class RedeliverApi(APIView):
    """`POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver/`: send a missed one again."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        tags=["webhooks"],
        operation_id="webhooks_deliveries_redeliver",
        summary="Send a missed (failed or skipped) delivery again",
        description="The same payload and `X-CPRO-Delivery`, a fresh round of attempts with "
        "backoff. No request body.",
        parameters=[DELIVERY_KEY, IDEMPOTENCY_KEY],
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            400: _errors("A malformed Idempotency-Key."),
            409: _errors("Not missed (pending or delivered), or the endpoint is disabled."),
            422: REPLAY_MISMATCH,
            **READ_ERRORS,
        },
    )
    @idempotent
    def post(self, request, delivery_id):
        delivery = selectors.delivery_of(caller_organisation(request), delivery_id)
        delivery = webhooks.request_redelivery(delivery=delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=http.HTTP_202_ACCEPTED)
