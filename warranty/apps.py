from django.apps import AppConfig


class WarrantyConfig(AppConfig):
    name = "warranty"
    verbose_name = "Products, shipments and warranty"
