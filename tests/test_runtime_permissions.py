"""Holding each tool call to its policy (phase 6, part 4): `permissions(uses=...)`.

Tools served by the mcp 1.x SDK's in-memory client read, write, delete, run a program and fetch
from an HTTP server on 127.0.0.1. Without ENFORCE_PERMISSIONS a use outside the policy changes
nothing but one `PERMISSION_WOULD_DENY` line per call and capability (never a path, a name or a
value); with it the audit hook refuses the use before it happens: the file is not written, the
program not started, the HTTP server never sees the connection, and the client gets an error
result. Inside the policy everything behaves as before.
"""

from __future__ import annotations

import dataclasses
import http.server
import importlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator, Mapping
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

NAME = "private-name.txt"  # a value: never in a permission line
TEXT = "private text"


@dataclasses.dataclass
class LocalHttp:
    port: int = 0
    connections: int = 0  # accepted by the server, whether or not a request followed
    requests: int = 0


@pytest.fixture
def local_http() -> Iterator[LocalHttp]:
    """An HTTP server on 127.0.0.1 (a free port) that counts what reaches it."""
    counts = LocalHttp()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            counts.requests += 1
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    class Counting(http.server.ThreadingHTTPServer):
        def verify_request(self, request: Any, client_address: Any) -> bool:
            counts.connections += 1
            return True

    server = Counting(("127.0.0.1", 0), Handler)
    counts.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield counts
    finally:
        server.shutdown()
        server.server_close()


@dataclasses.dataclass
class Site:
    """A server's folder: `data` for the notes, the marker program and the file it makes."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def marker(self) -> Path:
        return self.root / "marker"

    @property
    def allowed(self) -> str:
        return os.path.normcase(os.path.realpath(self.root))


@pytest.fixture
def site(tmp_path: Path, local_http: LocalHttp, monkeypatch: pytest.MonkeyPatch) -> Site:
    site = Site(tmp_path / "server", local_http.port)
    site.data.mkdir(parents=True)
    mark = site.root / "mark"
    mark.write_text('#!/bin/sh\ntouch "$1"\n')
    mark.chmod(0o755)
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(site.root))
    return site


@pytest.fixture
def enforced(fresh_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENFORCE_PERMISSIONS on (after the runtime is reset as a server starts it): a use outside
    the policy is refused."""
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")


def fetched(url: str) -> str:
    # No proxy from the environment: the connection goes where the URL says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as answer:
        return answer.read().decode()


def server(site: Site, policies: Mapping[str, tuple[str, ...]] | None) -> FastMCP:
    """The tools, each under `permissions(uses=policies[name])`; None: no permissions at all."""
    mcp = FastMCP("permissions")

    def hardened(fn: Callable[..., str]) -> Callable[..., str]:
        if policies is not None:
            fn = runtime.permissions(uses=policies[fn.__name__])(fn)
        return mcp.tool()(runtime.observe(fn))

    @hardened
    def write_note(name: str, text: str) -> str:
        (site.data / name).write_text(text)
        with open(site.data / name, "a") as note:  # a second write: still one capability
            note.write("!")
        return "written"

    @hardened
    def read_note(name: str) -> str:
        return (site.data / name).read_text()

    @hardened
    def delete_note(name: str) -> str:
        os.remove(site.data / name)
        return "deleted"

    @hardened
    def git_version() -> str:
        git = shutil.which("git") or "git"
        return subprocess.run([git, "--version"], capture_output=True, text=True).stdout

    @hardened
    def run_marker() -> str:
        subprocess.run([str(site.root / "mark"), str(site.marker)], check=True)
        return "ran"

    @hardened
    def fetch(host: str) -> str:
        return fetched(f"http://{host}:{site.port}/")

    @hardened
    def nothing() -> str:
        return "idle"

    if policies is not None:

        @mcp.tool()
        @runtime.observe
        @runtime.mask_errors
        @runtime.permissions(uses=policies["masked_write"])
        def masked_write(name: str) -> str:
            (site.data / name).write_text(TEXT)
            return "written"

    return mcp


