"""Cursor pagination for claim lists: stable under inserts, opaque cursors (SPEC "Partner API")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class ClaimCursorPagination(CursorPagination):
    """Last change first; follow ``next`` until it is null. For a sync, remember the time you
    started and ask with ``updated_since`` next time (a claim changed while you page moves to
    the front)."""

    ordering = ("-updated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # A mangled cursor is the caller's input error, not a missing resource.
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("Invalid cursor.")]}
            ) from None
