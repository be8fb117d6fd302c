"""One set of input-cleaning helpers for the claim services: text, dates, amounts, item ids.

Every channel's input reaches the services raw (the portal's forms, the API's serializers and
the admin's forms may check shapes for their own messages, but the rule is here). Errors are
collected as ``FieldErrors`` and raised at once as ``ValidationFailed`` (every error together,
nothing saved), or raised one at a time as ``DomainError`` where an act checks one field. Limits
come from the models (``max_length``) and ``settings`` — never literals repeated per module.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from rma_portal.exceptions import (
    DomainError,
    RuleInputError,
    ValidationFailed,
)
from warranty import rules

from .models import (
    ClaimItem,
)

MAX_TEXT = 10_000  # defect details, messages, reasons: generous, but bounded


def max_length(model: type[models.Model], field: str) -> int:
    """The column's length limit, so services, forms and serializers agree with the model."""
    return model._meta.get_field(field).max_length


class FieldErrors:
    """Field errors collected across all items, raised at once (nothing saved on any error)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    @property
    def count(self) -> int:
        return sum(len(messages) for messages in self.errors.values())

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def clean_text(value: Any, key: str, errors: FieldErrors, *, max_length: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(key, _("Enter text."))
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors.add(
            key,
            _("Use at most %(max)d characters (this has %(n)d).")
            % {"max": max_length, "n": len(value)},
        )
    return value


def clean_date(value: Any, key: str, errors: FieldErrors) -> date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string; a timestamp counts in Seoul."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        try:
            return rules.seoul_date(value)
        except RuleInputError as exc:
            errors.add(key, exc.message)
            return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add(key, _("Enter a valid date as YYYY-MM-DD."))
    return None


def required_body(value: Any, key: str, what: str) -> str:
    errors = FieldErrors()
    body = clean_text(value, key, errors)
    if not body and not errors:
        errors.add(key, _("Enter the %(what)s.") % {"what": _(what)})
    errors.raise_if_any()
    return body


def item_id_of(key: Any) -> int:
    if isinstance(key, ClaimItem):
        return key.pk
    try:
        return int(key)
    except (TypeError, ValueError):
        raise DomainError(_("Unknown item %(key)r.") % {"key": key}, field="items") from None


def required_text(value: Any, field: str, label: str, *, max_length: int | None = None) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(_("%(label)s is required.") % {"label": label}, field=field)
    if max_length is not None and len(text) > max_length:
        raise DomainError(
            _("%(label)s is too long (at most %(n)d characters).")
            % {"label": label, "n": max_length},
            field=field,
        )
    return text


def clean_amount(value: Any, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("%(label)s must be an amount such as 50.00.") % {"label": label}, field=field
        ) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(_("%(label)s cannot be negative.") % {"label": label}, field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(
            _("%(label)s has more than two decimal places.") % {"label": label}, field=field
        )
    if amount >= Decimal("100000000"):
        raise DomainError(_("%(label)s is too large.") % {"label": label}, field=field)
    return amount.quantize(Decimal("0.01"))
