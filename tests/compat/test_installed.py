"""A hardened project, installed as a wheel, starts and answers its clients as before.

fixtures/compat/<family>/installed is a project whose server lives in a namespace package of a
`src/` layout (no `__init__.py`), raises the project's own exception with a message written for
the client, and (fastmcp) has a plain function handing back a coroutine. It is installed with
pip as a real wheel, and so is a copy after `harden apply --phase 1, 2, 3 and 5`; each is
started in a fresh interpreter from its site-packages, outside the project, and called through
the SDK's own client. Every answer is the same, but for the text of an unexpected exception,
which the hardened server's client gets as a ref.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from compat_support import COMPAT_SERVERS, FAMILY, JSON, SDK, events
from conftest import TIMEOUT_SECONDS, clean_environment, harden_apply

PROJECT = COMPAT_SERVERS / FAMILY / "installed"
SECRET = "hunter2"
CALLS: list[tuple[str, JSON]] = [
    ("lookup", {"key": "a"}),
    ("crash", {"key": "a"}),
    ("run", {"command": "ls"}),
    ("run", {"command": "rm -rf /"}),  # the project's own exception, raised for the client
    ("screen", {"command": "sudo ls"}),  # caught, and its text returned
    *([("fetch", {"key": "b"}), ("fetch", {"key": "z"})] if FAMILY == "fastmcp" else []),
]

# Run in a fresh interpreter whose path holds only the installed project (and this directory,
# for the client): the project's own folder is nowhere near.
START = """
import asyncio, json, sys
from compat_support import connect
from notes_app.server import mcp

async def main():
    async with connect(mcp) as session:
        print(json.dumps([await session.call_tool(n, a) for n, a in json.loads(sys.argv[1])]))

asyncio.run(main())
"""


def _install(project: Path, site: Path) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation"),
            *("--no-deps", "--no-index", "--target", str(site), str(project)),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
    )


def _start(site: Path) -> tuple[list[JSON], str]:
    """Each call's result, and the server's stderr."""
    environment = clean_environment()
    environment["PYTHONPATH"] = os.pathsep.join([str(site), str(Path(__file__).parent)])
    process = subprocess.run(
        [sys.executable, "-c", START, json.dumps(CALLS)],
        cwd=site.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout), process.stderr


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[JSON], str]]:
    found = {}
    for side in ("original", "hardened"):
        root = tmp_path_factory.mktemp(side)
        project = root / "project"
        shutil.copytree(PROJECT, project)
        if side == "hardened":
            for phase in (1, 2, 3, 5):
                harden_apply(phase, project)
        _install(project, root / "site")
        found[side] = _start(root / "site")
    return found


def test_the_hardened_project_installs_and_imports_its_runtime_from_the_package(
    answers: dict[str, tuple[list[JSON], str]],
) -> None:
    _, stderr = answers["hardened"]
    calls = [event for event in events(stderr) if event["event"] == "tool_call"]
    assert [event["tool"] for event in calls] == [name for name, _ in CALLS]


def test_every_answer_is_the_same_but_an_unexpected_exceptions_text(
    answers: dict[str, tuple[list[JSON], str]],
) -> None:
    original, _ = answers["original"]
    hardened, stderr = answers["hardened"]
    assert SECRET not in json.dumps(hardened)
    masked = []
    for (name, arguments), before, after in zip(CALLS, original, hardened, strict=True):
        if before == after:
            continue
        masked.append((name, arguments))
        assert after["isError"] is True and "internal error (ref " in json.dumps(after)
    # mcp 2.x hides an exception's text itself: there, nothing is left to mask.
    expected = [] if SDK == "mcp2" else [("crash", {"key": "a"})]
    if FAMILY == "fastmcp":
        expected.append(("fetch", {"key": "z"}))  # followed until fastmcp awaited it
    assert masked == expected
    details = [event for event in events(stderr) if event["event"] == "TOOL_ERROR_DETAIL"]
    assert len(details) == len(expected)
