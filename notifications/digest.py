"""The weekly staff digest (issue 16): what in the work queue is past its working-day target.

One e-mail per staff language (each clerk's own, Korean by default), sent once per ISO week
whatever the schedule or retries (``SentEmail`` key ``digest:<year>-W<week>:<audience>``).
The lines come from the queue (claims/queue.py): the N4 holds that have ended, answers and
buyer messages past the first-response target, returns past the inspection target.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from claims import queue, workdays
from warranty.selectors import seoul_today

from .emails import Email, _staff_audiences, _tidy, send_once

DIGEST_LINES = 200  # the e-mail lists at most this many; the count covers them all
KIND = "staff_digest"


def send_weekly_digest(*, today: date | None = None) -> int:
    """Send this week's digest to CPRO's sales staff, once per week; returns e-mails sent."""
    today = today or seoul_today()
    late = queue.late(today=today)
    total = late.count()
    lines = queue.rows(late[:DIGEST_LINES], today)
    year, week, _day = today.isocalendar()
    sent = 0
    for audience in _staff_audiences():
        with translation.override(audience.language):
            text = render_to_string(
                [f"emails/{audience.language}/{KIND}.txt", f"emails/{KIND}.txt"],
                {
                    "today": today,
                    "total": total,
                    "lines": lines,
                    "more": max(total - len(lines), 0),
                    "first_response_days": workdays.FIRST_RESPONSE_DAYS,
                    "inspection_days": workdays.INSPECTION_DAYS,
                    "queue_url": settings.SITE_URL + reverse("admin:claims_claim_queue"),
                },
            )
        subject, _newline, body = text.strip().partition("\n")
        email = Email(
            audience=audience.name,
            language=audience.language,
            to=audience.to,
            subject=" ".join(subject.split()),
            body=_tidy(body),
        )
        sent += send_once(f"digest:{year}-W{week:02d}:{audience.name}", email, KIND, None)
    return sent
