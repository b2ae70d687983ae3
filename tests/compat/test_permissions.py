"""Phase 6 against this environment's SDK: observe, write the policy from the logs, enforce it.

A server of this SDK line whose tools read a note, write one (declared read-only: the hidden
write path), run a program, fetch from an HTTP server on 127.0.0.1 (declared closed-world), do
nothing, and one that is never called, is hardened with the installed `harden apply --phase 1`,
called through the SDK's in-memory client with HARDEN_LOG_FILE set, and then given phase 6 from
that log (`harden apply --phase 6 --logs LOG`). Each tool gets exactly the uses its calls made as
its policy; `list_tools` differs from before only in the annotations the dry run says it
changes; the tool never called is listed unfixed with the reason. With ENFORCE_PERMISSIONS=true
a write, a program and a host outside the policy are refused and do not happen, while every use
inside it behaves as before.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from compat_support import FAMILY, JSON, connect, events, loaded_as_deployed
from conftest import harden_apply, harden_command

SERVER_CLASS = {
    "mcp1": "from mcp.server.fastmcp import FastMCP as Server",
    "mcp2": "from mcp.server.mcpserver import MCPServer as Server",
    "fastmcp": "from fastmcp import FastMCP as Server",
}[FAMILY]
# As each line documents them: mcp 2.x's fields are snake_case.
READ_ONLY, OPEN_WORLD = (
    ("read_only_hint", "open_world_hint")
    if FAMILY == "mcp2"
    else (
        "readOnlyHint",
        "openWorldHint",
    )
)

SOURCE = f"""\
from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

from mcp.types import ToolAnnotations

{SERVER_CLASS}

mcp = Server("notes")
NOTES = Path(os.environ["NOTES_DIR"])


@mcp.tool()
def read_note(name: str) -> str:
    return (NOTES / name).read_text()


@mcp.tool(annotations=ToolAnnotations({READ_ONLY}=True))
def write_note(name: str, text: str) -> str:
    (NOTES / name).write_text(text)
    return "saved"


@mcp.tool()
def run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()


@mcp.tool(annotations=ToolAnnotations({OPEN_WORLD}=False))
def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


@mcp.tool()
def noop() -> str:
    return "nothing"


@mcp.tool()
def never() -> str:
    return "never called"
"""


class LocalHttp:
    """An HTTP server on 127.0.0.1 (a free port) counting the requests that reach it."""

    def __init__(self) -> None:
        counts = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                counts.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"hello")

            def log_message(self, *args: object) -> None:
                pass

        self.requests = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def http_server() -> Iterator[LocalHttp]:
    server = LocalHttp()
    yield server
    server.close()


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notes")
    (folder / "welcome.txt").write_text("hello")
    return folder


def observed_calls(port: int) -> list[tuple[str, JSON]]:
    return [
        ("read_note", {"name": "welcome.txt"}),
        ("write_note", {"name": "draft.txt", "text": "a draft"}),
        ("run", {"argv": ["git", "--version"]}),
        ("fetch", {"url": f"http://127.0.0.1:{port}/"}),
        ("noop", {}),
    ]


async def _exchange(module: ModuleType, calls: list[tuple[str, JSON]]) -> dict[str, Any]:
    async with connect(module.mcp) as session:
        listing = await session.list_tools()
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
    return {"tools": {tool["name"]: tool for tool in listing}, "results": results}


def served(
    path: Path, label: str, calls: list[tuple[str, JSON]]
) -> tuple[dict[str, Any], list[JSON]]:
    """The server's listing and each call's result, and the runtime's lines meanwhile."""
    with loaded_as_deployed(path, label) as (module, captured):
        exchanged = asyncio.run(_exchange(module, calls))
    return exchanged, events(captured.getvalue())


