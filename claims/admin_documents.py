"""Admin for documents (read-only: rendered by Celery) and the S1 support contact (one row)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import document_selectors, document_service
from .models import Document, SupportContact


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["claim", "kind", "number_display", "language", "status", "valid", "created_at"]
    list_filter = ["kind", "status", "valid", "language"]
    list_select_related = ["claim", "credit_note", "debit_note"]
    search_fields = ["=claim__rma_number", "=verification_code", "=credit_note__number"]
    date_hierarchy = "created_at"
    actions = ["schedule_rendering"]
    fields = [
        "claim",
        "kind",
        "credit_note",
        "debit_note",
        "language",
        "status",
        "valid",
        "void_reason",
        "voided_at",
        "verification_code",
        "sha256",
        "created_at",
        "rendered_at",
        "download",
    ]
    readonly_fields = fields

    @admin.display(description=_("number"))
    def number_display(self, obj: Document) -> str:
        return obj.number

    @admin.display(description=_("PDF"))
    def download(self, obj: Document) -> str:
        if not obj.is_ready:
            return "—"
        url = reverse("documents:download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, document_selectors.download_name(obj))

    @admin.action(description=_("Render the selected pending documents again"))
    def schedule_rendering(self, request, queryset):
        count = sum(document_service.schedule_rendering(doc) for doc in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d document scheduled for rendering.",
                "%(count)d documents scheduled for rendering.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportContact)
class SupportContactAdmin(admin.ModelAdmin):
    """S1: the one row; the list goes straight to it, and it is never added or deleted."""

    fields = ["address", "telephone", "fax", "email", "url"]

    def changelist_view(self, request, extra_context=None):
        contact = SupportContact.current()
        return redirect(reverse("admin:claims_supportcontact_change", args=[contact.pk]))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
