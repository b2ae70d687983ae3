"""Phase 4 over real streamable HTTP: an mcp 1.x FastMCP server on uvicorn (127.0.0.1, a free
port), driven by the SDK's own client, whose bearer token changes from request to request.

In shadow and soft mode every answer is the unhardened server's, and the log holds exactly one
AUTH_WOULD_REJECT per bad request, with its reason and no token text. In enforce mode the bad
requests are refused and the good ones answered as before: by HTTP 401/403 with the challenge
the MCP authorization spec asks for when the server's HTTP app comes through
`harden_runtime.published` (as phase 4 writes it), else as a tool error.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.fastmcp import FastMCP
from test_runtime_auth import AUDIENCE, ISSUER, SECRET, STATIC, claims, jwt, sha256

from harden import runtime

EXPIRED = jwt(claims(exp=int(time.time()) - 3600))
ELSEWHERE = jwt(claims(aud="https://other.example.com/mcp"))
GOOD_JWT = jwt(claims())
# (token sent with the call, the reason it would be rejected)
SEQUENCE: list[tuple[str | None, str | None]] = [
    (STATIC, None),
    (None, "MISSING_TOKEN"),
    ("guessed-token", "INVALID_TOKEN"),
    (EXPIRED, "EXPIRED"),
    (GOOD_JWT, None),
    (ELSEWHERE, "WRONG_AUDIENCE"),
    (STATIC, None),
]


def notes_server(hardening: Callable[[Callable[..., Any]], Callable[..., Any]]) -> FastMCP:
    server = FastMCP("notes", host="127.0.0.1")

    @server.tool()
    @hardening
    def read_note(name: str) -> str:
        """Read a note."""
        return f"note {name}: buy milk"

    @server.tool()
    @hardening
    async def count_notes(prefix: str = "") -> dict[str, int]:
        """Count notes."""
        return {"count": len(prefix) + 3}

    return server


@contextmanager
def serving(server: FastMCP) -> Iterator[str]:
    """The server's streamable HTTP app on uvicorn, on a free port of 127.0.0.1."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        running.should_exit = True
        thread.join(15)
        listener.close()


