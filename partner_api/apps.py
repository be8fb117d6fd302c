from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerApiConfig(AppConfig):
    """The partner REST API (SPEC "Partner API"): claims, idempotency keys and webhooks."""

    name = "partner_api"
    verbose_name = _("Partner API")
