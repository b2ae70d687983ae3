"""The vendored runtime's shadow authentication (phase 4): `authenticate` judges the bearer
token of the HTTP request carrying each call.

Shadow (the default) and soft never change a call: a missing or bad token logs one
AUTH_WOULD_REJECT line with its reason. Enforce refuses the call instead. Over stdio there is
no HTTP request and nothing is judged. No line ever holds a token, or anything derived from
one but an 8-digit hash prefix. Real HTTP, with each SDK's server and client, is in
tests/test_auth_http.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
import types
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from client_calls import client_request
from mcp.server.fastmcp.exceptions import ToolError

from harden import runtime

STATIC = "static-token-7f3a9c"
OTHER_STATIC = "rotated-token-12ab"
SECRET = "jwt-signing-secret-for-tests"
AUDIENCE = "https://mcp.example.com/mcp"
ISSUER = "https://auth.example.com"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def jwt(claims: dict[str, Any], *, secret: str = SECRET, alg: str = "HS256") -> str:
    """An HS256 JWT signed with `secret` (`alg` as the header claims)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = part(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{part(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "sub": "alice", **changes}


def http(authorization: str | None) -> SimpleNamespace:
    headers = {"mcp-session-id": "s-1"}
    if authorization is not None:
        headers["authorization"] = authorization
    return SimpleNamespace(headers=headers, query_params={}, client=None)


@runtime.authenticate
def read_note(name: str) -> str:
    return f"note {name}"


def call(authorization: str | None) -> str:
    with client_request(http(authorization)):
        return read_note(name="x")


def auth_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    captured = capsys.readouterr()
    assert captured.out == ""
    for token in (STATIC, OTHER_STATIC, SECRET):
        assert token not in captured.err
    lines = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"].startswith("AUTH_")]


@pytest.fixture(autouse=True)
def configured(fresh_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDEN_AUTH_TOKENS", f"{sha256(STATIC)}, {sha256(OTHER_STATIC)}")
    monkeypatch.setenv("HARDEN_AUTH_JWT_SECRET", SECRET)
    monkeypatch.setenv("HARDEN_AUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("HARDEN_AUTH_ISSUER", ISSUER)


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "MISSING_TOKEN"),
        ("", "MISSING_TOKEN"),
        ("Basic YWxpY2U6cHc=", "MISSING_TOKEN"),
        ("Bearer ", "MISSING_TOKEN"),
        ("Bearer not-a-known-token", "INVALID_TOKEN"),
        (f"Bearer {STATIC}x", "INVALID_TOKEN"),
        (f"Bearer {jwt(claims(), secret='another secret')}", "INVALID_TOKEN"),
        (f"Bearer {jwt(claims(), alg='none')}", "INVALID_TOKEN"),
        (f"Bearer {jwt(claims(iss='https://evil.example.com'))}", "INVALID_TOKEN"),
        (f"Bearer {jwt(claims(exp=int(time.time()) - 3600))}", "EXPIRED"),
        (f"Bearer {jwt(claims(nbf=int(time.time()) + 3600))}", "INVALID_TOKEN"),
        (f"Bearer {jwt(claims(aud='https://other.example.com/mcp'))}", "WRONG_AUDIENCE"),
        (f"Bearer {jwt(claims(aud=None))}", "WRONG_AUDIENCE"),
        ("Bearer a.b.c", "INVALID_TOKEN"),
    ],
)
def test_a_bad_token_is_logged_with_its_reason_and_the_call_goes_on(
    capsys: pytest.CaptureFixture[str], authorization: str | None, reason: str
) -> None:
    assert call(authorization) == "note x"
    [line] = auth_lines(capsys)
    assert line["event"] == "AUTH_WOULD_REJECT"
    assert (line["reason"], line["mode"], line["tool"]) == (reason, "shadow", "read_note")
    assert (line["method"], line["caller"]) == ("tools/call", "session:s-1")
    token = (authorization or "").partition(" ")[2]
    assert line["token"] == (sha256(token)[:8] if token and reason != "MISSING_TOKEN" else None)


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {STATIC}",
        f"bearer {OTHER_STATIC}",  # the scheme is case-insensitive; either rotated token
        f"Bearer {jwt(claims())}",
        f"Bearer {jwt(claims(aud=['https://x.example.com', AUDIENCE]))}",
    ],
)
def test_a_good_token_logs_nothing(capsys: pytest.CaptureFixture[str], authorization: str) -> None:
    assert call(authorization) == "note x"
    assert auth_lines(capsys) == []


