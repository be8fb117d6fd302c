"""The early-warning settings in the admin: one row, edited by sales staff, never deleted."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from .models import EarlyWarningSettings


@admin.register(EarlyWarningSettings)
class EarlyWarningSettingsAdmin(admin.ModelAdmin):
    fields = ["window_days", "min_failures", "rate_ratio", "significance"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        EarlyWarningSettings.current()
        return redirect(reverse("admin:analytics_earlywarningsettings_change", args=[1]))
