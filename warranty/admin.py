import threading

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import selectors
from .admin_import import ShipmentImportViews
from .importing import import_outcome
from .models import Component, ProductModel, Shipment, ShipmentImport, Unit, WarrantyPolicy


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_camera_module", "mechanical_wear"]
    list_filter = ["is_camera_module", "mechanical_wear"]
    search_fields = ["code", "name"]
    inlines = [ComponentInline]


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["serial_number", "product_model", "unit_price", "currency"]
    raw_id_fields = ["product_model"]
    show_change_link = True


@admin.register(Shipment)
class ShipmentAdmin(ShipmentImportViews, admin.ModelAdmin):
    # "Import CSV" button, import page and its status page: warranty/admin_import.py.
    list_display = ["pi_number", "po_number", "buyer", "shipment_date", "delivery_date"]
    list_filter = ["buyer"]
    list_select_related = ["buyer"]
    search_fields = ["=pi_number", "=po_number", "buyer__code", "buyer__name"]
    date_hierarchy = "shipment_date"
    autocomplete_fields = ["buyer"]
    inlines = [UnitInline]


_page = threading.local()


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = [
        "serial_number",
        "product_model",
        "shipment",
        "buyer",
        "warranty_today",
        "unit_price",
        "currency",
    ]
    list_select_related = [*selectors.VERDICT_RELATED, "shipment__buyer"]
    search_fields = ["=serial_number", "=shipment__pi_number", "=shipment__po_number"]
    raw_id_fields = ["shipment", "product_model"]
    readonly_fields = ["warranty_explained"]
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        # One read of the policy versions per page, not one per row (admin instances are shared
        # between threads, hence a thread-local rather than an attribute).
        _page.policies = selectors.PolicyTable.load()
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # the rows are rendered here, while the table is set
            return response
        finally:
            _page.policies = None

    def _verdict(self, obj):
        return selectors.unit_verdict(obj, policies=getattr(_page, "policies", None))

    @admin.display(description=_("buyer"), ordering="shipment__buyer__code")
    def buyer(self, obj):
        return obj.shipment.buyer.code

    @admin.display(description=_("warranty today (W1-W4)"))
    def warranty_today(self, obj):
        verdict = self._verdict(obj)
        colour = "#1b6e1b" if verdict.covered else "#a00000"
        label = _("covered") if verdict.covered else _("not covered")
        return format_html(
            '<span style="color:{}">{}</span> {} {} ({})',
            colour,
            label,
            _("until"),
            verdict.end_date.isoformat(),
            ", ".join(verdict.clauses),
        )

    @admin.display(description=_("warranty today, explained"))
    def warranty_explained(self, obj):
        verdict = self._verdict(obj)
        return format_html_join(
            mark_safe("<br>"),
            "<strong>{}</strong> {}",
            ((r.clause, r.text_en) for r in verdict.reasons),
        )


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "effective_from",
        "standard_months",
        "camera_module_months",
        "mechanical_wear_months",
        "notice_days",
    ]

    def has_change_permission(self, request, obj=None):
        # Old units keep their rules: a version in force is never edited, a new one is added.
        return obj is None and super().has_change_permission(request, obj)


@admin.register(ShipmentImport)
class ShipmentImportAdmin(admin.ModelAdmin):
    """Background shipment imports: read-only; the status page follows one as it runs."""

    list_display = [
        "created_at",
        "file_name",
        "uploaded_by",
        "status",
        "rows_done",
        "rows_total",
        "finished_at",
        "status_page",
    ]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    fields = [
        "file_name",
        "uploaded_by",
        "create_buyers",
        "status",
        "rows_done",
        "rows_total",
        "outcome",
        "counts",
        "created_at",
        "started_at",
        "finished_at",
        "status_page",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # A job's errors (up to MAX_LISTED_ERRORS each) are not read for the list; the detail
        # reads them when its outcome needs them (the status page has its own query).
        return super().get_queryset(request).defer("errors")

    @admin.display(description=_("outcome"))
    def outcome(self, obj):
        return import_outcome(obj)

    @admin.display(description=_("progress and errors"))
    def status_page(self, obj):
        url = reverse("admin:warranty_shipment_import_status", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Status page"))

    def has_add_permission(self, request):
        return False  # uploads go through the shipment import page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
