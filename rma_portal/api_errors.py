"""One error body for every API failure: ``{"errors": {field: [messages]}}`` (STYLE 5)."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from rma_portal.exceptions import DomainError, ValidationFailed


def _errors_from_detail(detail) -> dict:
    if isinstance(detail, dict):
        return {key: value if isinstance(value, list) else [value] for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"detail": [detail]}


def exception_handler(exc, context):
    """One error body everywhere: ``{"errors": {field: [messages]}}``."""
    if isinstance(exc, ValidationFailed):
        return Response({"errors": exc.errors}, status=400)
    if isinstance(exc, DomainError):
        status = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid_state": 409}.get(
            exc.code, 400
        )
        field = exc.field or ("detail" if status == 404 else "non_field_errors")
        return Response({"errors": {field: [exc.message]}}, status=status)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"errors": _errors_from_detail(response.data)}
    return response
