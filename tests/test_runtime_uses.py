"""What each tool call does, as the runtime's audit hook sees it (phase 6, part 1).

Tools served by the mcp 1.x SDK's in-memory client read, write, delete, run a program and
connect to an HTTP server on 127.0.0.1; the `tool_call` line of each must list exactly those
uses — folders reduced to the allowed root or top folder, programs to their names, hosts with
their ports — and nothing for a tool that does nothing. The runtime's own log file, the modules
a call imports and what happens outside any call are not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import importlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import mcp.types as mcp_types
import pytest
from mcp.server.fastmcp import FastMCP
from mcp.server.lowlevel import Server
from mcp.shared.memory import create_connected_server_and_client_session

from harden import runtime

pytestmark = pytest.mark.usefixtures("fresh_runtime")


@pytest.fixture
def local_http() -> Iterator[int]:
    """An HTTP server on 127.0.0.1 (a free port), answering every GET."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def server(root: Path, port: int) -> FastMCP:
    mcp = FastMCP("uses")
    data = root / "data"

    @mcp.tool()
    @runtime.observe
    def read_note(name: str) -> str:
        return (data / name).read_text()

    @mcp.tool()
    @runtime.observe
    def write_note(name: str, text: str) -> str:
        (data / name).write_text(text)
        return "ok"

    @mcp.tool()
    @runtime.observe
    def delete_note(name: str) -> str:
        os.remove(data / name)
        return "ok"

    @mcp.tool()
    @runtime.observe
    def git_version() -> str:
        git = shutil.which("git") or "git"
        return subprocess.run([git, "--version"], capture_output=True, text=True).stdout

    @mcp.tool()
    @runtime.observe
    def fetch() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            return str(answer.status)

    @mcp.tool()
    @runtime.observe
    async def read_in_thread(name: str) -> str:
        return await asyncio.to_thread((data / name).read_text)

    @mcp.tool()
    @runtime.observe
    def fresh_import() -> str:
        return importlib.import_module("uses_helper_module").VALUE

    @mcp.tool()
    @runtime.observe
    def nothing() -> str:
        return "idle"

    @mcp.tool()
    @runtime.observe
    def error_report() -> str:
        try:
            raise LookupError("no such note")
        except LookupError as error:
            return runtime.error_ref(error)  # logged now, during the call

    return mcp


CALLS: list[tuple[str, dict[str, Any]]] = [
    # First: its log line is the first, so the runtime opens HARDEN_LOG_FILE during the call.
    ("error_report", {}),
    ("write_note", {"name": "a.txt", "text": "hello"}),
    ("read_note", {"name": "a.txt"}),
    ("read_in_thread", {"name": "a.txt"}),
    ("delete_note", {"name": "a.txt"}),
    ("git_version", {}),
    ("fetch", {}),
    ("fresh_import", {}),
    ("nothing", {}),
]


def uses_per_tool(
    root: Path, port: int, capsys: pytest.CaptureFixture[str]
) -> dict[str, list[str]]:
    async def run() -> None:
        async with create_connected_server_and_client_session(
            server(root, port)._mcp_server
        ) as client:
            for tool, arguments in CALLS:
                result = await client.call_tool(tool, arguments)
                assert not result.isError, (tool, result)

    anyio.run(run)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line[:2] == '{"']
    return {line["tool"]: line["uses"] for line in lines if line["event"] == "tool_call"}


def test_each_call_lists_exactly_what_it_did(
    tmp_path: Path, local_http: int, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    root = tmp_path / "server"
    (root / "data").mkdir(parents=True)
    (root / "uses_helper_module.py").write_text("VALUE = 'imported'\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(root))
    # The runtime's own log file, written during every call, is no use of the tool's.
    monkeypatch.setenv("HARDEN_LOG_FILE", str(tmp_path / "harden.log"))
    allowed = os.path.normcase(os.path.realpath(root))
    uses = uses_per_tool(root, local_http, capsys)
    assert uses == {
        "write_note": [f"fs:write:{allowed}"],
        "read_note": [f"fs:read:{allowed}"],
        "read_in_thread": [f"fs:read:{allowed}"],  # asyncio.to_thread keeps the call's context
        "delete_note": [f"fs:write:{allowed}"],
        "git_version": ["exec:git"],
        "fetch": [f"net:127.0.0.1:{local_http}"],
        "fresh_import": [],  # importing a module is not reading a file
        "nothing": [],
        "error_report": [],
    }
    assert (tmp_path / "harden.log").read_text().count('"event":"tool_call"') == len(CALLS)


def test_a_path_outside_the_roots_is_reduced_to_its_top_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(tmp_path))
    assert runtime._file_use("read", "/etc/hostname") == "fs:read:/etc"
    assert runtime._file_use("write", tmp_path / "deep" / "x") == (
        f"fs:write:{os.path.normcase(os.path.realpath(tmp_path))}"
    )
    assert runtime._uses("open", (3, "rb", 0)) == []  # a descriptor opened already
    assert runtime._executed(
        "subprocess.Popen", ("/bin/sh", ["/bin/sh", "-c", "ls"], None, None)
    ) == ("exec:sh")
    assert runtime._executed("os.system", (b"ls -l",)) == "exec:sh"
    assert runtime._connected("socket.getaddrinfo", ("Example.COM", 443, 0, 0, 0)) == [
        "net:example.com:443"
    ]


def test_nothing_is_counted_outside_a_call_and_the_hook_is_installed_once(tmp_path) -> None:
    runtime.observe(lambda: None)
    runtime.observe(lambda: None)
    holder = sys.modules[runtime._SHARED_STATE]
    assert holder.audit_hook is runtime._audit  # the hook of the first copy, installed once
    (tmp_path / "x").write_text("outside any call")  # no call in progress: nothing to add to
    assert runtime._current_call.get() is None


def test_a_path_right_under_the_root_folder_is_in_the_root_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(tmp_path))
    assert runtime._file_use("read", "/customer-4711-invoice.pdf") == "fs:read:/"
    assert runtime._file_use("write", "/srv") == "fs:write:/"
    assert runtime._file_use("read", "/") == "fs:read:/"
    assert runtime._file_use("read", "/srv/customer-4711/invoice.pdf") == "fs:read:/srv"


