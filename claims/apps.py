from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims (RMA)"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
