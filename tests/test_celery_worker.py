import pytest

from rma_portal.tasks import ping


@pytest.mark.celery_worker
def test_a_real_worker_on_redis_runs_a_task_against_postgresql(celery_worker_process):
    result = ping.delay().get(timeout=60)

    assert result["database"] == "postgresql"