def tool_call_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line[:2] == '{"']
    return [line for line in lines if line["event"] == "tool_call"]


def test_a_call_refused_before_its_handler_ran_was_not_observed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    mcp = FastMCP("refusing")

    @mcp.tool()
    @runtime.observe
    @runtime.validate
    def stat(path: str) -> str:
        return path

    low: Server[Any, Any] = Server("low")

    @low.list_tools()
    async def list_tools() -> list[mcp_types.Tool]:
        schema = {"type": "object", "properties": {"path": {"type": "string"}}}
        return [mcp_types.Tool(name="stat", inputSchema=schema)]

    @low.call_tool()
    @runtime.observe(lowlevel=True)
    @runtime.validate(lowlevel=True)
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[mcp_types.TextContent]:
        return [mcp_types.TextContent(type="text", text=arguments["path"])]

    async def run() -> None:
        for served in (mcp._mcp_server, low):
            async with create_connected_server_and_client_session(served) as client:
                for path in ("../../etc/passwd", "notes.txt"):
                    result = await client.call_tool("stat", {"path": path})
                    assert result.isError is (path != "notes.txt")

    anyio.run(run)
    calls = tool_call_lines(capsys)
    assert [(line["isError"], line.get("uses", "not observed")) for line in calls] == [
        (True, "not observed"),  # validate refused it: the handler never ran
        (False, []),  # it ran, and did nothing the hook sees
    ] * 2


def test_datagrams_lookups_file_times_and_databases_are_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "server"
    root.mkdir()
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(root))
    allowed = os.path.normcase(os.path.realpath(root))
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    port = receiver.getsockname()[1]
    (root / "stamp").touch()
    mcp = FastMCP("more")

    @mcp.tool()
    @runtime.observe
    def send_datagram() -> str:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"ping", ("127.0.0.1", port))
            sender.sendmsg([b"pong"], [], 0, ("127.0.0.1", port))
        return "sent"

    @mcp.tool()
    @runtime.observe
    def look_up() -> str:
        socket.gethostbyname("localhost")
        socket.gethostbyname_ex("localhost")
        with contextlib.suppress(OSError):  # no name for it here: looked up all the same
            socket.gethostbyaddr("127.0.0.1")
        return "looked up"

    @mcp.tool()
    @runtime.observe
    def touch() -> str:
        os.utime(root / "stamp", (0, 0))
        return "touched"

    @mcp.tool()
    @runtime.observe
    def store() -> str:
        for database in (":memory:", str(root / "notes.db")):
            with contextlib.closing(sqlite3.connect(database)) as connection:
                connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
        return "stored"

    @mcp.tool()
    @runtime.observe
    def in_memory() -> str:
        with contextlib.closing(sqlite3.connect(":memory:")):
            return "kept in memory"

    async def run() -> None:
        async with create_connected_server_and_client_session(mcp._mcp_server) as client:
            for tool in ("send_datagram", "look_up", "touch", "store", "in_memory"):
                assert not (await client.call_tool(tool, {})).isError

    anyio.run(run)
    assert [receiver.recv(16) for _ in range(2)] == [b"ping", b"pong"]
    receiver.close()
    uses = {line["tool"]: line["uses"] for line in tool_call_lines(capsys)}
    assert uses == {
        "send_datagram": [f"net:127.0.0.1:{port}"],
        "look_up": ["net:127.0.0.1:", "net:localhost:"],  # a lookup names no port
        "touch": [f"fs:write:{allowed}"],
        "store": [f"fs:write:{allowed}"],
        "in_memory": [],
    }
    assert runtime._uses("sqlite3.connect", (f"file:{root}/notes.db?mode=ro",)) == [
        f"fs:read:{allowed}"
    ]
    assert runtime._uses("sqlite3.connect", ("file::memory:?cache=shared",)) == []
