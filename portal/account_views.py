"""Invitation acceptance, the language switch and the throttled password reset."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts.services import accept_invitation as accept
from accounts.services import invited_user, set_user_language
from rma_portal import throttles
from rma_portal.client_ip import client_ip
from rma_portal.exceptions import DomainError

from .forms import LanguageForm


@sensitive_post_parameters()
@never_cache
def accept_invitation(request, uidb64: str, token: str):
    """The link of an invitation e-mail: set a first password, then you are signed in.

    An expired or used link (or a made-up one) gets a page that says so, with status 404.
    """
    user = invited_user(uidb64, token)
    if user is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept(user=user, token=token, password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            form.add_error("new_password1" if exc.field == "password" else None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your password is set and you are signed in."))
            return redirect("portal:home")
    return render(request, "portal/invitation.html", {"form": form, "invited": user})


@require_POST
def set_language(request):
    """Django's ``set_language`` (the cookie), and for a signed-in user their saved choice."""
    form = LanguageForm(request.POST)
    if form.is_valid() and request.user.is_authenticated:
        set_user_language(user=request.user, language=form.cleaned_data["language"])
    return django_set_language(request)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, with the mails it sends capped per address and per client.

    Counted whether or not the address belongs to anyone, so the cap says nothing about which
    addresses exist (``RMA_PASSWORD_RESET_RATE_PER_ADDRESS``, ``…_PER_CLIENT``).
    """

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        for scope, ident, setting in (
            ("reset-client", client_ip(self.request), "RMA_PASSWORD_RESET_RATE_PER_CLIENT"),
            ("reset-address", address, "RMA_PASSWORD_RESET_RATE_PER_ADDRESS"),
        ):
            verdict = throttles.hit(scope, ident, getattr(settings, setting))
            if not verdict.allowed:
                return throttles.too_many_requests(
                    self.request,
                    verdict.retry_after,
                    _(
                        "Too many password-reset e-mails were asked for this address or from "
                        "your network address."
                    ),
                )
        return super().form_valid(form)
