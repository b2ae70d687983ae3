"""Phase 4 over real streamable HTTP, in every SDK of the matrix.

The original and the hardened example servers are served by uvicorn (127.0.0.1, a free port, in
a thread, shut down after each run) and driven by the SDK's own streamable HTTP client, whose
bearer token changes from one tool call to the next: a valid static token, none, a wrong one,
an expired HS256 JWT, a JWT issued for another audience, a valid JWT, the static token again.

With AUTH_MODE=shadow and soft every answer of the hardened server is the original's (soft
tells the client in HTTP headers only, and its lines carry the enforce-after date), and its log
holds exactly one AUTH_WOULD_REJECT per bad call, with the reason and at most an 8-digit hash
prefix of the token: no token's text appears in anything captured. With AUTH_MODE=enforce (and
HARDEN_AUTH_RESOURCE_URL) each bad call is answered by HTTP 401 with the challenge the MCP
authorization spec asks for (`WWW-Authenticate: Bearer error="invalid_token", ...,
resource_metadata=...`) and logged once as AUTH_REJECTED, and the good ones are answered as
the original answers them: phase 4 wrapped every server's construction in
`harden_runtime.published(...)`, which puts its gate in front of the HTTP app the SDK builds.

Two tools per SDK: tools_server's `word_count`, a plain tool, and future_server's `greet`,
which takes the framework's Context. mcp 2.x's MCPServer publishes its request context in no
context variable: phase 4 wraps its construction in `harden_runtime.published(...)`, whose
middleware records it, so a plain tool is judged there too. On mcp 2.x both of its client's
modes run: the default "auto" (it negotiates protocol 2026-07-28: no session, the caller is the
client's address) and "legacy" (the 2025-11-25 handshake and an Mcp-Session-Id).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from compat_support import (
    BENIGN,
    CALLS,
    HTTPX,
    JSON,
    SDK,
    Bearer,
    Call,
    connect_http,
    events,
    serving_http,
)
from conftest import Pair

STATIC = "compat-static-token-5e1d"
WRONG = "guessed-token-0b7c9a"
SECRET = "compat-jwt-signing-secret-3f9a"
AUDIENCE = "https://mcp.example.com/mcp"
ISSUER = "https://auth.example.com"
ELSEWHERE = "https://other.example.com/mcp"
RUN_SECONDS = 60  # the whole client session of one run


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def jwt(claims: JSON, *, secret: str = SECRET) -> str:
    """An HS256 JWT of `claims` signed with `secret` (as tests/test_runtime_auth.py makes
    them: tests/compat imports nothing from tests/)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = part(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{part(signature.digest())}"


def claims(**changes: Any) -> JSON:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "sub": "alice", **changes}


@dataclass(frozen=True)
class Step:
    """One tool call: the bearer token it is sent with, and why the runtime would refuse it
    (None: the token is good)."""

    token: str | None
    reason: str | None

    @property
    def bad(self) -> bool:
        return self.reason is not None

    @property
    def prefix(self) -> str | None:
        """What the log may show of the token."""
        return sha256(self.token)[:8] if self.token else None


def steps() -> list[Step]:
    """The sequence of calls, the JWTs' times taken now."""
    return [
        Step(STATIC, None),
        Step(None, "MISSING_TOKEN"),
        Step(WRONG, "INVALID_TOKEN"),
        Step(jwt(claims(exp=int(time.time()) - 3600)), "EXPIRED"),
        Step(jwt(claims(aud=ELSEWHERE)), "WRONG_AUDIENCE"),
        Step(jwt(claims()), None),
        Step(STATIC, None),
    ]


def _greet() -> Call:
    return next(call for call in CALLS if call.id == "future_server:mcp/greet")


CALL_CASES = [
    pytest.param(BENIGN["tools_server:mcp"], id="tools_server-word_count"),
    pytest.param(_greet(), id="future_server-greet-with-Context"),
]
MODES = ["auto", "legacy"] if SDK == "mcp2" else [None]
MODE_IDS = ["client-auto", "client-legacy"] if SDK == "mcp2" else ["client"]


def answers(server: object, call: Call, sequence: Sequence[Step], mode: str | None) -> list[JSON]:
    """The server's answer to `call` sent with each token of `sequence` in turn, over one
    client session on the server served over HTTP."""
    with serving_http(server) as url:
        return answers_at(url, call, sequence, mode)


def answers_at(url: str, call: Call, sequence: Sequence[Step], mode: str | None) -> list[JSON]:
    """The same, of the server served at `url`."""

    async def run() -> list[JSON]:
        bearer = Bearer(STATIC)  # the session's set-up requests carry the good token
        results = []
        async with connect_http(url, bearer, mode) as session:
            for step in sequence:
                bearer.token = step.token
                results.append(await session.call_tool(call.tool, call.arguments))
        return results

    return asyncio.run(asyncio.wait_for(run(), RUN_SECONDS))


def without_meta(value: Any) -> Any:
    """A result as JSON, metadata left out (the SDKs put server information there)."""
    if isinstance(value, dict):
        return {k: without_meta(v) for k, v in value.items() if k not in ("_meta", "meta")}
    if isinstance(value, list):
        return [without_meta(item) for item in value]
    return value


