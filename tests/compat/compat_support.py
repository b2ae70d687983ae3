"""What the compatibility matrix knows about the environment it runs in.

The matrix (run by `nox -s compat`, see noxfile.py) runs these tests once per MCP SDK, each
time in a virtualenv holding harden and that SDK alone. This module tells which SDK that is,
which example servers (fixtures/compat) and project fixture servers (fixtures/servers) belong
to it, which calls the tests make on them, and how to talk to a server through a real client
session of that SDK, in memory or over streamable HTTP (the server on uvicorn), each answer as
the JSON the client received.

It only reads: it never hardens, copies or changes anything (conftest.py does that).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COMPAT_SERVERS = ROOT / "fixtures" / "compat"
FIXTURE_SERVERS = ROOT / "fixtures" / "servers"

JSON = dict[str, Any]


def _installed(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _detect_sdk() -> str:
    """`mcp1`, `mcp2`, `fastmcp2`, `fastmcp3` or `fastmcp4`: standalone fastmcp if installed
    (it brings mcp along), else mcp by major version."""
    fastmcp, mcp = _installed("fastmcp"), _installed("mcp")
    if fastmcp is not None:
        sdk = "fastmcp" + fastmcp.split(".")[0]
    elif mcp is not None:
        sdk = "mcp" + mcp.split(".")[0]
    else:
        raise RuntimeError("tests/compat needs an MCP SDK installed: run it with `nox -s compat`")
    # The noxfile names the SDK it installed: a mismatch means the environment is stale.
    expected = os.environ.get("HARDEN_COMPAT_SDK")
    if expected and expected != sdk:
        raise RuntimeError(f"HARDEN_COMPAT_SDK={expected} but this environment has {sdk}")
    return sdk


SDK = _detect_sdk()
FAMILY = "fastmcp" if SDK.startswith("fastmcp") else SDK  # the directory under fixtures/compat
LOWLEVEL_SERVER = "lowlevel_server:server"

# The servers of each SDK's example modules, as "module:attribute path".
SERVERS: tuple[str, ...] = (
    "tools_server:mcp",
    "future_server:mcp",
    "future_server:inventory.mcp",
    *((LOWLEVEL_SERVER,) if FAMILY != "fastmcp" else ()),
    # fastmcp 3.x and later: the standalone @tool decorator and add_tool(function).
    *(("v3_server:mcp",) if SDK in ("fastmcp3", "fastmcp4") else ()),
)
MODULES: tuple[str, ...] = tuple(dict.fromkeys(server.split(":")[0] for server in SERVERS))

# The project's own example servers whose tests run in this environment, before and after
# hardening (fixtures/servers/<dir>/test_*.py).
FIXTURES: tuple[str, ...] = {
    "mcp1": ("mcp1_fastmcp", "lowlevel"),
    "mcp2": ("mcp2_mcpserver",),
}.get(SDK, ("fastmcp_standalone",))


@dataclass(frozen=True)
class Call:
    server: str
    tool: str
    arguments: JSON

    @property
    def id(self) -> str:
        return f"{self.server}/{self.tool}"


@dataclass(frozen=True)
class Attack:
    """A hostile argument the validate decorator must flag (and, enforced, refuse)."""

    name: str
    tool: str
    arguments: JSON
    param: str
    rule: str
    # Text that must never reach the client or the log: the value, or its telling part.
    secret: str


_HIGH_LEVEL_CALLS = (
    Call("tools_server:mcp", "word_count", {"text": "the cat and the hat", "unique": True}),
    Call("tools_server:mcp", "word_count", {"text": "one two three"}),
    Call("tools_server:mcp", "stat_file", {"path": "pyproject.toml"}),
    Call("tools_server:mcp", "stat_file", {"path": "no-such-file.txt", "follow_links": False}),
    Call("tools_server:mcp", "fetch", {"url": "https://example.com/docs", "timeout": 2.5}),
    Call("tools_server:mcp", "shell", {"command": "ls -la 'my docs'"}),
    Call("tools_server:mcp", "checksum", {"text": "abc", "algorithm": "md5"}),
    Call("future_server:mcp", "greet", {"name": "Ada Lovelace", "excited": True}),
    Call("future_server:mcp", "report_progress", {"steps": 2}),
    Call("future_server:inventory.mcp", "stock", {"item": "apples"}),
    Call("future_server:inventory.mcp", "restock_item", {"item": "pears", "amount": 2}),
    Call("future_server:inventory.mcp", "inventory_report", {"only_missing": False}),
    Call("future_server:inventory.mcp", "inventory_report", {}),
)
_FASTMCP_CALLS = (
    Call("tools_server:mcp", "slugify", {"title": "Hello, World"}),
    Call("tools_server:mcp", "chars", {"text": "four"}),
)
_V3_CALLS = (
    Call("v3_server:mcp", "to_celsius", {"fahrenheit": 212.0}),
    Call("v3_server:mcp", "miles_to_km", {"miles": 10.0}),
)
_LOWLEVEL_CALLS = (
    Call(LOWLEVEL_SERVER, "word_count", {"text": "one two three"}),
    Call(LOWLEVEL_SERVER, "stat_file", {"path": "pyproject.toml"}),
    Call(LOWLEVEL_SERVER, "fetch", {"url": "https://example.com/docs"}),
    Call(LOWLEVEL_SERVER, "shell", {"command": "ls -la 'my docs'"}),
)
CALLS: tuple[Call, ...] = tuple(
    call
    for call in (
        *_HIGH_LEVEL_CALLS,
        *(_FASTMCP_CALLS if FAMILY == "fastmcp" else ()),
        *_V3_CALLS,
        *_LOWLEVEL_CALLS,
    )
    if call.server in SERVERS
)

# The servers whose tools take each attack, and the attacks (the same tools on every SDK).
ATTACKED_SERVERS: tuple[str, ...] = tuple(
    server for server in ("tools_server:mcp", LOWLEVEL_SERVER) if server in SERVERS
)
ATTACKS: tuple[Attack, ...] = (
    Attack(
        "path-traversal",
        "stat_file",
        {"path": "../../etc/passwd"},
        "path",
        "path_traversal",
        "etc/passwd",
    ),
    Attack(
        "ssrf",
        "fetch",
        {"url": "http://169.254.169.254/latest/meta-data"},
        "url",
        "ssrf",
        "169.254.169.254",
    ),
    Attack(
        "shell-metachar",
        "shell",
        {"command": "ls; cat /etc/shadow"},
        "command",
        "shell_metachar",
        "/etc/shadow",
    ),
)
# One benign call per attacked server, for the rate limit and for false positives.
BENIGN: dict[str, Call] = {
    server: next(call for call in CALLS if call.server == server) for server in ATTACKED_SERVERS
}

# The resources and prompt of tools_server, with what clients send to read or get them.
RESOURCES = ("config://version", "notes://hardening")
PROMPT = ("review", {"code": "print('hi')", "language": "python"})
# Names the observe decorator logs for them (the registered names).
RESOURCE_AND_PROMPT_EVENTS = ("version", "note", "review")


# --- servers laid out over a package -------------------------------------------------------------

# The packages of fixtures/compat/<family>, whose servers span modules (phase 5 runs on them too).
PACKAGES: tuple[str, ...] = ("notebook",) if FAMILY == "fastmcp" else ("notebook", "desk")
DESK_SERVER = {"mcp1": "desk.handlers:server", "mcp2": "desk.app:server"}.get(FAMILY)
PACKAGE_SERVERS: tuple[str, ...] = (
    "notebook.server:mcp",
    "notebook.server:lite",
    *((DESK_SERVER,) if DESK_SERVER else ()),
)


@dataclass(frozen=True)
class PackageCall:
    server: str
    tool: str
    arguments: JSON
    # The tool name its log line carries (None: harden could not prove the registration, so the
    # tool is left as it was and logs nothing).
    logged_as: str | None


def _package_call(
    server: str, tool: str, arguments: JSON, logged_as: str | None = ""
) -> PackageCall:
    return PackageCall(server, tool, arguments, tool if logged_as == "" else logged_as)


PACKAGE_CALLS: tuple[PackageCall, ...] = tuple(
    call
    for call in (
        _package_call("notebook.server:mcp", "read_note", {"name": "todo"}),
        _package_call("notebook.server:mcp", "first_line", {"name": "groceries"}),
        _package_call("notebook.server:mcp", "list_notes", {}),
        _package_call("notebook.server:mcp", "note_count", {}),
        _package_call("notebook.server:mcp", "search", {"query": "milk"}),
        _package_call("notebook.server:mcp", "word_count", {"text": "one two three"}),
        _package_call("notebook.server:mcp", "tail_note", {"name": "todo", "lines": 1}),
        _package_call("notebook.server:mcp", "shout", {"text": "quiet please"}),
        _package_call("notebook.server:mcp", "whisper", {"text": "LOUD"}),
        # Registered under a name built at run time: logged under its function's name.
        _package_call("notebook.server:mcp", "admin_stats", {}, "stats"),
        # A plugin whose server comes from getattr(...): reported, left alone.
        _package_call("notebook.server:mcp", "plugin_hello", {}, None),
        _package_call("notebook.server:lite", "ping", {}),
        _package_call("notebook.server:lite", "lite_echo", {"text": "echo"}),
        _package_call(DESK_SERVER or "", "open_tickets", {}),
        _package_call(DESK_SERVER or "", "ticket", {"ticket": "T-1"}),
    )
    if call.server in PACKAGE_SERVERS
)
# Calls whose answer carries an exception's text, and the text's telling part.
LEAKS: tuple[tuple[PackageCall, str], ...] = tuple(
    (call, secret)
    for call, secret in (
        (_package_call("notebook.server:mcp", "read_note", {"name": "nope"}), "n0tes"),
        (_package_call("notebook.server:mcp", "vacuum", {}), "/srv/notebook"),
        (_package_call(DESK_SERVER or "", "ticket", {"ticket": "T-9"}), "tk-9f8e7d"),
    )
    if call.server in PACKAGE_SERVERS
)


@contextmanager
def package_imported(root: Path, server: str) -> Iterator[object]:
    """The server `server` ("package.module:attribute") names, imported from `root`; the
    package is forgotten afterwards. An original and a hardened copy of a package share module
    names, so the tests import them in turn, never side by side."""
    module_name = server.partition(":")[0]
    top = module_name.partition(".")[0]
    sys.path.insert(0, str(root))
    try:
        yield server_of(importlib.import_module(module_name), server)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
            del sys.modules[name]


# --- loading a server module --------------------------------------------------------------------

_loaded = 0


def load_module(path: Path, label: str) -> ModuleType:
    """Import `path` afresh under a name of its own, so an original and a hardened copy of the
    same module (and one test's instances and another's) never share state."""
    global _loaded
    _loaded += 1
    name = f"compat_{label}_{path.stem}_{_loaded}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before running it: pydantic and typing resolve postponed annotations through
    # sys.modules[fn.__module__].
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class StderrCapture:
    """stderr while a hardened server runs: the runtime looks sys.stderr up on every line."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self.parts)


