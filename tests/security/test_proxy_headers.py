"""Threat: a client forging proxy headers. X-Forwarded-Proto and X-Forwarded-For are believed
only when DJANGO_TRUST_PROXY declares the proxies in front; otherwise anyone could claim HTTPS
(HSTS, secure redirects) or any address (dodging the per-address throttles)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import RequestFactory

from rma_portal.client_ip import client_ip

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = (
    "from django.test import Client; c = Client();"
    "r = c.get('/api/v1/schema/', HTTP_X_FORWARDED_PROTO='https', secure=False);"
    "print(r.status_code, r.headers.get('Strict-Transport-Security', '-'))"
)


def run(env, var_dir):
    # A server of its own on SQLite. The probe asks the API schema (no database, no static
    # files), not /healthz or /readyz: those are exempt from the HTTPS redirect.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean["RMA_VAR_DIR"] = str(var_dir)
    clean.update(
        DJANGO_SECRET_KEY="x7" * 30 + "-not-a-real-secret-but-long-and-varied-QzR8",
        DJANGO_ALLOWED_HOSTS="testserver",
        **env,
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    (answer,) = [line for line in out.stdout.splitlines() if re.match(r"\d{3} ", line)]
    return answer


def test_x_forwarded_proto_from_a_client_is_not_believed_by_default(tmp_path):
    # No proxy declared: the plain-HTTP request is redirected to HTTPS and gets no HSTS.
    assert run({}, tmp_path) == "301 -"


def test_x_forwarded_proto_is_believed_behind_a_declared_proxy(tmp_path):
    status, hsts = run({"DJANGO_TRUST_PROXY": "1"}, tmp_path).split(" ", 1)

    assert status == "200"
    assert hsts.startswith("max-age=31536000")


def test_x_forwarded_for_is_ignored_without_a_declared_proxy(settings):
    settings.TRUST_PROXY = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_ip(request) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_saw_is_taken_not_what_the_client_wrote(settings):
    settings.TRUST_PROXY = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9"
    )

    assert client_ip(request) == "198.51.100.9"  # "1.2.3.4" was the client's own claim