@pytest.fixture(scope="module")
def phases(
    tmp_path_factory: pytest.TempPathFactory, notes: Path, http_server: LocalHttp
) -> Iterator[dict[str, Any]]:
    hardened = tmp_path_factory.mktemp("permissions-hardened")
    log = tmp_path_factory.mktemp("permissions-logs") / "server.log"
    (hardened / "notes_server.py").write_text(SOURCE)
    harden_apply(1, hardened)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("NOTES_DIR", str(notes))
        monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(notes))
        monkeypatch.setenv("HARDEN_LOG_FILE", str(log))
        monkeypatch.delenv("ENFORCE_PERMISSIONS", raising=False)
        observed, _ = served(
            hardened / "notes_server.py", "observed", observed_calls(http_server.port)
        )
        command = [harden_command(), "apply", "-p", "6", "--logs", str(log), "--dry-run"]
        dry = subprocess.run(
            [*command, "--format", "json", str(hardened)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert dry.returncode == 0, dry.stderr
        output = harden_apply(6, hardened, "--logs", str(log))
        monkeypatch.delenv("HARDEN_LOG_FILE")
        after, _ = served(hardened / "notes_server.py", "scoped", [])
        yield {
            "hardened": hardened,
            "observed": observed,
            "dry_run": json.loads(dry.stdout),
            "output": output,
            "after": after,
            "log": log,
        }


def test_the_policy_is_what_each_tool_did(phases: dict[str, Any], notes: Path) -> None:
    source = (phases["hardened"] / "notes_server.py").read_text()
    port = next(
        line["uses"][0].rsplit(":", 1)[1]
        for line in map(json.loads, phases["log"].read_text().splitlines())
        if line.get("tool") == "fetch"
    )
    root = str(notes)
    for policy in (
        f'@harden_runtime.permissions(uses=("fs:read:{root}",))\ndef read_note',
        f'@harden_runtime.permissions(uses=("fs:write:{root}",))\ndef write_note',
        '@harden_runtime.permissions(uses=("exec:git",))\ndef run',
        f'@harden_runtime.permissions(uses=("net:127.0.0.1:{port}",))\ndef fetch',
        "@harden_runtime.permissions(uses=())\ndef noop",
    ):
        assert policy in source
    assert "permissions" not in source.split("def never")[0].rsplit("def noop", 1)[1]
    # Left alone, with the reason: the tool the logs never saw called (the only one).
    unfixed = [line for line in phases["output"].splitlines() if "not rewritten" in line]
    assert len(unfixed) == 1
    assert unfixed[0].endswith(
        "(harden mcp-tool-permissions-unscoped): no policy written: no call of this tool in the "
        "logs given"
    )
    compile(source, "notes_server.py", "exec")


def test_list_tools_differs_only_in_the_annotations_it_says_it_changed(
    phases: dict[str, Any],
) -> None:
    before, after = phases["observed"]["tools"], phases["after"]["tools"]
    assert before.keys() == after.keys()
    changed = {
        name for name in before if before[name].get("annotations") != after[name].get("annotations")
    }
    for name in before:
        strip = {key: value for key, value in before[name].items() if key != "annotations"}
        assert strip == {k: v for k, v in after[name].items() if k != "annotations"}, name
    annotations = {name: after[name].get("annotations") or {} for name in changed}
    assert {
        name: {k: v for k, v in a.items() if k.endswith("Hint")} for name, a in annotations.items()
    } == {
        "read_note": {"readOnlyHint": True},
        "write_note": {"readOnlyHint": False},
        "fetch": {"openWorldHint": True},
        "noop": {"readOnlyHint": True},
    }
    said = {
        finding["message"].split("`")[1]
        for rewrite in phases["dry_run"]["rewrites"]
        for finding in rewrite["fixes"]
        if finding["message"].startswith("the annotations of MCP tool")
    }
    assert said == changed


def test_enforced_a_use_outside_the_policy_does_not_happen(
    phases: dict[str, Any],
    notes: Path,
    http_server: LocalHttp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTES_DIR", str(notes))
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(notes))
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")
    outside = tmp_path / "outside.txt"
    marker = tmp_path / "ran"
    requests = http_server.requests
    calls = [
        *observed_calls(http_server.port),  # inside the policy: as before
        ("write_note", {"name": str(outside), "text": "x"}),
        ("run", {"argv": [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]}),
        ("fetch", {"url": f"http://localhost:{http_server.port}/"}),
    ]
    exchanged, lines = served(phases["hardened"] / "notes_server.py", "enforced", calls)
    results = exchanged["results"]
    inside, refused = results[:5], results[5:]
    assert [r.get("isError", False) for r in inside] == [False] * 5
    assert inside[0]["content"][0]["text"] == "hello"
    assert inside[3]["content"][0]["text"] == "hello"
    assert [r.get("isError") for r in refused] == [True, True, True]
    assert not outside.exists() and not marker.exists()
    assert http_server.requests == requests + 1  # the fetch inside the policy, only
    denied = {
        (line["tool"], line["capability"]) for line in lines if line["event"] == "PERMISSION_DENIED"
    }
    assert denied == {
        ("write_note", f"fs:write:{outside.parts[0]}{outside.parts[1]}"),
        ("run", f"exec:{Path(sys.executable).name}"),
        ("fetch", f"net:localhost:{http_server.port}"),
    }


LOWLEVEL = {
    "mcp1": """\
import os
from pathlib import Path

import mcp.types as types
from mcp.server.lowlevel import Server

server = Server("notes-lowlevel")
NOTES = Path(os.environ["NOTES_DIR"])
TOOLS = [
    types.Tool(name="save", inputSchema={"type": "object"}),
    types.Tool(name="ping", inputSchema={"type": "object"}),
]


@server.list_tools()
async def list_tools() -> list[types.Tool]:
    return TOOLS


@server.call_tool()
async def call_tool(name: str, arguments: dict) -> list[types.TextContent]:
    if name == "save":
        (NOTES / arguments["name"]).write_text("note")
    return [types.TextContent(type="text", text="done " + name)]
""",
    "mcp2": """\
import os
from pathlib import Path

import mcp.types as types
from mcp.server import ServerRequestContext
from mcp.server.lowlevel import Server

NOTES = Path(os.environ["NOTES_DIR"])
TOOLS = [
    types.Tool(name="save", input_schema={"type": "object"}),
    types.Tool(name="ping", input_schema={"type": "object"}),
]


async def list_tools(
    ctx: ServerRequestContext, params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    return types.ListToolsResult(tools=TOOLS)


async def call_tool(
    ctx: ServerRequestContext, params: types.CallToolRequestParams
) -> types.CallToolResult:
    if params.name == "save":
        (NOTES / (params.arguments or {})["name"]).write_text("note")
    text = types.TextContent(type="text", text="done " + params.name)
    return types.CallToolResult(content=[text])


server = Server("notes-lowlevel", on_list_tools=list_tools, on_call_tool=call_tool)
""",
}.get(FAMILY)


async def _lowlevel_exchange(module: ModuleType, calls: list[tuple[str, JSON]]) -> dict[str, Any]:
    async with connect(module.server) as session:
        listing = await session.list_tools()
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
    return {"tools": listing, "results": results}


@pytest.mark.skipif(LOWLEVEL is None, reason="fastmcp has no low-level server of its own")
def test_a_lowlevel_server_gets_a_policy_per_tool_and_refusals_as_error_results(
    tmp_path: Path, notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert LOWLEVEL is not None
    server = tmp_path / "lowlevel_notes.py"
    server.write_text(LOWLEVEL)
    log = tmp_path / "server.log"
    harden_apply(1, tmp_path)
    monkeypatch.setenv("NOTES_DIR", str(notes))
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(notes))
    monkeypatch.setenv("HARDEN_LOG_FILE", str(log))
    monkeypatch.delenv("ENFORCE_PERMISSIONS", raising=False)
    calls = [("save", {"name": "low.txt"}), ("ping", {})]
    with loaded_as_deployed(server, "lowlevel-observed") as (module, _):
        before = asyncio.run(_lowlevel_exchange(module, calls))
    harden_apply(6, tmp_path, "--logs", str(log))
    source = "".join(server.read_text().split())
    # (the project's formatter may add a trailing comma after the last argument)
    policy = f'@harden_runtime.permissions(uses={{"ping":(),"save":("fs:write:{notes}",)}},'
    assert policy + "lowlevel=True" in source
    monkeypatch.delenv("HARDEN_LOG_FILE")
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")
    outside = tmp_path / "outside.txt"
    with loaded_as_deployed(server, "lowlevel-enforced") as (module, captured):
        after = asyncio.run(_lowlevel_exchange(module, [*calls, ("save", {"name": str(outside)})]))
    # The handler writes for both tools, so its code shows a write for each: no annotation is
    # proved, and the listing is unchanged.
    assert after["tools"] == before["tools"]
    assert after["results"][:2] == before["results"]
    assert after["results"][2].get("isError") is True  # an error result, not a protocol error
    assert not outside.exists()
    denied = [e for e in events(captured.getvalue()) if e["event"] == "PERMISSION_DENIED"]
    assert [(e["tool"], e["capability"]) for e in denied] == [("save", "fs:write:/tmp")]
