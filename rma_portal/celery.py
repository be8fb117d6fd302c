"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rma_portal.settings")

app = Celery("rma_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["rma_portal"])


@signals.task_prerun.connect
def _bind_task_context(task_id=None, task=None, **kwargs):
    """Each task's log lines carry its id and name (and the RMA number once known)."""
    from rma_portal import logs

    logs.clear()
    logs.bind(task_id=task_id, task=getattr(task, "name", None))


@signals.task_postrun.connect
def _clear_task_context(**kwargs):
    from rma_portal import logs

    logs.clear()
