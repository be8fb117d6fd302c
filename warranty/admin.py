from django.contrib import admin

from .models import Component, ProductModel, Shipment, Unit, WarrantyPolicy


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
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["pi_number", "po_number", "buyer", "shipment_date", "delivery_date"]
    list_filter = ["buyer"]
    list_select_related = ["buyer"]
    search_fields = ["=pi_number", "=po_number", "buyer__code", "buyer__name"]
    date_hierarchy = "shipment_date"
    autocomplete_fields = ["buyer"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "product_model", "shipment", "unit_price", "currency"]
    list_select_related = ["product_model", "shipment"]
    search_fields = ["=serial_number", "=shipment__pi_number", "=shipment__po_number"]
    raw_id_fields = ["shipment", "product_model"]
    show_full_result_count = False


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
