from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The project package as an app: logging context wiring (no models)."""

    name = "rma_portal"
    verbose_name = "Operations"

    def ready(self):
        from . import logs

        logs.connect()
