from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from rma_portal.exceptions import DomainError

from .models import ApiKey, Organisation, User
from .services import create_api_key, invite_user, revoke_api_key


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "language", "is_partner", "created_at"]
    list_filter = ["language", "is_partner"]
    search_fields = ["code", "name"]
    change_form_template = "admin/accounts/organisation/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="accounts_organisation_invite",
            ),
            *super().get_urls(),
        ]

    def invite_view(self, request, object_id):
        """Invite a buyer of this organisation by e-mail (a one-use link to set a password)."""
        if not request.user.has_perm("accounts.add_user"):
            raise PermissionDenied
        organisation = self.get_object(request, object_id)
        if organisation is None:
            raise Http404
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = invite_user(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    invited_by=request.user,
                )
            except DomainError as exc:
                form.add_error("email" if exc.field == "email" else None, exc.message)
            else:
                self.message_user(
                    request,
                    _(
                        "Invitation sent to %(email)s (user name %(username)s); the link works "
                        "once, for 7 days."
                    )
                    % {"email": user.email, "username": user.username},
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:accounts_organisation_change", args=[organisation.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invite a user to %(name)s") % {"name": organisation.name},
            "opts": self.opts,
            "original": organisation,
            "form": form,
        }
        return TemplateResponse(request, "admin/accounts/organisation/invite.html", context)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "organisation", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["username", "email", "organisation__code", "organisation__name"]
    autocomplete_fields = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + (("CPRO", {"fields": ("organisation", "language")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("CPRO", {"fields": ("email", "organisation", "language")}),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Partner API keys (SPEC "Partner API"): created through accounts.services, the raw key
    shown once after saving; only its prefix is ever displayed again (never the hash)."""

    list_display = ["prefix", "organisation", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organisation"]
    search_fields = ["prefix", "label", "organisation__code"]
    autocomplete_fields = ["organisation"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "label"]
        return ["organisation", "label", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organisation", "prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["label"])
            return
        api_key, raw_key = create_api_key(organisation=obj.organisation, label=obj.label)
        for field in ApiKey._meta.concrete_fields:  # the admin logs and redirects with ``obj``
            setattr(obj, field.attname, getattr(api_key, field.attname))
        obj._state.adding = False
        obj._state.db = api_key._state.db
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _(
                    "The new API key for %(organisation)s, shown this once — copy it now, it "
                    "cannot be shown again:"
                )
                % {"organisation": obj.organisation},
                raw_key,
            ),
        )

    @admin.action(description=gettext_lazy("Revoke the selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            revoke_api_key(api_key=api_key)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