@contextmanager
def loaded_as_deployed(path: Path, label: str) -> Iterator[tuple[ModuleType, StderrCapture]]:
    """The server module at `path` loaded with the runtime vendored beside it (when there is
    one), as when deployed: no other test's copy stands in for it, nor does this one stay
    behind. stderr is captured meanwhile."""
    loaded: list[ModuleType] = []
    previous = sys.modules.pop("harden_runtime", None)
    runtime = path.with_name("harden_runtime.py")
    if runtime.exists():
        loaded.append(load_module(runtime, f"runtime_{label}"))
        sys.modules["harden_runtime"] = loaded[-1]
    stderr, sys.stderr = sys.stderr, StderrCapture()
    captured = sys.stderr
    try:
        loaded.append(load_module(path, label))
        yield loaded[-1], captured
    finally:
        sys.stderr = stderr
        for name in ("harden_runtime", *(m.__name__ for m in loaded)):
            sys.modules.pop(name, None)
        if previous is not None:
            sys.modules["harden_runtime"] = previous


def server_of(module: ModuleType, server: str) -> object:
    """The object `server` ("module:attribute.path") names in its loaded module."""
    value: object = module
    for attribute in server.partition(":")[2].split("."):
        value = getattr(value, attribute)
    return value


# --- the runtime's log lines ---------------------------------------------------------------------


