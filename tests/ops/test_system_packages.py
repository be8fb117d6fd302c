"""One list of Debian packages (system-packages.txt) for ./dev up, ./dev test, CI and the image;
./dev installs what is missing as root, and otherwise stops naming the exact command."""

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def listed(scope: str) -> list[str]:
    out = subprocess.run(
        [
            "bash",
            "-c",
            f"source <(sed -n '/^system_package_names()/,/^}}/p' dev); "
            f"system_package_names {scope}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def test_the_list_holds_pango_and_the_korean_font_for_runtime_and_chromium_for_tests():
    runtime, everything = listed("runtime"), listed("all")

    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "fonts-nanum"} <= set(runtime)
    assert "chromium" not in runtime and "wrk" not in runtime
    # "all" (CI): the tests' browser and the benchmarks' load generator as well.
    assert set(everything) == set(runtime) | {"chromium", "wrk"}


def test_ci_and_the_image_read_the_same_list():
    ci = (ROOT / ".ci/run").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "./dev system-packages all" in ci
    assert "apt-get install" not in ci  # no second list
    assert "COPY system-packages.txt" in dockerfile
    assert '$1 == "runtime"' in dockerfile
    assert "fonts-nanum" not in dockerfile


def test_without_root_dev_up_stops_and_names_the_command(tmp_path: Path):
    # A non-root user on a machine without the Korean font: `id -u` and `dpkg-query` answer as
    # they would there (the shell script is what is under test, not Debian).
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "id").write_text("#!/bin/sh\necho 1000\n")
    real = subprocess.run(
        ["bash", "-c", "command -v dpkg-query"], capture_output=True, text=True
    ).stdout.strip()
    (shims / "dpkg-query").write_text(
        "#!/bin/sh\nfor a; do last=$a; done\n"
        f'[ "$last" = fonts-nanum ] && exit 1\nexec {real} "$@"\n'
    )
    for shim in shims.iterdir():
        shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{shims}:{os.environ['PATH']}")

    result = subprocess.run(
        ["./dev", "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "Missing system packages: fonts-nanum" in result.stderr
    assert "sudo apt-get update && sudo apt-get install -y fonts-nanum" in result.stderr
    assert not re.search(r"Installing|migrat", result.stdout)