def inside(site: Site) -> dict[str, tuple[str, ...]]:
    """Each tool's policy as its observed uses."""
    return {
        "write_note": (f"fs:write:{site.allowed}",),
        "read_note": (f"fs:read:{site.allowed}",),
        "delete_note": (f"fs:write:{site.allowed}",),
        "git_version": ("exec:git",),
        "run_marker": ("exec:mark",),
        "fetch": (f"net:localhost:{site.port}", f"net:127.0.0.1:{site.port}"),
        "nothing": (),
        "masked_write": (f"fs:write:{site.allowed}",),
    }


def nothing_allowed() -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(TOOLS, ())


TOOLS = (
    "write_note",
    "read_note",
    "delete_note",
    "git_version",
    "run_marker",
    "fetch",
    "nothing",
    "masked_write",
)


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("write_note", {"name": NAME, "text": TEXT}),
    ("read_note", {"name": NAME}),
    ("delete_note", {"name": NAME}),
    ("git_version", {}),
    ("run_marker", {}),
    ("fetch", {"host": "localhost"}),  # a name: looked up, then its address connected to
    ("fetch", {"host": "127.0.0.1"}),  # an address: no lookup by name
    ("nothing", {}),
]


def call_all(
    mcp_server: Any, calls: list[tuple[str, dict[str, Any]]]
) -> list[mcp_types.CallToolResult]:
    async def run() -> list[mcp_types.CallToolResult]:
        async with create_connected_server_and_client_session(mcp_server) as client:
            return [await client.call_tool(tool, arguments) for tool, arguments in calls]

    return anyio.run(run)


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    captured = capsys.readouterr()
    return [json.loads(line) for line in captured.err.splitlines() if line.startswith('{"v"')]


def permission_lines(lines: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (line["event"], line["tool"], line["capability"])
        for line in lines
        if line["event"].startswith("PERMISSION_")
    ]


def outcome(result: mcp_types.CallToolResult) -> tuple[bool, list[str]]:
    return result.isError, [getattr(part, "text", "") for part in result.content]