def events(stderr: str) -> list[JSON]:
    """The runtime's JSON log lines in captured stderr (frameworks log other lines there too)."""
    found = []
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "event" in record:
            found.append(record)
    return found


def event_lines(stderr: str) -> Iterator[str]:
    for line in stderr.splitlines():
        if line.startswith("{") and '"event"' in line:
            yield line


# --- one in-memory client session per SDK --------------------------------------------------------


def dump(value: Any) -> Any:
    """A protocol object as the JSON a client receives (camelCase, unset fields left out)."""
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


@dataclass
class Session:
    """A connected client: each request's result as JSON, and the log messages it received."""

    raw: Any
    # fastmcp's Client returns convenience objects; its `*_mcp` methods return the raw results.
    suffix: str = ""
    log_messages: list[str] = field(default_factory=list)

    async def _request(self, method: str, *args: Any) -> JSON:
        result = dump(await getattr(self.raw, method + self.suffix)(*args))
        assert isinstance(result, dict)
        return result

    async def list_tools(self) -> list[JSON]:
        return (await self._request("list_tools"))["tools"]

    async def list_prompts(self) -> list[JSON]:
        return (await self._request("list_prompts"))["prompts"]

    async def list_resources(self) -> list[JSON]:
        return (await self._request("list_resources"))["resources"]

    async def list_resource_templates(self) -> list[JSON]:
        return (await self._request("list_resource_templates"))["resourceTemplates"]

    async def call_tool(self, name: str, arguments: JSON) -> JSON:
        return await self._request("call_tool", name, arguments)

    async def read_resource(self, uri: str) -> JSON:
        return await self._request("read_resource", uri)

    async def get_prompt(self, name: str, arguments: JSON) -> JSON:
        return await self._request("get_prompt", name, arguments)

    async def on_log(self, params: Any) -> None:
        data = params.data
        # fastmcp sends {"msg": ..., "extra": ...}; the mcp SDKs send the message itself.
        self.log_messages.append(str(data["msg"] if isinstance(data, dict) else data))


