"""Celery tasks of the quality analytics: a few lines, calling a service; safe to run twice."""

from celery import shared_task

from notifications.tasks import EMAIL_TASK_OPTIONS
from warranty.selectors import seoul_today

from . import services


@shared_task(**EMAIL_TASK_OPTIONS)
def send_quality_report() -> int:
    """The weekly early-warning e-mail to sales staff (once per ISO week, see the service)."""
    return services.send_weekly_report(today=seoul_today())
