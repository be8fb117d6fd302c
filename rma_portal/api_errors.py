"""One error body for every API failure: ``{"errors": {field: [messages]}}`` (STYLE 5).

Nested fields are named with dots, as the services name them: ``items.0.serial_number``.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from rma_portal.exceptions import DomainError, ValidationFailed
from rma_portal.parsers import too_large

NON_FIELD = "non_field_errors"
logger = logging.getLogger("django.request")


class ErrorSerializer(serializers.Serializer):
    """The error body in the OpenAPI schema: field (dotted when nested) → messages."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


STATUS_BY_CODE = {
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "invalid_state": 409,
    "unprocessable": 422,
}


def _flatten(detail, prefix: str, out: dict) -> None:
    """Serializer errors, nested in dicts (fields) and lists (items), as dotted field keys."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == NON_FIELD and prefix:
                _flatten(value, prefix, out)  # "items": "This list may not be empty."
            else:
                _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(detail, list) and any(isinstance(value, dict | list) for value in detail):
        for index, value in enumerate(detail):
            if value:  # the items without errors are empty
                _flatten(value, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        messages = detail if isinstance(detail, list) else [detail]
        out.setdefault(prefix or NON_FIELD, []).extend(messages)


def _errors_from_detail(detail) -> dict:
    if not isinstance(detail, dict | list):
        return {"detail": [detail]}
    out: dict = {}
    _flatten(detail, "", out)
    return out


def exception_handler(exc, context):
    """One error body everywhere: ``{"errors": {field: [messages]}}``."""
    if isinstance(exc, ValidationFailed):
        return Response({"errors": exc.errors}, status=400)
    if isinstance(exc, DomainError):
        status = STATUS_BY_CODE.get(exc.code, 400)
        field = exc.field or ("detail" if status == 404 else NON_FIELD)
        return Response({"errors": {field: [exc.message]}}, status=status)
    if isinstance(exc, RequestDataTooBig):  # Django's own limit met first: the same 413
        exc = too_large()
    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: logged like Django's own 500s, answered in the documented body.
        request = context.get("request")
        logger.error("Internal Server Error: %s", getattr(request, "path", "?"), exc_info=exc)
        set_rollback()
        return Response(server_error_body(), status=500)
    response.data = {"errors": _errors_from_detail(response.data)}
    return response


def server_error_body() -> dict:
    return {"errors": {"detail": [_("Something went wrong on our side; please try again.")]}}


def server_error_response() -> JsonResponse:
    """The 500 of an API path failing outside a view (``handler500``), in the same body."""
    return JsonResponse(server_error_body(), status=500)