def test_warn_only_changes_nothing_and_logs_each_use_outside_once_per_call(
    site: Site, local_http: LocalHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    before = [outcome(result) for result in call_all(server(site, None)._mcp_server, CALLS)]
    assert not any(is_error for is_error, _ in before), before
    assert site.marker.exists() and local_http.requests == 2
    site.marker.unlink()
    capsys.readouterr()

    after = [
        outcome(result) for result in call_all(server(site, nothing_allowed())._mcp_server, CALLS)
    ]
    assert after == before
    assert site.marker.exists() and local_http.requests == 4  # the program ran, the server served
    assert not (site.data / NAME).exists()  # written, read and deleted as before
    raw = capsys.readouterr().err
    lines = [json.loads(line) for line in raw.splitlines() if line.startswith('{"v"')]
    assert permission_lines(lines) == [
        ("PERMISSION_WOULD_DENY", "write_note", f"fs:write:{site.allowed}"),
        ("PERMISSION_WOULD_DENY", "read_note", f"fs:read:{site.allowed}"),
        ("PERMISSION_WOULD_DENY", "delete_note", f"fs:write:{site.allowed}"),
        ("PERMISSION_WOULD_DENY", "git_version", "exec:git"),
        ("PERMISSION_WOULD_DENY", "run_marker", "exec:mark"),
        # the address localhost answered counts as localhost: one capability, one line
        ("PERMISSION_WOULD_DENY", "fetch", f"net:localhost:{site.port}"),
        ("PERMISSION_WOULD_DENY", "fetch", f"net:127.0.0.1:{site.port}"),
    ]
    for line in lines:
        if line["event"] == "PERMISSION_WOULD_DENY":
            assert set(line) == {"v", "ts", "event", "tool", "caller", "capability"}
    denials = [line for line in raw.splitlines() if "PERMISSION" in line]
    assert not any(value in line for line in denials for value in (NAME, TEXT, str(site.data)))
    # What the calls did is still recorded, the name in place of the address it reached.
    fetches = [line["uses"] for line in lines if line["tool"] == "fetch" and "uses" in line]
    assert fetches == [[f"net:localhost:{site.port}"], [f"net:127.0.0.1:{site.port}"]]


def test_inside_the_policy_nothing_is_logged_and_everything_works_even_enforced(
    site: Site,
    local_http: LocalHttp,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = [outcome(result) for result in call_all(server(site, None)._mcp_server, CALLS)]
    site.marker.unlink()
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")
    capsys.readouterr()
    after = [outcome(result) for result in call_all(server(site, inside(site))._mcp_server, CALLS)]
    assert after == before
    assert site.marker.exists() and local_http.requests == 4
    assert permission_lines(log_lines(capsys)) == []


@pytest.mark.usefixtures("enforced")
def test_a_name_in_the_policy_covers_the_address_its_lookup_reached(
    site: Site, local_http: LocalHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = inside(site) | {"fetch": (f"net:localhost:{site.port}",)}
    served = server(site, policies)._mcp_server
    by_name, by_address = call_all(
        served, [("fetch", {"host": h}) for h in ("localhost", "127.0.0.1")]
    )
    assert outcome(by_name) == (False, ["hello"])
    # The same address with no lookup before it is judged as itself: outside.
    assert by_address.isError and local_http.requests == 1
    assert permission_lines(log_lines(capsys)) == [
        ("PERMISSION_DENIED", "fetch", f"net:127.0.0.1:{site.port}")
    ]


@pytest.mark.usefixtures("enforced")
def test_enforced_a_write_a_program_and_a_host_outside_do_not_happen(
    site: Site, local_http: LocalHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    (site.data / "kept.txt").write_text("kept")
    served = server(site, nothing_allowed())._mcp_server
    results = call_all(
        served,
        [
            ("write_note", {"name": NAME, "text": TEXT}),
            ("delete_note", {"name": "kept.txt"}),
            ("run_marker", {}),
            ("fetch", {"host": "localhost"}),
            ("fetch", {"host": "127.0.0.1"}),
            ("nothing", {}),
        ],
    )
    assert [result.isError for result in results] == [True] * 5 + [False]
    assert not (site.data / NAME).exists()  # not even created empty
    assert (site.data / "kept.txt").read_text() == "kept"
    assert not site.marker.exists()  # the program never started
    assert (local_http.connections, local_http.requests) == (0, 0)
    # The client learns the tool and the capability, nothing of the value.
    write_refusal = results[0].content[0].text  # type: ignore[union-attr]
    assert f"write_note may not use fs:write:{site.allowed}" in write_refusal
    assert NAME not in write_refusal
    lines = log_lines(capsys)
    assert permission_lines(lines) == [
        ("PERMISSION_DENIED", "write_note", f"fs:write:{site.allowed}"),
        ("PERMISSION_DENIED", "delete_note", f"fs:write:{site.allowed}"),
        ("PERMISSION_DENIED", "run_marker", "exec:mark"),
        ("PERMISSION_DENIED", "fetch", f"net:localhost:{site.port}"),
        ("PERMISSION_DENIED", "fetch", f"net:127.0.0.1:{site.port}"),
    ]
    calls = [line for line in lines if line["event"] == "tool_call"]
    # urllib hands the refusal on as the reason of its URLError, as it does any OSError.
    assert [line["error"] for line in calls] == ["PermissionDenied"] * 3 + ["URLError"] * 2 + [None]
    assert all(line["uses"] == [] for line in calls)  # a refused use did not happen


@pytest.mark.usefixtures("enforced")
def test_a_write_policy_lets_the_tool_read_that_folder_not_the_reverse(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    (site.data / NAME).write_text(TEXT)
    writes = (f"fs:write:{site.allowed}",)
    reads = (f"fs:read:{site.allowed}",)
    policies = nothing_allowed() | {"read_note": writes, "write_note": reads}
    read, write = call_all(
        server(site, policies)._mcp_server,
        [("read_note", {"name": NAME}), ("write_note", {"name": "other.txt", "text": "x"})],
    )
    assert outcome(read) == (False, [TEXT])
    assert write.isError and not (site.data / "other.txt").exists()
    assert permission_lines(log_lines(capsys)) == [
        ("PERMISSION_DENIED", "write_note", f"fs:write:{site.allowed}")
    ]


@pytest.mark.parametrize(
    ("programs", "runs"), [("git, mark", True), ("mark/../git,gi", False), ("", False)]
)
@pytest.mark.usefixtures("enforced")
def test_allowed_programs_extend_every_policy(
    site: Site, monkeypatch: pytest.MonkeyPatch, programs: str, runs: bool
) -> None:
    monkeypatch.setenv("HARDEN_ALLOWED_PROGRAMS", programs)
    (result,) = call_all(server(site, nothing_allowed())._mcp_server, [("git_version", {})])
    assert result.isError is not runs
    if runs:
        assert result.content[0].text.startswith("git version")  # type: ignore[union-attr]


def test_configure_sets_the_switch_and_adds_to_the_allowed_programs(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.configure(enforce_permissions=True, allowed_programs=["git"])
    served = server(site, nothing_allowed())._mcp_server
    git, marker = call_all(served, [("git_version", {}), ("run_marker", {})])
    assert (git.isError, marker.isError) == (False, True) and not site.marker.exists()
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "false")  # the environment has the last word
    (marker,) = call_all(served, [("run_marker", {})])
    assert not marker.isError and site.marker.exists()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under `.test` resolve to 127.0.0.1, as a DNS server would answer them (with the
    one audit event CPython's own getaddrinfo raises)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".test"):
            sys.audit("socket.getaddrinfo", host, port, *args)
            address = ("127.0.0.1", int(port))
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("host", "egress", "reached"),
    [
        ("api.internal.test", "*.internal.test", True),
        ("deep.api.internal.test", "*.internal.test", True),
        ("api.internal.test", "*.internal.test:{port}", True),
        ("api.internal.test", "*.internal.test:1", False),
        ("api.internal.test", "internal.test", False),  # a bare host is that host only
        ("api.internal.test", "*.other.test, example.com", False),
        ("localhost", "localhost", True),  # a bare host, any port
        ("localhost", "localhost:{port}", True),
        ("localhost", "LOCALHOST:1", False),
        ("127.0.0.1", "127.0.0.1", True),
    ],
)
@pytest.mark.usefixtures("resolver", "enforced")
def test_allowed_egress_extends_every_policy(
    site: Site,
    local_http: LocalHttp,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    egress: str,
    reached: bool,
) -> None:
    monkeypatch.setenv("HARDEN_ALLOWED_EGRESS", egress.format(port=site.port))
    (result,) = call_all(server(site, nothing_allowed())._mcp_server, [("fetch", {"host": host})])
    assert result.isError is not reached
    if reached:
        assert outcome(result) == (False, ["hello"])
    assert local_http.connections == local_http.requests == int(reached)


def test_a_lowlevel_handler_is_held_to_the_policy_of_the_tool_the_client_named(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    low: Server[Any, Any] = Server("low")

    @low.list_tools()
    async def list_tools() -> list[mcp_types.Tool]:
        schema = {"type": "object", "properties": {"note": {"type": "string"}}}
        return [
            mcp_types.Tool(name=name, inputSchema=schema) for name in ("write", "read", "unlisted")
        ]

    @low.call_tool()
    @runtime.observe(lowlevel=True)
    @runtime.permissions(uses={"write": (f"fs:write:{site.allowed}",), "read": ()}, lowlevel=True)
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[mcp_types.TextContent]:
        note = site.data / arguments["note"]
        if name == "read":
            text = note.read_text()
        else:  # "write", and "unlisted", which its mapping does not judge
            note.write_text(name)
            text = "written"
        return [mcp_types.TextContent(type="text", text=text)]

    calls = [
        ("write", {"note": "w.txt"}),
        ("read", {"note": "w.txt"}),
        ("unlisted", {"note": "u.txt"}),
    ]
    assert [outcome(result) for result in call_all(low, calls)] == [
        (False, ["written"]),
        (False, ["write"]),
        (False, ["written"]),
    ]
    assert permission_lines(log_lines(capsys)) == [
        ("PERMISSION_WOULD_DENY", "read", f"fs:read:{site.allowed}")
    ]
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")
    (site.data / "u.txt").unlink()
    results = call_all(low, [("read", {"note": "w.txt"}), ("unlisted", {"note": "u.txt"})])
    assert [result.isError for result in results] == [True, False]
    assert (site.data / "u.txt").read_text() == "unlisted"
    assert permission_lines(log_lines(capsys)) == [
        ("PERMISSION_DENIED", "read", f"fs:read:{site.allowed}")
    ]


@pytest.mark.usefixtures("enforced")
def test_mask_errors_turns_the_refusal_into_the_generic_error_with_a_ref(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    (result,) = call_all(
        server(site, nothing_allowed())._mcp_server, [("masked_write", {"name": NAME})]
    )
    assert result.isError
    text = result.content[0].text  # type: ignore[union-attr]
    ref = re.search(r"internal error \(ref ([0-9a-f]{12})\)", text)
    assert ref is not None and "fs:write" not in text, text
    assert not (site.data / NAME).exists()
    lines = log_lines(capsys)
    assert permission_lines(lines) == [
        ("PERMISSION_DENIED", "masked_write", f"fs:write:{site.allowed}")
    ]
    (detail,) = [line for line in lines if line["event"] == "TOOL_ERROR_DETAIL"]
    assert (detail["ref"], detail["exception"]) == (ref.group(1), "harden.runtime.PermissionDenied")


@pytest.mark.usefixtures("enforced")
def test_a_direct_call_is_never_judged(site: Site, capsys: pytest.CaptureFixture[str]) -> None:

    @runtime.observe
    @runtime.permissions(uses=())
    def write_note(name: str) -> str:
        (site.data / name).write_text(TEXT)
        return "written"

    assert write_note(NAME) == "written"  # a test or a helper calling the tool
    assert (site.data / NAME).read_text() == TEXT
    assert permission_lines(log_lines(capsys)) == []


@pytest.mark.usefixtures("enforced")
def test_the_runtimes_own_log_writes_are_never_judged(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "logs" / "harden.log"
    log.parent.mkdir()
    monkeypatch.setenv("HARDEN_LOG_FILE", str(log))
    mcp = FastMCP("quiet")

    @mcp.tool()
    @runtime.observe
    @runtime.permissions(uses=())
    def report() -> str:
        try:
            raise LookupError("no such note")
        except LookupError as error:
            return runtime.error_ref(error)  # a log line (and a traceback) during the call

    (result,) = call_all(mcp._mcp_server, [("report", {})])
    assert not result.isError
    assert [line["event"] for line in log_lines(capsys)] == ["TOOL_ERROR_DETAIL", "tool_call"]
    assert log.read_text().count('"event":"tool_call"') == 1


@pytest.mark.usefixtures("enforced")
def test_an_import_caching_its_bytecode_is_not_the_tools_write(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (site.root / "lazy_helper_module.py").write_text("VALUE = 'imported'\n")
    monkeypatch.syspath_prepend(str(site.root))
    mcp = FastMCP("lazy")

    @mcp.tool()
    @runtime.observe
    @runtime.permissions(uses=())
    def lazy() -> str:
        return importlib.import_module("lazy_helper_module").VALUE

    (result,) = call_all(mcp._mcp_server, [("lazy", {})])
    assert outcome(result) == (False, ["imported"])
    assert list((site.root / "__pycache__").glob("lazy_helper_module.*.pyc"))  # it was cached
    lines = log_lines(capsys)
    assert permission_lines(lines) == []
    assert [line["uses"] for line in lines if line["event"] == "tool_call"] == [[]]


def test_a_policy_is_a_collection_of_uses_or_for_lowlevel_a_mapping() -> None:
    with pytest.raises(TypeError):
        runtime.permissions(uses="exec:git")
    with pytest.raises(TypeError):
        runtime.permissions(uses={"tool": ("exec:git",)})
    with pytest.raises(TypeError):
        runtime.permissions(uses=("exec:git",), lowlevel=True)


def served_alone(fn: Callable[..., str], uses: tuple[str, ...]) -> Any:
    """A server of one tool, `fn` under observe and `permissions(uses=uses)`."""
    mcp = FastMCP("alone")
    mcp.tool()(runtime.observe(runtime.permissions(uses=uses)(fn)))
    return mcp._mcp_server


def tool_calls(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == "tool_call"]


@pytest.mark.usefixtures("enforced")
def test_an_address_the_code_names_counts_as_itself_even_after_a_lookup_of_the_name(
    site: Site, local_http: LocalHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    port = site.port

    def fetch_both() -> str:
        first = fetched(f"http://localhost:{port}/")
        # The same port, an address of the code's own (think 169.254.169.254): not the name.
        return first + fetched(f"http://127.0.0.1:{port}/")

    def connect_both() -> str:
        socket.getaddrinfo("localhost", port)
        with socket.create_connection(("127.0.0.1", port), timeout=10):  # looks 127.0.0.1 up
            return "connected"

    policy = (f"net:localhost:{port}",)
    (fetched_both,) = call_all(served_alone(fetch_both, policy), [("fetch_both", {})])
    refusal = fetched_both.content[0].text  # type: ignore[union-attr]
    assert fetched_both.isError and f"may not use net:127.0.0.1:{port}" in refusal
    assert (local_http.connections, local_http.requests) == (1, 1)  # the name's request only
    (connected,) = call_all(served_alone(connect_both, policy), [("connect_both", {})])
    assert connected.isError and local_http.connections == 1
    lines = log_lines(capsys)
    assert permission_lines(lines) == [
        ("PERMISSION_DENIED", "fetch_both", f"net:127.0.0.1:{port}"),
        ("PERMISSION_DENIED", "connect_both", f"net:127.0.0.1:{port}"),
    ]
    assert [line["uses"] for line in tool_calls(lines)] == [[f"net:localhost:{port}"]] * 2


def test_a_script_popen_runs_is_the_calls_use_and_its_refusal_reaches_the_tool(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def listing() -> str:
        # What phase 5 writes for os.popen("mark <file> | cat").read()
        with runtime.popen([[str(site.root / "mark"), str(site.marker)], "|", ["cat"]]) as pipe:
            return pipe.read() + "listed"

    served = served_alone(listing, ("exec:cat",))
    assert outcome(call_all(served, [("listing", {})])[0]) == (False, ["listed"])
    assert site.marker.exists()
    lines = log_lines(capsys)
    assert permission_lines(lines) == [("PERMISSION_WOULD_DENY", "listing", "exec:mark")]
    assert [line["uses"] for line in tool_calls(lines)] == [["exec:cat", "exec:mark"]]
    site.marker.unlink()
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")
    (refused,) = call_all(served, [("listing", {})])
    assert refused.isError and not site.marker.exists()
    assert "the tool listing may not use exec:mark" in refused.content[0].text  # type: ignore[union-attr]
    assert [line["error"] for line in tool_calls(log_lines(capsys))] == ["PermissionDenied"]


@pytest.mark.usefixtures("enforced")
def test_a_descriptor_is_judged_where_it_was_opened_never_as_the_working_directory(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"  # under /tmp, outside the policy
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    note = site.data / NAME
    tree = site.data / "tree"

    def by_descriptor() -> str:
        descriptor = os.open(note, os.O_RDWR | os.O_CREAT)
        try:
            os.write(descriptor, b"hello")
            os.ftruncate(descriptor, 1)
            os.fchmod(descriptor, 0o600)
            os.fchown(descriptor, -1, -1)
            os.utime(descriptor)
        finally:
            os.close(descriptor)
        folder = os.open(site.data, os.O_RDONLY)
        try:
            listed = os.listdir(folder)
            os.remove(NAME, dir_fd=folder)  # relative to the folder's descriptor
        finally:
            os.close(folder)
        (tree / "a" / "b").mkdir(parents=True)
        (tree / "a" / "leaf.txt").write_text(TEXT)
        shutil.rmtree(tree)  # opens, lists and removes by descriptor
        return ",".join(listed)

    (result,) = call_all(
        served_alone(by_descriptor, (f"fs:write:{site.allowed}",)), [("by_descriptor", {})]
    )
    assert outcome(result) == (False, [NAME])
    assert not note.exists() and not tree.exists()
    lines = log_lines(capsys)
    assert permission_lines(lines) == []
    # The folder's descriptor was opened for reading: a read of the folder the tool may write.
    assert [line["uses"] for line in tool_calls(lines)] == [
        [f"fs:read:{site.allowed}", f"fs:write:{site.allowed}"]
    ]
    # A write by a folder's descriptor is judged as the folder's: outside a read-only policy.
    note.write_text(TEXT)

    def remove_by_folder() -> str:
        folder = os.open(site.data, os.O_RDONLY)
        try:
            os.remove(NAME, dir_fd=folder)
        finally:
            os.close(folder)
        return "removed"

    (refused,) = call_all(
        served_alone(remove_by_folder, (f"fs:read:{site.allowed}",)), [("remove_by_folder", {})]
    )
    assert refused.isError and note.read_text() == TEXT
    assert permission_lines(log_lines(capsys)) == [
        ("PERMISSION_DENIED", "remove_by_folder", f"fs:write:{site.allowed}")
    ]
    assert runtime._uses("os.truncate", (3, 0)) == []
    assert runtime._uses("os.chown", (3, 0, -1, -1)) == []
    assert runtime._uses("os.scandir", (3,)) == []


def test_no_argument_of_a_program_ever_reaches_a_log_line(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-value-123"

    def deploy() -> str:
        for command in (f"deploy --token={secret}", f"deploy --token={secret}".encode()):
            with pytest.raises(FileNotFoundError):  # no shell: all of it is the program's path
                subprocess.run(command, capture_output=True)
        with pytest.raises(FileNotFoundError):
            subprocess.run([str(site.root / "deploy"), f"--token={secret}"])
        subprocess.run(f"true --token={secret}", shell=True, check=True)
        os.system(f"true --token={secret}")
        return "deployed"

    (result,) = call_all(served_alone(deploy, ()), [("deploy", {})])
    assert outcome(result) == (False, ["deployed"])
    err = capsys.readouterr().err
    assert secret not in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith('{"v"')]
    assert [line["uses"] for line in tool_calls(lines)] == [["exec:deploy", "exec:sh"]]
    assert permission_lines(lines) == [
        ("PERMISSION_WOULD_DENY", "deploy", "exec:deploy"),
        ("PERMISSION_WOULD_DENY", "deploy", "exec:sh"),
    ]


@pytest.mark.usefixtures("enforced")
def test_a_lowlevel_handler_returns_the_refusal_as_an_error_result_never_raises_it(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    low: Server[Any, Any] = Server("low")
    raised: list[str] = []

    @runtime.observe(lowlevel=True)
    @runtime.permissions(uses={"write": (), "fetch": ()}, lowlevel=True)
    async def hardened(name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        if name == "write":
            (site.data / NAME).write_text(TEXT)
        else:
            fetched(f"http://localhost:{site.port}/")  # URLError, raised over the refusal
        return mcp_types.CallToolResult(content=[mcp_types.TextContent(type="text", text="done")])

    @low.list_tools()
    async def list_tools() -> list[mcp_types.Tool]:
        schema = {"type": "object", "properties": {}}
        return [mcp_types.Tool(name=name, inputSchema=schema) for name in ("write", "fetch")]

    @low.call_tool()
    async def call_tool(name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        # mcp 1.x turns a raised exception into an error result too; mcp 2.x into a protocol
        # error: what the handler does is seen here, between the server and the handler.
        try:
            return await hardened(name, arguments)
        except Exception as error:
            raised.append(type(error).__name__)
            raise

    results = call_all(low, [("write", {}), ("fetch", {})])
    assert raised == []
    assert [outcome(result) for result in results] == [
        (True, [f"the tool write may not use fs:write:{site.allowed}"]),
        (True, [f"the tool fetch may not use net:localhost:{site.port}"]),
    ]
    assert not (site.data / NAME).exists()
    lines = log_lines(capsys)
    assert [(line["isError"], line["error"]) for line in tool_calls(lines)] == [
        (True, "PermissionDenied"),
        (True, "URLError"),
    ]


def test_a_root_spelled_through_a_symbolic_link_covers_paths_spelled_either_way(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link"
    link.symlink_to(site.root, target_is_directory=True)
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", str(link))
    monkeypatch.setenv("ENFORCE_PERMISSIONS", "true")
    (site.data / NAME).write_text(TEXT)

    def read_both() -> str:
        return (link / "data" / NAME).read_text() + (site.data / NAME).read_text()

    (result,) = call_all(served_alone(read_both, (f"fs:read:{site.allowed}",)), [("read_both", {})])
    assert outcome(result) == (False, [TEXT + TEXT])
    lines = log_lines(capsys)
    assert permission_lines(lines) == []
    assert [line["uses"] for line in tool_calls(lines)] == [[f"fs:read:{site.allowed}"]]


@pytest.mark.usefixtures("enforced")
def test_a_lookup_of_a_listed_host_is_inside_and_a_datagram_is_judged_as_a_connection(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    port = receiver.getsockname()[1]

    def look_up_and_send() -> str:
        address = socket.gethostbyname("localhost")  # `net:localhost:`: listed on a port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"ping", (address, port))
        return "sent"

    (result,) = call_all(
        served_alone(look_up_and_send, (f"net:localhost:{site.port}",)),
        [("look_up_and_send", {})],
    )
    assert result.isError
    with pytest.raises(BlockingIOError):
        receiver.recv(16)  # the datagram was never sent
    receiver.close()
    lines = log_lines(capsys)
    assert permission_lines(lines) == [
        ("PERMISSION_DENIED", "look_up_and_send", f"net:127.0.0.1:{port}")
    ]
    assert [line["uses"] for line in tool_calls(lines)] == [["net:localhost:"]]


def test_another_vendored_copy_knows_the_hooks_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    """One audit hook per process, the first copy's: a handler decorated by another copy of
    the runtime (another folder of hardened modules) must still know its refusals."""
    spec = importlib.util.spec_from_file_location("harden_runtime_other_copy", runtime.__file__)
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, other)  # as an import registers it
    spec.loader.exec_module(other)
    assert other.PermissionDenied is not runtime.PermissionDenied
    refused = runtime.PermissionDenied("the tool save may not use fs:write:/tmp")
    assert other._is_refusal(refused)
    try:
        raise OSError("wrapped") from refused
    except OSError as wrapped:
        assert not other._is_refusal(wrapped)  # the chain is searched by the caller
    assert not other._is_refusal(PermissionError("the file system's own"))
