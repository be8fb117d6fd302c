import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def _transactional(item) -> bool:
    """As pytest-django tells a transactional test (its own ordering)."""
    from django.test import TestCase, TransactionTestCase

    cls = getattr(item, "cls", None)
    if cls and issubclass(cls, TransactionTestCase):
        return not issubclass(cls, TestCase)
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def _serialized(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback")) or (
        "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Transactional tests that restore the migrations' rows (serialized_rollback) before the
    other transactional tests, whatever order the paths were given in.

    The other transactional tests empty the database after each test and let the migrations'
    post_migrate handlers write content types and permissions again, under new ids; a
    serialized-rollback test after them fails to restore the old rows over these ("duplicate
    key", content types). pytest-django has already put database tests first and transactional
    ones after them, together: this only reorders within that block."""
    block = [item for item in items if _transactional(item)]
    if not block:
        return
    start = items.index(block[0])
    members = {id(item) for item in block}
    rest = [item for item in items[start:] if id(item) not in members]
    ordered = [item for item in block if _serialized(item)]
    ordered += [item for item in block if not _serialized(item)]
    items[start:] = ordered + rest


def worker_env(extra_env=None) -> dict:
    """The environment for a worker process that sees the test database and broker.

    ``extra_env`` adds or overrides variables (e.g. a test mail server, a short visibility
    timeout)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("Celery worker tests need PostgreSQL: set DATABASE_URL (./dev test does).")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("Celery worker tests need Redis: set CELERY_BROKER_URL (./dev test does).")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{user}@{host}:{port}/{db['NAME']}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
        DJANGO_DEBUG="1",
        RMA_VAR_DIR=str(settings.VAR_DIR),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    env.update(extra_env or {})
    return env


class WorkerProcess:
    """A real `celery worker` process (solo pool) consuming from the test broker."""

    def __init__(self, extra_args=(), extra_env=None):
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "rma_portal",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=worker_env(self.extra_env),
            start_new_session=True,
        )
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start a worker; the test's data must be committed (transactional_db) for it to see it."""
    from rma_portal.celery import app

    app.control.purge()
    worker = WorkerProcess().start()
    yield worker
    worker.stop()


def start_gunicorn(port: int, workers: int, extra_env=None) -> subprocess.Popen:
    """gunicorn (sync workers) serving the app on ``port`` against the test database and broker
    (``worker_env``); the caller terminates it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "rma_portal.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=worker_env(extra_env),
        start_new_session=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A test's own redis-server on a free port, without persistence: killing it (by PID) and
    starting another on the same port is a Redis outage, or a restart that lost its data."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def redis_server():
    """Start a private Redis; every one started is killed at the end."""
    started = []

    def start(port=None):
        server = RedisServer(port).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def point_celery_at(url: str) -> None:
    """Publish from this process to ``url`` (broker and result backend), fresh connections."""
    from rma_portal.celery import app

    app.conf.broker_url = app.conf.broker_read_url = app.conf.broker_write_url = url
    app.conf.result_backend = url
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def private_broker(redis_server):
    """This process publishes to a private Redis for the test; restored afterwards."""
    from rma_portal.celery import app

    names = ["broker_url", "broker_read_url", "broker_write_url", "result_backend"]
    saved = {name: app.conf[name] for name in names}
    server = redis_server()
    point_celery_at(server.url)
    yield server
    app.conf.update(saved)
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture(autouse=True)
def broker_not_paused():
    """A publish that failed in an earlier test must not make this one skip publishing."""
    from notifications import outbox

    outbox._broker_down_until = 0.0


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts and ends in the default language: a request by a Korean user (CPRO's
    staff by default) activates Korean in the thread, which must not reach the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashing costs ~0.3 s a user; tests create many users and test no hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_policy_table():
    """Each test reads the policy versions it made: a rolled-back test's versions fire no
    signal, so the per-process table (warranty.selectors.PolicyTable.current) is dropped."""
    from warranty.selectors import forget_policy_table

    forget_policy_table()
    yield
    forget_policy_table()
