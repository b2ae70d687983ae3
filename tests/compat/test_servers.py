"""Hardened example servers behave like the originals, seen through a real client session.

For every server of this environment's SDK (fixtures/compat, in every registration form the
SDK has), an in-memory client session of the SDK itself talks to the original and to the copy
hardened with phases 1-3: the listings and the call results must be identical, Context still
injected, and the runtime's JSON lines present on stderr (never a value). Attack inputs are
logged and let through by default, refused once ENFORCE_VALIDATION is on; RATE_LIMIT_RPM is
counted, and enforced with ENFORCE_RATE_LIMITS.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from types import ModuleType

import pytest
from compat_support import (
    ATTACKED_SERVERS,
    ATTACKS,
    BENIGN,
    CALLS,
    JSON,
    LOWLEVEL_SERVER,
    PROMPT,
    RESOURCE_AND_PROMPT_EVENTS,
    RESOURCES,
    SERVERS,
    Attack,
    Call,
    connect,
    event_lines,
    events,
    text_of,
)
from conftest import Pair


async def _listings(server: object, high_level: bool) -> JSON:
    async with connect(server) as session:
        listings: JSON = {"tools": await session.list_tools()}
        if high_level:
            listings["prompts"] = await session.list_prompts()
            listings["resources"] = await session.list_resources()
            listings["templates"] = await session.list_resource_templates()
        return listings


async def _call(server: object, calls: Sequence[Call]) -> list[JSON]:
    async with connect(server) as session:
        return [await session.call_tool(call.tool, call.arguments) for call in calls]


def _calls_on(server: str) -> list[Call]:
    return [call for call in CALLS if call.server == server]


def _string_values(arguments: JSON) -> list[str]:
    return [value for value in arguments.values() if isinstance(value, str)]


@pytest.mark.parametrize("server", SERVERS)
def test_listings_are_identical(server: str, pair: Pair) -> None:
    high_level = server != LOWLEVEL_SERVER
    original = asyncio.run(_listings(pair.original(server), high_level))
    hardened = asyncio.run(_listings(pair.hardened(server), high_level))
    assert hardened == original
    # The listings hold what the other tests call and read.
    names = {tool["name"] for tool in original["tools"]}
    assert {call.tool for call in _calls_on(server)} <= names
    if server == "tools_server:mcp":
        assert [prompt["name"] for prompt in original["prompts"]] == [PROMPT[0]]
        assert [resource["uri"] for resource in original["resources"]] == [RESOURCES[0]]
        assert [template["uriTemplate"] for template in original["templates"]] == [
            "notes://{topic}"
        ]


@pytest.mark.parametrize("server", SERVERS)
def test_calls_are_identical_and_logged(
    server: str, pair: Pair, runtime: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _calls_on(server)
    original = asyncio.run(_call(pair.original(server), calls))
    assert events(capsys.readouterr().err) == []
    hardened = asyncio.run(_call(pair.hardened(server), calls))
    stderr = capsys.readouterr().err

    assert hardened == original
    assert not any(result.get("isError") for result in original), original
    logged = events(stderr)
    # One line per call, nothing else: benign arguments trigger no validation or rate limit.
    assert [event["event"] for event in logged] == ["tool_call"] * len(calls), stderr
    for call, event in zip(calls, logged, strict=True):
        assert event["tool"] == call.tool
        assert event["caller"] == "local"
        assert event["isError"] is False and event["error"] is None
        assert event["response_size"] > 0
        for name, value in call.arguments.items():
            assert event["params"][name] == type(value).__name__
        assert "ctx" not in event["params"]
    lines = "\n".join(event_lines(stderr))
    for call in calls:
        for value in _string_values(call.arguments):
            assert json.dumps(value) not in lines


TOOL_IDS = list(dict.fromkeys(call.id for call in CALLS))  # one case per tool called


def _first_call(call_id: str) -> Call:
    return next(call for call in CALLS if call.id == call_id)


@pytest.mark.parametrize("call_id", TOOL_IDS)
def test_each_tool_is_logged_under_the_name_clients_call(
    call_id: str, pair: Pair, runtime: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    call = _first_call(call_id)
    asyncio.run(_call(pair.hardened(call.server), [call]))
    logged = events(capsys.readouterr().err)
    assert [(event["event"], event["tool"]) for event in logged] == [("tool_call", call.tool)]


@pytest.mark.parametrize("call_id", TOOL_IDS)
def test_logged_params_are_the_tools_own(
    call_id: str, pair: Pair, runtime: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """The log names only parameters of the tool's schema: no `self`, no injected Context."""
    call = _first_call(call_id)

    async def schema_and_call(server: object) -> JSON:
        async with connect(server) as session:
            tools = await session.list_tools()
            await session.call_tool(call.tool, call.arguments)
        return next(tool for tool in tools if tool["name"] == call.tool)["inputSchema"]

    schema = asyncio.run(schema_and_call(pair.hardened(call.server)))
    (event,) = events(capsys.readouterr().err)
    assert set(call.arguments) <= set(event["params"]) <= set(schema["properties"])


