"""Organisations, their users and their API keys (SPEC "Who uses it", "Partner API")."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rma_portal.cleaning import SingleLineCharField


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    KOREAN = "ko", "한국어"


class Organisation(models.Model):
    """A buyer or partner company. Buyers see only their own organisation's data."""

    code = models.SlugField(
        _("code"), max_length=32, unique=True, help_text=_("Short code used in CSV imports.")
    )
    name = SingleLineCharField(_("name"), max_length=200)
    language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    is_partner = models.BooleanField(
        _("partner"), default=False, help_text=_("Distributors and integrators using the API.")
    )
    address = models.TextField(_("address"), blank=True)
    notification_email = models.EmailField(
        _("notification address"),
        blank=True,
        help_text=_(
            "Optional: every e-mail about the organisation's claims is copied to this address, "
            "in the organisation's language."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(AbstractUser):
    """A person: a buyer belongs to one organisation; CPRO staff belong to none."""

    # As AbstractUser's, on one line (they are shown in e-mails and documents).
    first_name = SingleLineCharField(_("first name"), max_length=150, blank=True)
    last_name = SingleLineCharField(_("last name"), max_length=150, blank=True)

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty: the organisation's language; for CPRO staff, Korean."),
    )

    @property
    def preferred_language(self) -> str:
        """The user's own choice, else their organisation's; CPRO's staff (no organisation)
        work in Seongnam, so Korean unless they chose English (the admin, staff e-mails and
        reminders follow it)."""
        if self.language:
            return self.language
        if self.organisation_id:
            return self.organisation.language
        if self.is_staff:
            return Language.KOREAN
        return Language.ENGLISH


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A partner's key: shown once, stored hashed (SHA-256 of a 256-bit random secret)."""

    PREFIX_LENGTH = 8

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("organisation"),
    )
    label = SingleLineCharField(_("label"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.organisation.code})"

    @staticmethod
    def hash(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def generate(cls) -> tuple[str, str]:
        """A new raw key and its prefix; the raw key is never stored."""
        prefix = secrets.token_hex(cls.PREFIX_LENGTH // 2)
        return f"rma_{prefix}_{secrets.token_urlsafe(32)}", prefix

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
