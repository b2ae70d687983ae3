"""Phase 2 gives `validate` what a tool's own code shows: the folders it reads paths under, so
that a client passing a path there is not reported (a path anywhere else still is), and the host
parameters it only shows or resolves, which are no SSRF sink.

The server is rewritten by the validate codemod, written beside the vendored runtime in a
package folder, imported from another working directory, and called through the SDK's
in-memory client.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from harden.codemods.base import FileRun
from harden.codemods.validate import Validate
from harden.vendoring import RUNTIME_FILENAME, runtime_source

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

SERVER = """import os
from pathlib import Path

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("files")
DATA_DIR = Path(__file__).parent / "data"
EXPORTS = os.environ.get("EXPORTS", "/srv/exports")


@mcp.tool()
def read_note(path: str) -> str:
    return (DATA_DIR / path).read_text()


@mcp.tool()
def export(file_name: str, target_dir: str = "/srv/exports/daily") -> str:
    return os.path.join(EXPORTS, file_name) + target_dir


@mcp.tool()
def static(path: str) -> str:
    return (Path(__file__).parent / "static" / path).as_posix()


@mcp.tool()
def later(path: str) -> str:
    return os.path.join(LATER, path)


@mcp.tool()
def shadowed(path: str) -> str:
    DATA_DIR = "/tmp"
    return os.path.join(DATA_DIR, path)


@mcp.tool()
def formatted(path: str) -> str:
    return f"{EXPORTS}/{path}"


LATER = "/srv/later"
"""


def decorators(code: str) -> dict[str, str]:
    """Each tool's validate decorator, by function."""
    found, current = {}, None
    for line in code.splitlines():
        if line.startswith("@harden_runtime.validate"):
            current = line
        elif line.startswith("def ") and current:
            found[line[4 : line.index("(")]] = current
            current = None
    return found


def test_the_folders_the_code_reads_become_the_tools_roots(apply: Apply) -> None:
    rewritten, run = apply(SERVER, Validate)
    assert decorators(rewritten) == {
        "read_note": "@harden_runtime.validate(roots=(DATA_DIR,))",
        "export": '@harden_runtime.validate(roots=("/srv/exports/daily", EXPORTS))',
        "static": '@harden_runtime.validate(roots=(Path(__file__).parent / "static",))',
        # LATER is bound below the function: not yet there when the decorator runs.
        "later": "@harden_runtime.validate",
        # The body's own DATA_DIR is not the module's.
        "shadowed": "@harden_runtime.validate",
        "formatted": "@harden_runtime.validate(roots=(EXPORTS,))",
    }
    (note,) = [r.note for r in run.accepted if "read_note" in r.after]
    assert "Paths under `DATA_DIR` (what `path` is joined to)" in note
    again, _ = apply(rewritten, Validate)
    assert again == rewritten


async def _calls(server: Any, calls: list[tuple[str, dict[str, str]]]) -> None:
    async with create_connected_server_and_client_session(server._mcp_server) as client:
        for name, arguments in calls:
            await client.call_tool(name, arguments)


@pytest.mark.usefixtures("fresh_runtime")
def test_paths_under_the_tools_folder_pass_and_others_are_still_reported(
    apply: Apply,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rewritten, _ = apply(SERVER, Validate)
    package = tmp_path / "notes_server"
    (package / "data").mkdir(parents=True)
    (package / "data" / "todo.md").write_text("buy milk\n")
    (package / "__init__.py").write_text("")
    (package / RUNTIME_FILENAME).write_text(runtime_source())
    (package / "server.py").write_text(
        rewritten.replace("import harden_runtime", "from . import harden_runtime")
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the default root, covering none of the package
    spec = importlib.util.find_spec("notes_server.server")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "notes_server.server", module)
    spec.loader.exec_module(module)
    todo = str(package / "data" / "todo.md")
    asyncio.run(
        _calls(
            module.mcp,
            [
                ("read_note", {"path": todo}),
                ("static", {"path": str(package / "static" / "logo.svg")}),
                ("read_note", {"path": "/etc/passwd"}),
                ("static", {"path": str(package / "data" / "todo.md")}),
            ],
        )
    )
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    rejected = [(e["tool"], e["rule"]) for e in events if e["event"] == "VALIDATION_WOULD_REJECT"]
    assert rejected == [("read_note", "path_outside_roots"), ("static", "path_outside_roots")]
    sys.modules.pop("notes_server.harden_runtime", None)


HOSTS = """import socket
import subprocess

import requests
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("net")


@mcp.tool()
def lookup(hostname: str) -> str:
    name = hostname.strip().lower()
    return f"{name}: {socket.gethostbyname(name)}"


@mcp.tool()
def greet(host: str, port: int = 80) -> str:
    return ", ".join(["hello", host, str(port)])


@mcp.tool()
def fetch(host: str) -> str:
    return requests.get(f"https://{host}/").text


@mcp.tool()
def ping(host: str) -> str:
    return subprocess.run(["ping", "-c", "1", host], capture_output=True, text=True).stdout


@mcp.tool()
def helper(host: str) -> str:
    return describe(host)


def describe(name: str) -> str:
    return name
"""


def test_hosts_a_tool_only_shows_or_resolves_are_named(apply: Apply) -> None:
    rewritten, run = apply(HOSTS, Validate)
    assert decorators(rewritten) == {
        "lookup": '@harden_runtime.validate(names_only=("hostname",))',
        "greet": '@harden_runtime.validate(names_only=("host",))',
        "fetch": "@harden_runtime.validate",
        "ping": "@harden_runtime.validate",
        "helper": "@harden_runtime.validate",  # a helper harden does not look into
    }
    (note,) = [r.note for r in run.accepted if "lookup" in r.after]
    assert "`hostname`: a name this tool only shows or resolves" in note


@pytest.mark.usefixtures("fresh_runtime")
def test_a_shown_host_is_no_ssrf_sink_but_still_no_shell_syntax(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from client_calls import client_request

    from harden import runtime

    def lookup(host: str) -> str:
        return host

    def fetch(host: str) -> str:
        return host

    shown = runtime.validate(names_only=["host"])(lookup)
    checked = runtime.validate(fetch)
    with client_request():
        for value in ("localhost", "127.0.0.1", "http://169.254.169.254/", "x; touch PWNED"):
            shown(host=value)
            checked(host=value)
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["tool"], e["rule"]) for e in events] == [
        ("fetch", "ssrf"),
        ("fetch", "ssrf"),
        ("fetch", "ssrf"),
        ("lookup", "shell_metachar"),
        ("fetch", "shell_metachar"),
    ]
