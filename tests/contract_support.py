"""What the tests of `harden contract` share: the fixture server's project, running harden."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harden.contract.server import marked_processes

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "contract"
SERVER = [sys.executable, "notes_server.py"]
TIMEOUT_SECONDS = 120


def make_project(folder: Path) -> Path:
    """The notes server and its cases file, as a user's project holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE / "notes_server.py", folder / "notes_server.py")
    (folder / ".harden").mkdir(exist_ok=True)
    shutil.copy(FIXTURE / "contract-cases.toml", folder / ".harden" / "contract-cases.toml")
    return folder


def harden(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harden", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """verify's --format json report."""
    assert done.stdout.startswith("{"), done.stdout + done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def places(data: dict[str, Any], kind: str = "failures") -> set[tuple[str, str, str, str]]:
    """(section, item, path, change) of each difference of a report."""
    return {(d["section"], d["item"], d["path"], d["change"]) for d in data[kind]}


def wait_for_server(marker: str, running: subprocess.Popen[str], seconds: float = 60) -> None:
    """Until a server started with `--env CONTRACT_TEST=<marker>` runs (harden still running)."""
    deadline = time.monotonic() + seconds
    while not marked_processes(f"CONTRACT_TEST={marker}"):
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "the server never started"
        time.sleep(0.05)


def start_harden(*args: str, cwd: Path, scratch: Path) -> subprocess.Popen[str]:
    """`harden ARGS` running in the background, its temporary files under `scratch`."""
    return subprocess.Popen(
        [sys.executable, "-m", "harden", *args],
        cwd=cwd,
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
