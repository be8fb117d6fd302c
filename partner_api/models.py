"""What the partner API remembers (SPEC "Partner API").

- ``IdempotencyKey``: the first response to a POST sent with an ``Idempotency-Key`` header, so a
  retry of the same request replays it instead of acting twice. Kept 24 hours.
- ``WebhookEndpoint``: a partner's receiver of signed webhooks, set up by CPRO staff.
- ``WebhookDelivery``: one event for one endpoint, with every attempt's outcome (the delivery log
  staff read in the admin).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key``, scoped to the caller's organisation, with its first answer.

    ``fingerprint`` is the SHA-256 of method, path and the SHA-256 of the body: the same key with
    another request is refused (422), never replayed.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    api_key_prefix = models.CharField(
        max_length=8, blank=True, help_text=_("The API key that sent it first (empty: a session).")
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], name="idempotency_key_once_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"


class WebhookEvent(models.TextChoices):
    CLAIM_SUBMITTED = "claim.submitted", _("Claim submitted (RMA number assigned)")
    CLAIM_STATUS_CHANGED = "claim.status_changed", _("Claim status changed")
    DOCUMENT_READY = "document.ready", _("Document ready for download")
    MESSAGE_CREATED = "message.created", _("Message in the claim's thread")
    DOCUMENT_VOIDED = "document.voided", _("Document voided (no longer valid)")


def all_webhook_events() -> list[str]:
    return list(WebhookEvent.values)


def https_only(url: str) -> None:
    """Webhooks carry claim data and a signature: only to an https:// URL (http:// with DEBUG,
    for a receiver on the developer's machine)."""
    if not settings.DEBUG and not url.lower().startswith("https://"):
        raise ValidationError(
            _("Use an https:// URL: webhooks carry claim data."), code="https_only"
        )


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpoint(models.Model):
    """Where a partner organisation receives its claims' events, signed with ``secret``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500, validators=[https_only])
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_webhook_secret,
        editable=False,
        help_text=_("Give it to the partner: it verifies X-CPRO-Signature with it."),
    )
    events = models.JSONField(
        _("events"), default=all_webhook_events, help_text=_("The events sent to this URL.")
    )
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failed deliveries"), default=0
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.url} ({self.organisation.code})"

    def subscribes_to(self, event: str) -> bool:
        return event in (self.events or [])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending (first attempt or retry due)")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")
    SKIPPED = "skipped", _("Skipped (endpoint disabled)")


# Deliveries a partner may ask again (docs/api.md "Webhooks"): never sent, or given up.
MISSED = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)


class WebhookDelivery(models.Model):
    """One event for one endpoint; ``uuid`` is sent as X-CPRO-Delivery and stays the same on
    every retry, so the receiver can drop duplicates."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_event = models.ForeignKey(
        "claims.ClaimEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # An event replayed through after_event never makes a second delivery.
            models.UniqueConstraint(
                fields=["endpoint", "source_event", "event"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.status})"
