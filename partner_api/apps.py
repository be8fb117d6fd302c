from django.apps import AppConfig


class PartnerApiConfig(AppConfig):
    """The partner REST API (SPEC "Partner API"): claims, idempotency keys and webhooks."""

    name = "partner_api"
    verbose_name = "Partner API"
