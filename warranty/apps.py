from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarrantyConfig(AppConfig):
    name = "warranty"
    verbose_name = _("Products, shipments and warranty")

    def ready(self) -> None:
        # Connects the receivers that drop the cached policy table when a version changes.
        from . import selectors  # noqa: F401
