"""What every API endpoint shares: who is calling and what they may see.

(The error body is in rma_portal/api_errors.py: DRF imports permission classes while its own
views module loads, so this module must not import rest_framework.views.)
"""

from rest_framework import exceptions, permissions

from accounts.models import Organisation


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
