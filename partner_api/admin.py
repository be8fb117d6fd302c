"""Webhooks in the admin: endpoints set up and re-enabled by staff, the delivery log read-only."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from . import webhooks
from .models import MISSED, WebhookDelivery, WebhookEndpoint, WebhookEvent


def _redelivered(admin_view, request, queued: int) -> None:
    admin_view.message_user(
        request,
        ngettext(
            "%(count)d missed delivery queued again.",
            "%(count)d missed deliveries queued again.",
            queued,
        )
        % {"count": queued},
        messages.SUCCESS if queued else messages.WARNING,
    )


_ENABLED = ngettext_lazy("%(count)d endpoint enabled.", "%(count)d endpoints enabled.", "count")
_DISABLED = ngettext_lazy("%(count)d endpoint disabled.", "%(count)d endpoints disabled.", "count")


def _act_on_each(admin_view, request, endpoints, act, told) -> None:
    """``act`` (a service of ``webhooks``) on each selected endpoint; ``told`` says how many."""
    count = 0
    for endpoint in endpoints:
        act(endpoint=endpoint)
        count += 1
    admin_view.message_user(request, told % {"count": count}, messages.SUCCESS)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["organisation", "url", "description", "events"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = [
        "url",
        "organisation",
        "active",
        "consecutive_failures",
        "disabled_at",
        "created_at",
    ]
    list_filter = ["active"]
    list_select_related = ["organisation"]
    search_fields = ["url", "organisation__code", "organisation__name"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["secret", "active", "consecutive_failures", "disabled_at", "created_at"]
    actions = ["reenable", "disable", "redeliver_missed"]

    def get_readonly_fields(self, request, obj=None):
        # The secret exists once the endpoint is saved; staff pass it on to the partner.
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        fields = ["organisation", "url", "description", "events"]
        return fields + self.readonly_fields if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            messages.info(
                request,
                format_html(
                    "{} <code>{}</code>",
                    _("Give the partner this signing secret (it verifies X-CPRO-Signature):"),
                    obj.secret,
                ),
            )

    @admin.action(description=_("Re-enable the selected endpoints"), permissions=["change"])
    def reenable(self, request, queryset):
        _act_on_each(self, request, queryset, webhooks.reenable_endpoint, _ENABLED)

    @admin.action(description=_("Disable the selected endpoints"), permissions=["change"])
    def disable(self, request, queryset):
        _act_on_each(self, request, queryset, webhooks.disable_endpoint, _DISABLED)

    @admin.action(
        description=_("Redeliver all missed deliveries (failed or skipped)"),
        permissions=["change"],
    )
    def redeliver_missed(self, request, queryset):
        missed = WebhookDelivery.objects.filter(endpoint__in=queryset, status__in=MISSED)
        _redelivered(self, request, webhooks.redeliver(list(missed)))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, how often, and what the receiver answered."""

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "claim",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "endpoint__organisation"]
    list_select_related = ["endpoint__organisation", "claim"]
    search_fields = ["uuid", "claim__rma_number", "endpoint__url"]
    date_hierarchy = "created_at"
    actions = ["redeliver"]

    @admin.action(
        description=_("Redeliver the selected missed deliveries"), permissions=["redeliver"]
    )
    def redeliver(self, request, queryset):
        _redelivered(self, request, webhooks.redeliver(list(queryset)))

    def has_redeliver_permission(self, request):
        # The log stays read-only; sending again is an endpoint's business (staff who manage
        # endpoints), for deliveries to endpoints that are enabled.
        return request.user.has_perm("partner_api.change_webhookendpoint")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
