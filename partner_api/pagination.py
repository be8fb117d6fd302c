"""Cursor pagination for claim lists: stable under inserts, opaque cursors (SPEC "Partner API")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

NEXT_EXAMPLE = "https://rma.cpro.example/api/v1/claims/?cursor=cD0yMDI2LTExLTI1"
PREVIOUS_EXAMPLE = "https://rma.cpro.example/api/v1/claims/?cursor=cj0xJnA9MjAyNi0xMS0yNg%3D%3D"


class ClaimCursorPagination(CursorPagination):
    """Last change first; follow ``next`` until it is null. For a sync, remember the time you
    started and ask with ``updated_since`` next time (a claim changed while you page moves to
    the front)."""

    ordering = ("-updated_at", "-id")
    next_example = NEXT_EXAMPLE
    previous_example = PREVIOUS_EXAMPLE
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """``?page_size=`` from 1 to 200; anything else (0, -5, abc, 201, empty) is a 400, as
        docs/api.md says of a bad filter, never silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Use a whole number from 1 to %(maximum)d.")
                        % {"maximum": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # A mangled cursor is the caller's input error, not a missing resource.
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("Invalid cursor.")]}
            ) from None

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The opaque cursor of a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Claims per page, {self.page_size} unless given.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["next"]["example"] = self.next_example
        answer["properties"]["previous"]["example"] = self.previous_example
        return answer


class DeliveryCursorPagination(ClaimCursorPagination):
    """The webhook delivery log, newest first, with the same page sizes and cursors."""

    ordering = ("-created_at", "-id")
    next_example = NEXT_EXAMPLE.replace("/claims/", "/webhooks/deliveries/")
    previous_example = PREVIOUS_EXAMPLE.replace("/claims/", "/webhooks/deliveries/")
