from celery import shared_task
from django.db import connection
from django.utils import timezone


@shared_task(ignore_result=False)  # check_worker waits for its answer
def ping() -> dict:
    """Round trip through broker, worker and database; used by `manage.py check_worker`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"database": connection.vendor, "at": timezone.now().isoformat()}
