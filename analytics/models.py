"""The one knob-set of warranty quality analytics: the early-warning test's threshold."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EarlyWarningSettings(models.Model):
    """How sure and how large a rise must be before a model or batch is flagged (one row, edited
    by staff). See analytics/early_warning.py for the test these numbers feed."""

    window_days = models.PositiveSmallIntegerField(
        _("recent window, days"),
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("Failures with a defect date in the last this many days are the recent ones."),
    )
    min_failures = models.PositiveSmallIntegerField(
        _("minimum recent failures"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("A model or batch with fewer recent failures is never flagged."),
    )
    rate_ratio = models.DecimalField(
        _("rate ratio threshold"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1.00"))],
        help_text=_(
            "Flag only when the recent failure rate is significantly more than this many times "
            "the reference rate (its own history, or its model's other batches)."
        ),
    )
    significance = models.DecimalField(
        _("significance level"),
        max_digits=6,
        decimal_places=5,
        default=Decimal("0.01000"),
        validators=[MinValueValidator(Decimal("0.00001")), MaxValueValidator(Decimal("0.2"))],
        help_text=_(
            "The chance of flagging anything at all when nothing has changed: shared by all the "
            "tests of one run (Bonferroni)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("early-warning settings")
        verbose_name_plural = _("early-warning settings")
        permissions = [("view_quality_analytics", _("Can view warranty quality analytics"))]
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="early_warning_settings_single_row"),
        ]

    def __str__(self) -> str:
        return str(_("Early-warning settings"))

    @classmethod
    def current(cls) -> "EarlyWarningSettings":
        found, _created = cls.objects.get_or_create(pk=1)
        return found
