"""Runtime and development dependencies are locked apart: the image installs requirements.lock
(no test tools), ./dev setup and CI install requirements-dev.lock (runtime + test tools)."""

import re

from tests.conftest import ROOT

TEST_TOOLS = {
    "pytest",
    "pytest-django",
    "playwright",
    "schemathesis",
    "hypothesis",
    "ruff",
    "moto",
    "factory-boy",
    "uv",
}


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", line)
        if match:
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def test_the_runtime_lock_holds_no_test_tools():
    runtime = pins("requirements.lock")

    assert {"django", "celery", "weasyprint", "django-storages", "boto3"} <= set(runtime)
    assert not TEST_TOOLS & set(runtime)


def test_the_dev_lock_is_the_runtime_lock_plus_the_test_tools_at_the_same_versions():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")

    assert set(dev) >= TEST_TOOLS
    assert {name: dev.get(name) for name in runtime} == runtime


def test_every_line_of_both_locks_is_an_exact_pin():
    for name in ("requirements.lock", "requirements-dev.lock"):
        lines = [
            line
            for line in (ROOT / name).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        assert lines and all("==" in line for line in lines), name


def test_the_image_installs_the_runtime_lock_and_setup_and_ci_the_dev_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    dev = (ROOT / "dev").read_text()
    ci = (ROOT / ".ci/run").read_text()

    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    commands = [line for line in dockerfile.splitlines() if not line.startswith("#")]
    assert not any("requirements-dev.lock" in line for line in commands)
    assert "-r requirements-dev.lock" in dev
    assert "./dev setup" in ci and "./dev lock --check" in ci
