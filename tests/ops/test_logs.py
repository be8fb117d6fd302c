"""Structured logs: JSON lines with the request id, the Celery task and the RMA number where
known; Sentry only when SENTRY_DSN is set."""

import gzip
import http.server
import io
import json
import logging
import os
import subprocess
import sys
import threading

import pytest

from claims import services
from claims.actors import Actor
from rma_portal import logs
from tests.conftest import ROOT
from tests.factories import ClaimFactory, ClaimItemFactory, UserFactory


@pytest.fixture
def log_lines():
    """The JSON lines the console handler would print, as dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_carries_the_proxys_request_id_into_its_log_lines_and_response(client, log_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-7f3a")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-7f3a"
    (line,) = [entry for entry in log_lines() if entry["logger"] == "django.request"]
    assert line["request_id"] == "req-7f3a"
    assert line["level"] == "WARNING" and "Not Found" in line["message"]


@pytest.mark.django_db
def test_a_request_without_a_sane_id_gets_a_new_one(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; with spaces")

    assert response["X-Request-ID"] != "bad id; with spaces"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_work_on_a_claim_binds_its_rma_number_to_later_lines(log_lines):
    claim = ClaimFactory(status="submitted", rma_number="RMA-2026-000777")
    ClaimItemFactory(claim=claim)
    staff = UserFactory(username="clerk", organisation=None, is_staff=True)
    logs.clear()
    logs.bind(request_id="r1")

    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    logging.getLogger("claims").warning("after the act")

    line = log_lines()[-1]
    assert line["rma"] == "RMA-2026-000777" and line["request_id"] == "r1"
    logs.clear()


def test_the_key_value_format_puts_the_context_on_the_line():
    record = logging.LogRecord("claims", logging.INFO, __file__, 1, "rendered", (), None)
    record.context = {"task_id": "t-1", "rma": "RMA-2026-000001"}

    line = logs.KeyValueFormatter().format(record)

    assert "level=INFO" in line and "task_id=t-1" in line and "rma=RMA-2026-000001" in line
    assert line.endswith('msg="rendered"')


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    full_env.update(DJANGO_SETTINGS_MODULE="rma_portal.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_sentry_dsn_the_sdk_is_not_even_imported():
    result = run_django("import sys; print('sentry_sdk' in sys.modules)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


class _Collector(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_with_sentry_dsn_an_error_is_reported_to_that_dsn():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Collector.received.clear()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
        result = run_django(
            "import logging, sentry_sdk\n"
            "try:\n    1 / 0\nexcept ZeroDivisionError:\n"
            "    logging.getLogger('claims').exception('render failed')\n"
            "sentry_sdk.flush(5)\n",
            SENTRY_DSN=dsn,
        )
    finally:
        server.shutdown()
        server.server_close()

    assert result.returncode == 0, result.stderr
    paths = [path for path, _ in _Collector.received]
    assert any(path.startswith("/api/42/envelope/") for path in paths)
    assert any(b"ZeroDivisionError" in body for _, body in _Collector.received)