@asynccontextmanager
async def connect(server: object) -> AsyncIterator[Session]:
    """A client session on `server` through the SDK's own in-memory transport."""
    if FAMILY == "fastmcp":
        import fastmcp

        session = Session(None, suffix="_mcp")
        async with fastmcp.Client(server, log_handler=session.on_log) as client:
            session.raw = client
            yield session
    elif SDK == "mcp1":
        from mcp.server.lowlevel import Server
        from mcp.shared.memory import create_connected_server_and_client_session

        lowlevel = server if isinstance(server, Server) else server._mcp_server  # type: ignore[attr-defined]
        session = Session(None)
        async with create_connected_server_and_client_session(
            lowlevel, logging_callback=session.on_log
        ) as client:
            session.raw = client
            yield session
    else:
        import mcp

        session = Session(None)
        # mode="legacy": JSON-RPC framing and the initialize handshake, as a real client
        # (the default mode calls the server in-process); no response cache between calls.
        async with mcp.Client(
            server, mode="legacy", logging_callback=session.on_log, cache=None
        ) as client:
            session.raw = client
            yield session


# --- one client session per SDK over real streamable HTTP ----------------------------------------

# The HTTP client library the SDK's own client is built on: mcp 2.x (and fastmcp 4.x on it) moved
# from httpx to its fork httpx2, whose API is the same.
HTTPX = "httpx2" if (_installed("mcp") or "").startswith("2.") else "httpx"
_httpx: Any = importlib.import_module(HTTPX)
HTTP_STARTUP_SECONDS = 15.0
HTTP_TIMEOUT_SECONDS = 30.0


