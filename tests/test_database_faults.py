"""PostgreSQL dropped every pooled connection (a restart, a failover): the next requests on
every web worker still answer as they should (CONN_HEALTH_CHECKS, issue 12), none a 500. Only
this test database's backends are terminated, never another's."""

import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.services import create_api_key, create_organisation
from tests.conftest import free_port, start_gunicorn, wait_for

pytestmark = pytest.mark.fault

WEB_WORKERS = 3
# Each request must reach the database: a partner's warranty lookup of an unknown serial
# authenticates the key and looks the unit up (404), where /healthz asks nothing of it.
LOOKUP = "/api/v1/units/NO-SUCH-SERIAL/warranty/"
KEY: list[str] = []


def backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def terminate_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Api-Key {KEY[0]}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def burst(url: str, count: int = 30) -> list[int]:
    with ThreadPoolExecutor(max_workers=WEB_WORKERS * 2) as pool:
        return list(pool.map(get, [url] * count))


@pytest.fixture
def web(transactional_db):
    """gunicorn with three sync workers on the test database, DEBUG off, connections kept 60 s."""
    port = free_port()
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test-only-secret-key-for-the-database-fault-test-0123456789",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    proc = start_gunicorn(port, WEB_WORKERS, env)
    organisation = create_organisation(code="faults", name="Faults Ltd")
    _key, raw = create_api_key(organisation=organisation, label="database faults")
    KEY[:] = [raw]
    url = f"http://127.0.0.1:{port}{LOOKUP}"
    try:
        wait_for(lambda: _up(url), timeout=60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _up(url: str) -> bool:
    try:
        return get(url) == 404
    except OSError:
        return False


def test_backends_terminated_between_requests_cost_no_request_on_any_worker(web):
    # Every worker holds a pooled connection (CONN_MAX_AGE) ...
    for _ in range(20):
        assert set(burst(web)) == {404}
        if len(backends()) >= WEB_WORKERS:
            break
    before = backends()
    assert len(before) >= WEB_WORKERS

    # ... which the database drops.
    assert terminate_backends() == len(before)
    time.sleep(0.5)

    statuses = burst(web, count=60)
    assert statuses.count(404) == len(statuses), statuses  # answered, none a 500
    after = backends()
    assert len(after) >= WEB_WORKERS and not (after & before)  # each worker reconnected