def test_stdio_and_direct_calls_are_not_judged(capsys: pytest.CaptureFixture[str]) -> None:
    with client_request(None):  # stdio: the request context holds no HTTP request
        assert read_note(name="x") == "note x"
    assert read_note(name="y") == "note y"  # not served at all
    assert auth_lines(capsys) == []


def test_enforce_refuses_and_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_MODE", "enforce")
    assert call(f"Bearer {STATIC}") == "note x"
    for authorization, reason in ((None, "MISSING_TOKEN"), ("Bearer nope", "INVALID_TOKEN")):
        with pytest.raises(ToolError, match="valid bearer token") as refused:
            call(authorization)
        assert isinstance(refused.value, runtime.Rejected)
        [line] = auth_lines(capsys)
        assert (line["event"], line["reason"], line["mode"]) == ("AUTH_REJECTED", reason, "enforce")


def test_soft_is_shadow_that_names_the_date(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_MODE", "soft")
    monkeypatch.setenv("HARDEN_AUTH_ENFORCE_AFTER", "2027-01-31")
    assert call(None) == "note x"
    [line] = auth_lines(capsys)
    assert (line["event"], line["mode"], line["enforce_after"]) == (
        "AUTH_WOULD_REJECT",
        "soft",
        "2027-01-31",
    )


def test_an_unknown_mode_never_enforces(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_MODE", "enforcing")
    assert call(None) == "note x"
    [line] = auth_lines(capsys)
    assert line["mode"] == "shadow"


def test_required_scopes(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("HARDEN_AUTH_SCOPES", "notes:read notes:write")
    assert call(f"Bearer {jwt(claims(scope='notes:read notes:write admin'))}") == "note x"
    assert call(f"Bearer {jwt(claims(scp=['notes:read', 'notes:write']))}") == "note x"
    assert auth_lines(capsys) == []
    call(f"Bearer {jwt(claims(scope='notes:read'))}")
    [line] = auth_lines(capsys)
    assert line["reason"] == "INSUFFICIENT_SCOPE"
    monkeypatch.setenv("AUTH_MODE", "enforce")
    with pytest.raises(ToolError, match="scope"):
        call(f"Bearer {jwt(claims(scope='notes:read'))}")


def test_tokens_from_a_file_with_comments(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.delenv("HARDEN_AUTH_TOKENS")
    listed = tmp_path / "tokens"
    listed.write_text(f"# issued 2026-12\n{sha256('from-file-token')}\n\n")
    monkeypatch.setenv("HARDEN_AUTH_TOKENS_FILE", str(listed))
    assert call("Bearer from-file-token") == "note x"
    call(f"Bearer {STATIC}")
    assert [line["reason"] for line in auth_lines(capsys)] == ["INVALID_TOKEN"]


@pytest.fixture
def verifiers(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    module = types.ModuleType("site_verifiers")

    def sync_check(token: str) -> object:
        if token == "boom":
            raise RuntimeError(token)
        return SimpleNamespace(scopes=["notes:read"], expires_at=None) if token == "ok" else None

    async def async_check(token: str) -> object:
        expired = int(time.time()) - 10
        return {"ok": True, "late": SimpleNamespace(expires_at=expired)}.get(token)

    module.sync_check = sync_check  # type: ignore[attr-defined]
    module.async_check = async_check  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "site_verifiers", module)
    monkeypatch.delenv("HARDEN_AUTH_TOKENS")
    monkeypatch.delenv("HARDEN_AUTH_JWT_SECRET")
    yield module


@pytest.mark.usefixtures("verifiers")
@pytest.mark.parametrize("verifier", ["site_verifiers:sync_check", "site_verifiers:async_check"])
def test_a_verifier_of_ones_own(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, verifier: str
) -> None:
    monkeypatch.setenv("HARDEN_AUTH_VERIFIER", verifier)
    assert call("Bearer ok") == "note x"
    assert auth_lines(capsys) == []
    call("Bearer unknown")
    [line] = auth_lines(capsys)
    assert line["reason"] == "INVALID_TOKEN"
    if verifier.endswith("async_check"):
        call("Bearer late")
        assert [line["reason"] for line in auth_lines(capsys)] == ["EXPIRED"]
    else:
        call("Bearer boom")  # a verifier that raises rejects, and never fails the call
        assert [line["reason"] for line in auth_lines(capsys)] == ["INVALID_TOKEN"]


@pytest.mark.usefixtures("verifiers")
def test_a_verifier_that_cannot_be_loaded_is_said_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARDEN_AUTH_VERIFIER", "site_verifiers:missing")
    assert call("Bearer ok") == "note x"
    assert call("Bearer ok") == "note x"
    lines = auth_lines(capsys)
    assert [line["event"] for line in lines] == [
        "AUTH_CONFIG_ERROR",
        "AUTH_WOULD_REJECT",
        "AUTH_WOULD_REJECT",
    ]
    assert lines[0]["setting"] == "HARDEN_AUTH_VERIFIER"


def test_published_makes_the_request_reachable_where_the_framework_publishes_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """mcp 2.x publishes no request context: `published()` adds a middleware to the server's
    own chain that records it, once, and the decorators find the call's HTTP request there."""
    monkeypatch.setattr(runtime, "_REQUEST_CONTEXT_VARS", ())  # as on mcp 2.x
    server_class = type("MCPServer", (), {"__module__": "mcp.server.mcpserver.server"})
    server = server_class()
    server.middleware = []
    assert runtime.published(runtime.published(server)) is server
    [middleware] = server.middleware
    other = type("FastMCP", (), {"__module__": "fastmcp.server.server"})()
    other.middleware = []
    assert runtime.published(other) is other and other.middleware == []  # publishes its own

    async def serve(authorization: str | None) -> str:
        ctx = SimpleNamespace(request=http(authorization), method="tools/call")

        async def call_next(_ctx: object) -> str:
            return read_note(name="x")

        return await middleware(ctx, call_next)

    import asyncio

    assert asyncio.run(serve(None)) == "note x"
    assert asyncio.run(serve(f"Bearer {STATIC}")) == "note x"
    assert [line["reason"] for line in auth_lines(capsys)] == ["MISSING_TOKEN"]
    assert read_note(name="y") == "note y"  # outside a request: not judged
    assert auth_lines(capsys) == []


def test_a_request_the_servers_own_auth_let_in_is_not_judged_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An SDK's own `auth=`/`token_verifier=` put the verified token in the request's scope:
    its settings decided, not harden's."""
    request = http("Bearer issued-by-the-servers-own-provider")
    request.scope = {"user": SimpleNamespace(access_token=SimpleNamespace(scopes=[]))}
    with client_request(request):
        assert read_note(name="x") == "note x"
    assert auth_lines(capsys) == []
    request.scope = {"user": SimpleNamespace()}  # Starlette's UnauthenticatedUser: judged
    with client_request(request):
        read_note(name="x")
    assert [line["reason"] for line in auth_lines(capsys)] == ["INVALID_TOKEN"]


# -- the HTTP gate published() puts in front of a server's HTTP apps -------------------------


class App:
    """An HTTP app as an SDK builds one: Starlette's add_middleware, and a record of what
    reached its routes (the request's body, as the route read it)."""

    def __init__(self) -> None:
        self.layers: list[type] = []
        self.reached: list[bytes] = []

    def add_middleware(self, layer: type) -> None:
        self.layers.append(layer)

    async def route(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.reached.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def gated_app() -> tuple[App, Any]:
    """An app built by a published server, and its routes behind the gate."""
    server = type("FastMCP", (), {"__module__": "mcp.server.fastmcp.server"})()
    app = App()
    server.streamable_http_app = lambda: app
    runtime.published(runtime.published(server)).streamable_http_app()
    assert server.streamable_http_app() is app, "the SDK's app object itself"
    [layer] = set(app.layers)
    assert layer is runtime.AuthGate
    return app, layer(app.route)


def request(
    gate: Any,
    authorization: str | None,
    body: bytes = b"",
    *,
    method: str = "POST",
    path: str = "/mcp",
    chunk: int = 0,
    more: tuple[tuple[bytes, bytes], ...] = (),
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the gate's answer to one request (`more`: other headers)."""
    import asyncio

    headers = [(b"authorization", authorization.encode())] if authorization else []
    headers += more
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    scope |= {"query_string": b"", "client": ("127.0.0.1", 5000)}
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    messages = [
        {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
        for n, piece in enumerate(pieces)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    start = sent[0]
    fields = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], fields, b"".join(m.get("body", b"") for m in sent[1:])


LIST = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()


def test_the_gate_in_shadow_passes_every_request_on_as_it_came(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, gate = gated_app()
    big = json.dumps({"method": "tools/list", "pad": "x" * 200_000}).encode()
    assert request(gate, None, LIST)[0] == 200
    assert request(gate, "Bearer wrong", big, chunk=4096)[0] == 200
    assert request(gate, f"Bearer {STATIC}", LIST)[0] == 200
    assert app.reached == [LIST, big, LIST], "each body reached the routes whole"
    lines = auth_lines(capsys)
    assert [(line["method"], line["reason"]) for line in lines] == [
        ("tools/list", "MISSING_TOKEN"),
        ("HTTP POST", "INVALID_TOKEN"),  # more than the gate reads to name the method
    ]


def test_the_gate_in_enforce_lets_preflights_and_lifespan_through(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    monkeypatch.setenv("AUTH_MODE", "enforce")
    app, gate = gated_app()
    preflight = ((b"access-control-request-method", b"POST"),)
    assert request(gate, None, method="OPTIONS", more=preflight)[0] == 200
    assert request(gate, None, method="OPTIONS")[0] == 401  # not a preflight: judged
    status, headers, body = request(gate, None, LIST)
    assert status == 401
    assert headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert "resource_metadata" not in headers["www-authenticate"]  # no resource URL set
    assert json.loads(body)["error"] == "invalid_token"
    assert request(gate, None, path="/.well-known/oauth-protected-resource")[0] == 401
    assert len(app.reached) == 1
    assert [line["event"] for line in auth_lines(capsys)] == ["AUTH_REJECTED"] * 3
    lifespans = []

    async def lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
        lifespans.append(scope["type"])

    asyncio.run(runtime.AuthGate(lifespan)({"type": "lifespan"}, None, None))
    assert lifespans == ["lifespan"]


def test_the_gate_survives_bodies_and_settings_it_cannot_use(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A body nested past the parser's depth, a method name of any length, a date out of
    range, scopes that are no RFC 6750 scope-tokens: never a failed request."""
    monkeypatch.setenv("AUTH_MODE", "soft")
    monkeypatch.setenv("HARDEN_AUTH_ENFORCE_AFTER", "0001-01-01T00:00:00+05:00")
    monkeypatch.setenv("HARDEN_AUTH_SCOPES", '読む x",error="none notes:read')
    app, gate = gated_app()
    deep = b"[" * 100_000
    status, headers, _ = request(gate, None, deep)
    assert status == 200 and app.reached == [deep]
    assert 'error_description="Credentials will be required."' in headers["www-authenticate"]
    assert "sunset" not in headers
    assert request(gate, None, method="X" * 5000)[0] == 200
    lines = auth_lines(capsys)
    assert [line["method"] for line in lines] == ["HTTP POST", "HTTP " + "X" * 123]
    monkeypatch.setenv("AUTH_MODE", "enforce")
    runtime.configure()
    challenge = request(gate, None, LIST)[1]["www-authenticate"]
    assert 'scope="notes:read"' in challenge and "none" not in challenge


def test_shadow_logs_a_tool_call_at_the_gate_and_the_decorator_takes_its_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One line per bad request whatever the tool (a name no handler has too), and the
    token is judged once: the decorator reads the gate's verdict from the request."""
    _, gate = gated_app()
    unknown = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
    unknown["params"] = {"name": "no_such_tool"}
    assert request(gate, "Bearer wrong", json.dumps(unknown).encode())[0] == 200
    [line] = auth_lines(capsys)
    assert (line["tool"], line["method"], line["reason"]) == (
        "no_such_tool",
        "tools/call",
        "INVALID_TOKEN",
    )
    judged = http("Bearer wrong")
    judged.scope = {"harden.auth": "INVALID_TOKEN"}  # what the gate left
    with client_request(judged):
        assert read_note(name="x") == "note x"
    assert auth_lines(capsys) == [], "the gate logged it already"


def test_a_resource_url_that_is_not_one_is_said_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH_MODE", "enforce")
    monkeypatch.setenv("HARDEN_AUTH_RESOURCE_URL", "mcp.example.com/mcp")
    _, gate = gated_app()
    for _ in range(2):
        status, headers, _ = request(gate, None, LIST)
        assert status == 401 and "resource_metadata" not in headers["www-authenticate"]
    said = [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if "AUTH_CONFIG_ERROR" in line
    ]
    assert [line["setting"] for line in said] == ["HARDEN_AUTH_RESOURCE_URL"]


def test_the_gate_in_soft_mode_tells_the_client_and_changes_nothing_else(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH_MODE", "soft")
    monkeypatch.setenv("HARDEN_AUTH_ENFORCE_AFTER", "2027-01-15")
    app, gate = gated_app()
    status, headers, body = request(gate, None, LIST)
    assert (status, body, app.reached) == (200, b"ok", [LIST])
    assert headers["www-authenticate"] == (
        'Bearer error="invalid_token", '
        'error_description="Credentials will be required after 2027-01-15."'
    )
    assert headers["sunset"] == "Fri, 15 Jan 2027 00:00:00 GMT"
    assert "www-authenticate" not in request(gate, f"Bearer {STATIC}", LIST)[1]
    [line] = auth_lines(capsys)
    assert (line["event"], line["enforce_after"]) == ("AUTH_WOULD_REJECT", "2027-01-15")
    monkeypatch.setenv("HARDEN_AUTH_ENFORCE_AFTER", "next spring")  # no date: no Sunset
    runtime.configure()
    headers = request(gate, None, LIST)[1]
    assert "sunset" not in headers and "required." in headers["www-authenticate"]


@pytest.mark.usefixtures("verifiers")
@pytest.mark.parametrize("verifier", ["site_verifiers:sync_check", "site_verifiers:async_check"])
def test_the_gate_asks_a_verifier_of_ones_own_off_the_servers_loop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, verifier: str
) -> None:
    import threading

    monkeypatch.setenv("AUTH_MODE", "enforce")
    monkeypatch.setenv("HARDEN_AUTH_VERIFIER", verifier)
    monkeypatch.setenv("HARDEN_AUTH_TOKENS", sha256(STATIC))
    asked_in: list[str] = []
    judge = runtime._judge_verified

    def recording(token: str, settings: object) -> object:
        asked_in.append(threading.current_thread().name)
        return judge(token, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime, "_judge_verified", recording)
    _, gate = gated_app()
    assert request(gate, "Bearer ok", LIST)[0] == 200
    assert request(gate, "Bearer unknown", LIST)[0] == 401
    assert request(gate, f"Bearer {STATIC}", LIST)[0] == 200  # a static token: no verifier
    assert len(asked_in) == 2 and threading.main_thread().name not in asked_in
    assert [line["reason"] for line in auth_lines(capsys)] == ["INVALID_TOKEN"]