class Bearer(httpx.Auth):
    """Sends whatever token the test holds at the moment of each HTTP request."""

    def __init__(self) -> None:
        self.token: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        if self.token is not None:
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def answers(url: str) -> list[dict[str, Any]]:
    """Each tool's answer to every token of SEQUENCE, over one session."""

    async def run() -> list[dict[str, Any]]:
        bearer = Bearer()
        results = []
        async with (
            httpx.AsyncClient(auth=bearer, timeout=30) as client,
            streamable_http_client(url, http_client=client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for token, _reason in SEQUENCE:
                bearer.token = token
                for tool, arguments in (("read_note", {"name": "x"}), ("count_notes", {})):
                    result = await session.call_tool(tool, arguments)
                    results.append(result.model_dump(exclude={"meta"}))
        return results

    return anyio.run(run)


@pytest.fixture(autouse=True)
def tokens(fresh_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDEN_AUTH_TOKENS", sha256(STATIC))
    monkeypatch.setenv("HARDEN_AUTH_JWT_SECRET", SECRET)
    monkeypatch.setenv("HARDEN_AUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("HARDEN_AUTH_ISSUER", ISSUER)


def hardened(fn: Callable[..., Any]) -> Callable[..., Any]:
    return runtime.observe(runtime.authenticate(fn))


def auth_events(err: str) -> list[dict[str, Any]]:
    import json

    for token in (STATIC, SECRET, EXPIRED, ELSEWHERE, GOOD_JWT, "guessed-token"):
        assert token not in err, "no token text in the log"
    lines = [json.loads(line) for line in err.splitlines() if line.startswith('{"v"')]
    return [line for line in lines if line["event"].startswith("AUTH_")]


@pytest.mark.parametrize("mode", ["shadow", "soft"])
def test_shadow_and_soft_answer_as_before_and_log_each_bad_request(
    mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH_MODE", mode)
    with serving(notes_server(lambda fn: fn)) as url:
        before = answers(url)
    capsys.readouterr()
    with serving(notes_server(hardened)) as url:
        after = answers(url)
    assert after == before
    events = auth_events(capsys.readouterr().err)
    expected = [
        (tool, reason) for _, reason in SEQUENCE if reason for tool in ("read_note", "count_notes")
    ]
    assert [(e["tool"], e["reason"]) for e in events] == expected
    assert {(e["event"], e["mode"], e["method"]) for e in events} == {
        ("AUTH_WOULD_REJECT", mode, "tools/call")
    }
    assert all(e["caller"].startswith("session:") for e in events)


def test_enforce_without_published_refuses_bad_calls_as_tool_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH_MODE", "enforce")
    with serving(notes_server(lambda fn: fn)) as url:
        before = answers(url)
    with serving(notes_server(hardened)) as url:
        after = answers(url)
    refused = [reason is not None for _, reason in SEQUENCE for _tool in range(2)]
    for was, now, bad in zip(before, after, refused, strict=True):
        if bad:
            assert now["isError"] and "valid bearer token" in now["content"][0]["text"]
        else:
            assert now == was
    events = auth_events(capsys.readouterr().err)
    assert [e["event"] for e in events] == ["AUTH_REJECTED"] * sum(refused)


SCOPE = "notes:read"
RESOURCE = AUDIENCE  # https://mcp.example.com/mcp
METADATA = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "read_note"}}


def post(url: str, token: str | None) -> httpx.Response:
    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, json=CALL, headers=headers, timeout=30)


def test_enforce_answers_401_and_403_with_the_spec_challenge(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH_MODE", "enforce")
    monkeypatch.setenv("HARDEN_AUTH_SCOPES", SCOPE)
    monkeypatch.setenv("HARDEN_AUTH_RESOURCE_URL", RESOURCE)
    scoped = jwt(claims(scope=SCOPE))
    bad = [
        (None, 401, "MISSING_TOKEN"),
        ("guessed-token", 401, "INVALID_TOKEN"),
        (EXPIRED, 401, "EXPIRED"),
        (ELSEWHERE, 401, "WRONG_AUDIENCE"),
        (GOOD_JWT, 403, "INSUFFICIENT_SCOPE"),  # valid, but without the scope
    ]
    with serving(notes_server(lambda fn: fn)) as url:
        before = answers_with(url, STATIC)
    capsys.readouterr()
    with serving(runtime.published(notes_server(hardened))) as url:
        refused = [post(url, token) for token, _, _ in bad]
        metadata = httpx.get(url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp"))
        good = [answers_with(url, token) for token in (STATIC, scoped)]
    assert [r.status_code for r in refused] == [status for _, status, _ in bad]
    for response in refused:
        challenge = response.headers["www-authenticate"]
        error = "insufficient_scope" if response.status_code == 403 else "invalid_token"
        assert challenge.startswith(f'Bearer error="{error}"'), challenge
        assert f'scope="{SCOPE}"' in challenge
        assert f'resource_metadata="{METADATA}"' in challenge
        assert response.json()["error"] == error
    assert metadata.status_code == 200
    assert metadata.json() == {
        "resource": RESOURCE,
        "bearer_methods_supported": ["header"],
        "authorization_servers": [ISSUER],
        "scopes_supported": [SCOPE],
    }
    assert good == [before, before]  # a good token's session is answered as before
    events = auth_events(capsys.readouterr().err + scoped)
    assert [(e["event"], e["reason"], e["method"], e["tool"]) for e in events] == [
        ("AUTH_REJECTED", reason, "tools/call", "read_note") for _, _, reason in bad
    ]
    assert [e["token"] for e in events] == [
        sha256(token)[:8] if token else None for token, _, _ in bad
    ]


def answers_with(url: str, token: str) -> list[dict[str, Any]]:
    """Each tool's answer over one session whose every request carries `token`."""

    async def run() -> list[dict[str, Any]]:
        bearer = Bearer()
        bearer.token = token
        async with (
            httpx.AsyncClient(auth=bearer, timeout=30) as client,
            streamable_http_client(url, http_client=client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return [
                (await session.call_tool(tool, arguments)).model_dump(exclude={"meta"})
                for tool, arguments in (("read_note", {"name": "x"}), ("count_notes", {}))
            ]

    return anyio.run(run)


def test_shadow_logs_each_bad_request_once_at_the_gate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The session is set up without a token, then calls with a good one, then without."""

    async def run(url: str) -> list[dict[str, Any]]:
        bearer = Bearer()  # no token: initialize and the initialized notification
        async with (
            httpx.AsyncClient(auth=bearer, timeout=30) as client,
            streamable_http_client(url, http_client=client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            results = []
            for token in (STATIC, None, STATIC):
                bearer.token = token
                result = await session.call_tool("read_note", {"name": "x"})
                results.append(result.model_dump(exclude={"meta"}))
            return results

    monkeypatch.setenv("AUTH_MODE", "shadow")
    with serving(notes_server(lambda fn: fn)) as url:
        before = anyio.run(run, url)
    capsys.readouterr()
    with serving(runtime.published(notes_server(hardened))) as url:
        after = anyio.run(run, url)
    assert after == before
    events = auth_events(capsys.readouterr().err)
    assert {e["event"] for e in events} == {"AUTH_WOULD_REJECT"}
    assert {e["reason"] for e in events} == {"MISSING_TOKEN"}
    methods = [e["method"] for e in events]
    # What the client sends while setting up goes out as its task gets to it: the
    # initialized notification and the event stream's GET may already carry the token.
    assert methods[0] == "initialize", methods
    assert set(methods) <= {"initialize", "notifications/initialized", "HTTP GET", "tools/call"}
    assert methods.count("tools/call") == 1, "a tool call is logged once (the gate's verdict)"
    assert [e["tool"] for e in events if e["method"] == "tools/call"] == ["read_note"]


STDIO_SERVER = """from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool()
def read_note(name: str) -> str:
    return f"note {name}: buy milk"


if __name__ == "__main__":
    mcp.run()
"""


def test_a_stdio_server_hardened_by_phase_4_answers_as_before_even_under_enforce(
    tmp_path: Path,
) -> None:
    """Over stdio there is no HTTP request: the spec has such servers take credentials from
    the environment. The server is spawned as a real process and driven by the SDK's stdio
    client, with AUTH_MODE=enforce and no token anywhere."""
    import subprocess
    import sys

    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    for name in ("original", "hardened"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "server.py").write_text(STDIO_SERVER)
    subprocess.run(
        [sys.executable, "-m", "harden", "-q", "apply", "--phase", "4", "--in-place", "."],
        cwd=tmp_path / "hardened",
        check=True,
        capture_output=True,
    )
    hardened_text = (tmp_path / "hardened" / "server.py").read_text()
    assert "harden_runtime.published(FastMCP" in hardened_text
    assert "@harden_runtime.authenticate" in hardened_text

    async def answer(folder: Path) -> tuple[dict[str, Any], str]:
        log = folder / "stderr.log"
        parameters = StdioServerParameters(
            command=sys.executable,
            args=["server.py"],
            cwd=str(folder),
            env={"AUTH_MODE": "enforce", "PATH": os.environ.get("PATH", "")},
        )
        with log.open("w") as errlog:
            async with (
                stdio_client(parameters, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                result = await session.call_tool("read_note", {"name": "x"})
        return result.model_dump(exclude={"meta"}), log.read_text()

    original, _ = anyio.run(answer, tmp_path / "original")
    hardened, stderr = anyio.run(answer, tmp_path / "hardened")
    assert hardened == original and not original["isError"]
    assert '"AUTH_' not in stderr, stderr
