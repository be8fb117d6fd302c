"""What every API endpoint shares: who is calling and what they may see.

(The error body is in rma_portal/api_errors.py: DRF imports permission classes while its own
views module loads, so this module must not import rest_framework.views.)
"""

import datetime
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, serializers

from accounts.models import Organisation

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def caller_organisation(request) -> Organisation:
    """The organisation whose data the caller may see: the key's, or the signed-in buyer's."""
    organisation = getattr(request.user, "organisation", None)
    if organisation is None:
        raise exceptions.PermissionDenied("This API serves buyer and partner organisations.")
    return organisation


class IsOrganisationMember(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(
            request.user
            and request.user.is_authenticated
            and getattr(request.user, "organisation_id", None)
        )


class CalendarDateField(serializers.DateField):
    """A ``YYYY-MM-DD`` date that says what is wrong: "2026-02-30" is no day of the calendar,
    not a date in the wrong format (DRF says the latter of both)."""

    default_error_messages = {
        "not_real": _("{value} is not a real date: there is no such day in the calendar."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
            try:
                datetime.date.fromisoformat(value.strip())
            except ValueError:
                self.fail("not_real", value=value.strip())
        return super().to_internal_value(value)


class QuerySerializer(serializers.Serializer):
    """Query-string filters: a filter sent empty is a 400, never silently no filter."""

    def to_internal_value(self, data):
        # DRF drops an optional query field sent empty (``?status=``), which would list every
        # claim; docs/api.md: a bad filter is 400, and an empty one is a bad one.
        empty = {
            name: [_("This filter is empty: leave it out or give a value.")]
            for name in self.fields
            if name in data and not str(data.get(name)).strip()
        }
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)