@pytest.mark.skipif("tools_server:mcp" not in SERVERS, reason="no resources on this server")
def test_resources_and_prompts_are_identical_and_logged(
    pair: Pair, runtime: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    async def read(server: object) -> list[JSON]:
        async with connect(server) as session:
            results = [await session.read_resource(uri) for uri in RESOURCES]
            return [*results, await session.get_prompt(*PROMPT)]

    original = asyncio.run(read(pair.original("tools_server:mcp")))
    capsys.readouterr()
    hardened = asyncio.run(read(pair.hardened("tools_server:mcp")))
    logged = events(capsys.readouterr().err)
    assert hardened == original
    assert original[1]["contents"][0]["text"] == "Notes on hardening: nothing yet."
    assert [(event["event"], event["tool"]) for event in logged] == [
        ("tool_call", name) for name in RESOURCE_AND_PROMPT_EVENTS
    ]
    assert logged[1]["params"] == {"topic": "str"}


@pytest.mark.skipif("future_server:mcp" not in SERVERS, reason="no Context tool here")
def test_context_is_still_injected(
    pair: Pair, runtime: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = {"name": "Ada Lovelace", "excited": True}

    async def greet(server: object) -> tuple[JSON, list[str]]:
        async with connect(server) as session:
            result = await session.call_tool("greet", arguments)
            # The log notification and the result travel separately: let the first land.
            for _ in range(100):
                if session.log_messages:
                    break
                await asyncio.sleep(0.01)
            return result, session.log_messages

    original, original_log = asyncio.run(greet(pair.original("future_server:mcp")))
    capsys.readouterr()
    hardened, hardened_log = asyncio.run(greet(pair.hardened("future_server:mcp")))
    logged = events(capsys.readouterr().err)

    assert hardened == original
    assert text_of(hardened).startswith("Hello, Ada Lovelace! (via Context, request True)")
    # ctx.info reached the client through the session the framework injected.
    assert "Hello, Ada Lovelace!" in original_log
    assert hardened_log == original_log
    assert [event["params"] for event in logged] == [{"name": "str", "excited": "bool"}]


ATTACK_CASES = [
    pytest.param(server, attack, id=f"{server}-{attack.name}")
    for server in ATTACKED_SERVERS
    for attack in ATTACKS
]


@pytest.mark.parametrize(("server", "attack"), ATTACK_CASES)
def test_attack_is_logged_and_let_through(
    server: str,
    attack: Attack,
    pair: Pair,
    runtime: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    call = Call(server, attack.tool, attack.arguments)
    (original,) = asyncio.run(_call(pair.original(server), [call]))
    capsys.readouterr()
    (hardened,) = asyncio.run(_call(pair.hardened(server), [call]))
    stderr = capsys.readouterr().err

    assert hardened == original
    assert not original.get("isError"), original
    logged = [(e["event"], e.get("rule"), e.get("param"), e["tool"]) for e in events(stderr)]
    assert logged == [
        ("VALIDATION_WOULD_REJECT", attack.rule, attack.param, attack.tool),
        ("tool_call", None, None, attack.tool),
    ]
    assert attack.secret not in "\n".join(event_lines(stderr))


@pytest.mark.parametrize(("server", "attack"), ATTACK_CASES)
def test_enforced_validation_refuses_the_attack_only(
    server: str,
    attack: Attack,
    pair: Pair,
    runtime: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    benign = BENIGN[server]
    (expected,) = asyncio.run(_call(pair.original(server), [benign]))
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    runtime.configure()
    capsys.readouterr()
    refused, allowed = asyncio.run(
        _call(pair.hardened(server), [Call(server, attack.tool, attack.arguments), benign])
    )
    stderr = capsys.readouterr().err

    assert refused["isError"] is True
    assert attack.secret not in json.dumps(refused)
    assert f"'{attack.param}'" in text_of(refused)
    assert allowed == expected
    logged = [(e["event"], e.get("rule"), e.get("param"), e.get("isError")) for e in events(stderr)]
    assert logged == [
        ("VALIDATION_REJECTED", attack.rule, attack.param, None),
        ("tool_call", None, None, True),
        ("tool_call", None, None, False),
    ]


@pytest.mark.parametrize("enforce", [False, True], ids=["shadow", "enforced"])
@pytest.mark.parametrize("server", ATTACKED_SERVERS)
def test_rate_limit(
    server: str,
    enforce: bool,
    pair: Pair,
    runtime: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = BENIGN[server]
    (expected,) = asyncio.run(_call(pair.original(server), [call]))
    monkeypatch.setenv("RATE_LIMIT_RPM", "2")
    if enforce:
        monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")
    runtime.configure()
    capsys.readouterr()
    results = asyncio.run(_call(pair.hardened(server), [call] * 3))
    logged = [(e["event"], e.get("limit_rpm")) for e in events(capsys.readouterr().err)]

    assert results[:2] == [expected, expected]
    throttled = [("tool_call", None), ("tool_call", None)]
    if enforce:
        assert results[2]["isError"] is True
        assert "Rate limit exceeded" in text_of(results[2])
        throttled += [("RATE_LIMIT_ENFORCED", 2), ("tool_call", None)]
    else:
        assert results[2] == expected
        throttled += [("RATE_LIMIT_WOULD_THROTTLE", 2), ("tool_call", None)]
    assert logged == throttled
