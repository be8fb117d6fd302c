"""The weekly early-warning e-mail to CPRO's sales staff (the Celery beat task calls this)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from notifications.emails import staff_recipients
from notifications.models import SentEmail

from . import early_warning

logger = logging.getLogger(__name__)

KIND = "quality_report"


def send_weekly_report(*, today: date) -> int:
    """E-mail this week's early-warning list to every sales staff member in their language,
    once per ISO week and language (a rerun or a late run sends nothing twice). Returns how
    many e-mails were sent."""
    report = early_warning.evaluate(today)
    year, week, _day = today.isocalendar()
    by_language: dict[str, list[str]] = defaultdict(list)
    for user in staff_recipients():
        by_language["ko" if (user.language or "").startswith("ko") else "en"].append(user.email)
    sent = 0
    for language, to in sorted(by_language.items()):
        with translation.override(language):
            text = render_to_string(
                "emails/quality_report.txt",
                {
                    "report": report,
                    "url": settings.SITE_URL + reverse("analytics:early_warning"),
                    "settings_url": settings.SITE_URL
                    + reverse("admin:analytics_earlywarningsettings_change", args=[1]),
                },
            )
        subject, _sep, body = text.strip().partition("\n")
        key = f"{KIND}:{year}-W{week:02d}:staff-{language}"
        sent += _send_once(key, language, sorted(set(to)), subject.strip(), body.strip())
    return sent


def _send_once(key: str, language: str, to: list[str], subject: str, body: str) -> bool:
    # As notifications/emails.py: the record and the send in one transaction (at least once).
    with transaction.atomic():
        _record, created = SentEmail.objects.get_or_create(
            dedupe_key=key,
            defaults={
                "kind": KIND,
                "subject": subject[:300],
                "recipients": to,
                "language": language,
            },
        )
        if not created:
            logger.info("E-mail %s was already sent; not sending it again.", key)
            return False
        if not to:
            return False
        EmailMessage(subject=subject, body=body, to=to).send()
        return True
