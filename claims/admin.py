"""The claims admin: the sales staff's queue and acts, documents, reference lists, notes issued."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import admin_documents  # noqa: F401
from .admin_claims import ClaimAdmin
from .models import Charge, Claim, CreditNote, DebitNote, DefectReason, FeeSchedule

admin.site.register(Claim, ClaimAdmin)


@admin.register(DefectReason)
class DefectReasonAdmin(admin.ModelAdmin):
    """The structured defect reasons buyers choose from; staff edit names and evidence rules."""

    list_display = ["code", "name_en", "name_ko", "photo_required", "active", "position"]
    list_filter = ["active", "photo_required"]
    search_fields = ["code", "name_en", "name_ko"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what the API and stored claims refer to: fixed once created.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # items keep their reason (PROTECT); deactivate it instead


class IssuedAdmin(admin.ModelAdmin):
    """Issued numbers and amounts: listed for accounting, changed only by the claim's acts."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditNote)
class CreditNoteAdmin(IssuedAdmin):
    list_display = ["number", "claim", "item", "amount", "currency", "issued_at", "issued_by"]
    list_select_related = ["claim", "item", "issued_by"]
    search_fields = ["=number", "=claim__rma_number"]
    date_hierarchy = "issued_at"


@admin.register(DebitNote)
class DebitNoteAdmin(IssuedAdmin):
    list_display = ["number", "claim", "total", "currency", "issued_at", "issued_by"]
    list_select_related = ["claim", "issued_by"]
    search_fields = ["=number", "=claim__rma_number"]
    date_hierarchy = "issued_at"


@admin.register(Charge)
class ChargeAdmin(IssuedAdmin):
    list_display = ["item", "claim", "total_display", "currency", "state", "debit_note"]
    list_filter = ["waived", ("debit_note", admin.EmptyFieldListFilter)]
    list_select_related = ["item__claim", "debit_note"]
    search_fields = ["=item__claim__rma_number", "=item__serial_number"]

    @admin.display(description=_("claim"))
    def claim(self, charge):
        return charge.item.claim

    @admin.display(description=_("total"))
    def total_display(self, charge):
        return charge.total

    @admin.display(description=_("state"))
    def state(self, charge):
        if charge.waived:
            return _("waived")
        return _("billed") if charge.debit_note_id else _("open")


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    """D2 fees per currency, effective-dated; Sales staff add a new row to change them."""

    list_display = ["currency", "effective_from", "policy", "verification", "transport", "shipment"]
    list_filter = ["currency"]
    ordering = ["currency", "-effective_from"]

    def has_delete_permission(self, request, obj=None):
        return False  # supersede with a later row: what was in force stays on record
