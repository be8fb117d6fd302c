"""What the portal owes the outside world, written down before it is attempted.

- ``OutboxMessage``: a Celery task to publish, stored in the transaction that made it necessary,
  so a broker outage at commit time delays it instead of losing it.
- ``SentEmail``: one row per e-mail handed to the mail server, keyed so a redelivered task does
  not send it again.
- ``Reminder``: one row per deadline reminder (N1, N4); the unique (claim, kind) makes each
  reminder happen once whatever the schedule, retries or catch-up runs.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending: waiting for the broker")
    PUBLISHED = "published", _("Published: queued for a worker")
    RUNNING = "running", _("Running")
    RETRYING = "retrying", _("Retrying: not finished in time, published again")
    DONE = "done", _("Done")
    GAVE_UP = "gave_up", _("Gave up")


# Handed to the broker and not finished yet: what the reconciler watches.
UNFINISHED = (OutboxState.PUBLISHED, OutboxState.RUNNING, OutboxState.RETRYING)


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(
        default=timezone.now, help_text=_("Not published before this time.")
    )
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("Last handed to the broker."))
    due_by = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Published again if its task has not finished by then."),
    )
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(
        default=0, help_text=_("Tries to hand it to the broker, failed ones included.")
    )
    handovers = models.PositiveIntegerField(default=0, help_text=_("Times the broker took it."))
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                condition=Q(state="pending"),
                name="outbox_pending",
            ),
            models.Index(
                fields=["due_by"],
                condition=Q(state__in=["published", "running", "retrying"]),
                name="outbox_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{self.args} ({self.state})"


class SentEmail(models.Model):
    dedupe_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=2, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")

    def __str__(self) -> str:
        return self.subject or self.dedupe_key


class ReminderKind(models.TextChoices):
    NOTICE_2D = "notice_2d", _("N1 notice deadline in 2 days")
    NOTICE_1D = "notice_1d", _("N1 notice deadline tomorrow")
    NOTICE_PASSED = "notice_passed", _("N1 notice deadline passed")
    HOLD_7D = "hold_7d", _("N4 hold ends in 7 days")
    HOLD_2D = "hold_2d", _("N4 hold ends in 2 days")
    HOLD_ENDED = "hold_ended", _("N4 hold ended")


class Reminder(models.Model):
    claim = models.ForeignKey("claims.Claim", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    deadline = models.DateField(help_text=_("The notice deadline or hold end it is about."))
    recorded_on = models.DateField(help_text=_("CPRO's calendar date of the sweep (Seoul)."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["claim", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "kind"], name="reminder_once_per_claim")
        ]

    def __str__(self) -> str:
        return f"{self.claim} {self.kind}"