class Bearer(_httpx.Auth):  # type: ignore[misc]
    """Sends, with each HTTP request, the bearer token the test holds at that moment (none
    when it holds None), so that one client session can change its token between calls."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def auth_flow(self, request: Any) -> Iterator[Any]:
        if self.token is not None:
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def http_app(server: object) -> Any:
    """The server's streamable HTTP ASGI app, served at /mcp, as the SDK builds it: its DNS
    rebinding protection (on by default for a server on 127.0.0.1) lets 127.0.0.1 in."""
    if FAMILY == "fastmcp":
        return server.http_app()  # type: ignore[attr-defined]
    return server.streamable_http_app()  # type: ignore[attr-defined]


@contextmanager
def serving_http(server: object) -> Iterator[str]:
    """The server's streamable HTTP app on uvicorn, in a thread, on a free port of 127.0.0.1:
    its URL while the block runs; shut down (lifespan and all) when it ends."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # log_config=None: uvicorn leaves the process's logging configuration alone.
    config = uvicorn.Config(
        http_app(server),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=5,  # a stream left open never holds the shutdown up
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + HTTP_STARTUP_SECONDS
        while not running.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        running.should_exit = True
        thread.join(HTTP_STARTUP_SECONDS)
        listener.close()
    assert not thread.is_alive(), "uvicorn did not shut down"


@asynccontextmanager
async def connect_http(url: str, bearer: Bearer, mode: str | None = None) -> AsyncIterator[Session]:
    """A client session on the server at `url` through the SDK's own streamable HTTP client,
    each HTTP request authorized by `bearer`. `mode` is mcp 2.x's `Client(mode=...)`: "auto"
    (its default, which negotiates protocol 2026-07-28: no session) or "legacy" (the
    initialize handshake of 2025-11-25 and an Mcp-Session-Id); the other SDKs have one way."""
    assert mode is None or SDK == "mcp2", mode
    if FAMILY == "fastmcp":
        import fastmcp
        from fastmcp.client import StreamableHttpTransport

        session = Session(None, suffix="_mcp")
        transport = StreamableHttpTransport(url, auth=bearer)
        async with fastmcp.Client(
            transport, log_handler=session.on_log, timeout=HTTP_TIMEOUT_SECONDS
        ) as client:
            session.raw = client
            yield session
    elif SDK == "mcp1":
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        session = Session(None)
        async with (
            _httpx.AsyncClient(auth=bearer, timeout=HTTP_TIMEOUT_SECONDS) as http,
            streamable_http_client(url, http_client=http) as (read, write, _),
            ClientSession(read, write, logging_callback=session.on_log) as client,
        ):
            await client.initialize()
            session.raw = client
            yield session
    else:
        import mcp
        from mcp.client.streamable_http import streamable_http_client

        session = Session(None)
        async with (
            _httpx.AsyncClient(auth=bearer, timeout=HTTP_TIMEOUT_SECONDS) as http,
            mcp.Client(
                streamable_http_client(url, http_client=http),
                logging_callback=session.on_log,
                cache=None,
                mode=mode or "auto",
            ) as client,
        ):
            session.raw = client
            yield session


def text_of(result: JSON) -> str:
    """The text blocks of a tool result, joined."""
    return "\n".join(block.get("text", "") for block in result.get("content", []))
