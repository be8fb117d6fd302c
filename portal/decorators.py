"""Who may use the buyer portal: signed-in members of a buyer organisation."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def is_buyer(user) -> bool:
    return bool(user.is_authenticated and not user.is_staff and user.organisation_id)


def buyer_required(view):
    """Anonymous → the sign-in page; CPRO staff and users without an organisation → 403.

    The portal shows one organisation's data; staff work in the admin. What a buyer asks for
    beyond their organisation is "not found" (the views), never "forbidden".
    """

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_buyer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
