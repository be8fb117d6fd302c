"""Threat: running in production with a published secret key (sessions, password-reset and
invitation tokens forgeable). docker-compose has no default; the web server refuses the
embedded key and every known placeholder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def start_web(secret_key=None, debug=False):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    if secret_key is not None:
        env["DJANGO_SECRET_KEY"] = secret_key
    if debug:
        env["DJANGO_DEBUG"] = "1"
    return subprocess.run(
        [sys.executable, "-c", "import rma_portal.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "key",
    ["change-me-to-a-long-random-string-before-any-real-use", "changeme", "CHANGE-ME-please"],
)
def test_the_web_server_refuses_a_published_placeholder_key(key):
    for debug in (False, True):
        out = start_web(key, debug=debug)

        assert out.returncode != 0
        assert "DJANGO_SECRET_KEY is a published placeholder" in out.stderr


def test_the_web_server_starts_with_a_real_key():
    assert start_web("x7" * 30 + "-not-a-real-secret-but-long-and-varied-QzR8").returncode == 0


def test_docker_compose_requires_a_secret_key_and_ships_none():
    compose = (ROOT / "docker-compose.yml").read_text()

    assert "DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY:?" in compose
    assert "change-me" not in compose
