from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from rma_portal.api import (
    CalendarDateField,
    IsOrganisationMember,
    QuerySerializer,
    caller_organisation,
)
from rma_portal.api_errors import ErrorSerializer

from . import rules, selectors


class WarrantyQuerySerializer(QuerySerializer):
    """Optional: judge a prospective claim as if notified today. ``defect_kind`` is required
    with ``defect_date`` (the N1 notice deadline runs from receipt or discovery)."""

    defect_date = CalendarDateField(required=False)
    defect_kind = serializers.ChoiceField(
        choices=[k.value for k in rules.DefectKind], required=False
    )
    component = serializers.CharField(required=False, max_length=100)


# Every clause ID of the warranty terms (SPEC "Clauses"); verdicts cite some of them.
CLAUSE_IDS = [
    *(f"W{n}" for n in range(1, 6)),
    *(f"N{n}" for n in range(1, 6)),
    "R1",
    "R2",
    "D1",
    "D2",
    "S1",
]


class ReasonSerializer(serializers.Serializer):
    clause = serializers.ChoiceField(choices=CLAUSE_IDS)
    text = serializers.CharField()


class VerdictSerializer(serializers.Serializer):
    """The warranty answer of `GET /units/{serial}/warranty/`, without serial and model."""

    status = serializers.ChoiceField(choices=["covered", "not_covered"])
    preliminary = serializers.BooleanField()
    start_date = serializers.DateField()
    start_basis = serializers.ChoiceField(choices=["delivery", "shipment"])
    period_months = serializers.IntegerField()
    period_clause = serializers.ChoiceField(choices=CLAUSE_IDS)
    end_date = serializers.DateField()
    defect_date = serializers.DateField(allow_null=True)
    notice_date = serializers.DateField(allow_null=True)
    notice_deadline = serializers.DateField(allow_null=True)
    policy_version = serializers.CharField()
    clauses = serializers.ListField(child=serializers.ChoiceField(choices=CLAUSE_IDS))
    reasons = ReasonSerializer(many=True)


class WarrantyAnswerSerializer(VerdictSerializer):
    """The SPEC "Operations interface" warranty answer (documentation of the response)."""

    serial = serializers.CharField()
    model = serializers.CharField()


class UnitWarrantyApi(APIView):
    """`GET /api/v1/units/{serial}/warranty/`: the unit's verdict today, with its explanation."""

    permission_classes = [IsOrganisationMember]

    @extend_schema(
        tags=["units"],
        parameters=[WarrantyQuerySerializer],
        responses={
            200: WarrantyAnswerSerializer,
            400: OpenApiResponse(ErrorSerializer, description="A malformed or impossible query."),
            401: OpenApiResponse(ErrorSerializer, description="No, a wrong or a revoked key."),
            403: OpenApiResponse(ErrorSerializer, description="Not a buyer or partner."),
            404: OpenApiResponse(ErrorSerializer, description="Unknown, or not your unit."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests; Retry-After."),
        },
        summary="Warranty verdict of one of your units (W1-W5, N1)",
        examples=[
            OpenApiExample(
                "Covered",
                value={
                    "serial": "SN00012345",
                    "model": "PTZ-200",
                    "status": "covered",
                    "preliminary": True,
                    "start_date": "2026-05-11",
                    "start_basis": "delivery",
                    "period_months": 24,
                    "period_clause": "W1",
                    "end_date": "2028-05-11",
                    "defect_date": None,
                    "notice_date": None,
                    "notice_deadline": None,
                    "policy_version": "CPRO-LW-1",
                    "clauses": ["W1"],
                    "reasons": [{"clause": "W1", "text": "Covered for 24 months from delivery."}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, serial):
        # The common call has no query: "is this unit covered today" skips the serializer.
        params = {}
        if request.query_params:
            query = WarrantyQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            params = query.validated_data
        organisation = caller_organisation(request)
        unit = selectors.unit_of(organisation, serial)
        verdict = selectors.prospective_verdict(
            unit,
            defect_kind=params.get("defect_kind"),
            defect_date=params.get("defect_date"),
            component_name=params.get("component"),
        )
        return Response(selectors.warranty_answer(unit, verdict, lang=organisation.language))
