from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiKey, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "language", "is_partner", "created_at"]
    list_filter = ["language", "is_partner"]
    search_fields = ["code", "name"]


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
    list_display = ["prefix", "organisation", "label", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["organisation"]
    search_fields = ["prefix", "label", "organisation__code"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