@pytest.fixture
def auth(runtime: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The runtime with one static token and a JWT key, audience and issuer configured."""
    for variable in runtime._ENV_KEYS:  # conftest's `runtime` cleared phases 1-3's already
        if "AUTH" in variable:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HARDEN_AUTH_TOKENS", sha256(STATIC))
    monkeypatch.setenv("HARDEN_AUTH_JWT_SECRET", SECRET)
    monkeypatch.setenv("HARDEN_AUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("HARDEN_AUTH_ISSUER", ISSUER)
    return runtime


@dataclass
class Served:
    """One test's two runs of the same calls."""

    sequence: list[Step]
    original: list[JSON]
    hardened: list[JSON]
    stderr: str  # the hardened server's
    captured: str  # everything written while either served: stdout, stderr, log records


def serve_both(
    pair: Pair,
    call: Call,
    mode: str | None,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Served:
    """The same sequence of calls on the original server, then on the hardened one."""
    sequence = steps()
    original = answers(pair.original(call.server), call, sequence, mode)
    before = capsys.readouterr()
    assert events(before.err) == []  # the original writes no runtime line
    hardened = answers(pair.hardened(call.server), call, sequence, mode)
    after = capsys.readouterr()
    captured = "\n".join(
        (before.out, before.err, after.out, after.err, caplog.text, json.dumps(hardened))
    )
    return Served(sequence, original, hardened, after.err, captured)


def assert_no_token_text(served: Served) -> None:
    for secret in {step.token for step in served.sequence if step.token} | {SECRET}:
        assert secret not in served.captured, "a token's text reached the output"
    # Nor any part of a JWT: the header every JWT of this test starts with, encoded.
    assert jwt({}).partition(".")[0] not in served.captured


def assert_auth_lines(
    logged: list[JSON], call: Call, sequence: Sequence[Step], event: str, auth_mode: str
) -> None:
    auth_lines = [line for line in logged if line["event"].startswith("AUTH_")]
    assert [(line["event"], line["reason"]) for line in auth_lines] == [
        (event, step.reason) for step in sequence if step.bad
    ]
    for line, step in zip(auth_lines, [s for s in sequence if s.bad], strict=True):
        assert line["tool"] == call.tool
        assert line["method"] == "tools/call"
        assert line["mode"] == auth_mode
        assert line["token"] == step.prefix
        # The MCP session where there is one, the client's address otherwise: never "local",
        # which would mean the runtime saw no HTTP request.
        assert re.fullmatch(r"(session|addr):\S+", line["caller"]), line


@pytest.fixture
def serving(
    pair: Pair,
    auth: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Callable[..., Served]:
    """Serves both servers in an AUTH_MODE and runs the token sequence on `call`."""

    def serve(auth_mode: str, call: Call, mode: str | None) -> Served:
        monkeypatch.setenv("AUTH_MODE", auth_mode)
        auth.configure()
        return serve_both(pair, call, mode, capsys, caplog)

    return serve


@pytest.mark.parametrize("auth_mode", ["shadow", "soft"])
@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("call", CALL_CASES)
def test_shadow_and_soft_answer_as_before_and_log_each_bad_call(
    call: Call,
    mode: str | None,
    auth_mode: str,
    serving: Callable[..., Served],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HARDEN_AUTH_ENFORCE_AFTER", "2027-01-15")
    served = serving(auth_mode, call, mode)

    assert [without_meta(result) for result in served.hardened] == [
        without_meta(result) for result in served.original
    ]
    assert not any(result.get("isError") for result in served.original), served.original
    logged = events(served.stderr)
    # Each call: its AUTH_WOULD_REJECT when the token is bad, then its usual tool_call line.
    assert [line["event"] for line in logged] == [
        event
        for step in served.sequence
        for event in (["AUTH_WOULD_REJECT"] if step.bad else []) + ["tool_call"]
    ], served.stderr
    assert_auth_lines(logged, call, served.sequence, "AUTH_WOULD_REJECT", auth_mode)
    soft = {line.get("enforce_after") for line in logged if line["event"] != "tool_call"}
    assert soft == ({"2027-01-15"} if auth_mode == "soft" else {None})
    assert_no_token_text(served)


HTTP: Any = importlib.import_module(HTTPX)  # the HTTP client library of this SDK line
RESOURCE_METADATA = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"


def refused(url: str, call: Call, token: str | None) -> Any:
    """The HTTP response to a tools/call of `call` sent with `token`, outside any session:
    under enforce, harden's gate answers before the SDK looks at the session."""
    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": call.tool, "arguments": call.arguments},
    }
    return HTTP.post(url, json=message, headers=headers, timeout=RUN_SECONDS)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("call", CALL_CASES)
def test_enforce_answers_bad_tokens_with_401_and_good_ones_as_before(
    call: Call,
    mode: str | None,
    pair: Pair,
    auth: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUTH_MODE", "enforce")
    monkeypatch.setenv("HARDEN_AUTH_RESOURCE_URL", AUDIENCE)
    auth.configure()
    sequence = steps()
    good = [step for step in sequence if not step.bad]
    original = answers(pair.original(call.server), call, good, mode)
    capsys.readouterr()
    with serving_http(pair.hardened(call.server)) as url:
        responses = [refused(url, call, step.token) for step in sequence if step.bad]
        answered = answers_at(url, call, good, mode)
    stderr = capsys.readouterr().err

    assert [without_meta(r) for r in answered] == [without_meta(r) for r in original]
    for response in responses:
        assert response.status_code == 401, response.text
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer error="invalid_token"'), challenge
        assert f'resource_metadata="{RESOURCE_METADATA}"' in challenge
    logged = [line for line in events(stderr) if line["event"].startswith("AUTH_")]
    assert_auth_lines(logged, call, sequence, "AUTH_REJECTED", "enforce")
    served = Served(sequence, original, answered, stderr, stderr + json.dumps(answered))
    assert_no_token_text(served)
