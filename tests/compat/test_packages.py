"""Servers laid out over a package behave like the originals once hardened, on every SDK line.

fixtures/compat/<family>/notebook spreads one server over modules the way real projects do:
tools decorating a server imported from the package (relatively, absolutely, through a module
alias, re-exported by `__init__.py`), register functions taking the server (annotated under
`if TYPE_CHECKING:`, or not annotated at all), a class registering its methods, plain functions
registered from another module (`add_tool`, `tool(name=...)(fn)`, `Tool.from_function`, a loop)
and a factory's server; `desk` splits a low-level server from its handlers. After phases 1, 2,
3 and 5, through the SDK's own client: the listings are the same JSON, each call gives the same
result and writes its one `tool_call` line, exception text reaches the client only as a ref,
and a tool calling another tool is one client call.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from compat_support import (
    JSON,
    LEAKS,
    PACKAGE_CALLS,
    PACKAGE_SERVERS,
    SDK,
    PackageCall,
    connect,
    event_lines,
    events,
    package_imported,
    text_of,
)
from conftest import RUNTIME_VARIABLES, Tree

REF = "internal error (ref "


@pytest.fixture(autouse=True)
def default_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in RUNTIME_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


async def _listings(server: object) -> JSON:
    async with connect(server) as session:
        listings: JSON = {"tools": await session.list_tools()}
        if server_is_high_level(server):
            listings["prompts"] = await session.list_prompts()
            listings["resources"] = await session.list_resources()
            listings["templates"] = await session.list_resource_templates()
        return listings


def server_is_high_level(server: object) -> bool:
    return not type(server).__module__.startswith("mcp.server.lowlevel")


async def _answers(server: object, calls: list[PackageCall], reads: bool) -> list[JSON]:
    async with connect(server) as session:
        answers = [await session.call_tool(call.tool, call.arguments) for call in calls]
        if reads:
            answers.append(await session.read_resource("notes://groceries"))
            answers.append(await session.get_prompt("summarize", {"name": "todo"}))
        return answers


def _on(root: Path, server: str, calls: list[PackageCall], reads: bool = False) -> list[JSON]:
    with package_imported(root, server) as loaded:
        return asyncio.run(_answers(loaded, calls, reads))


def _calls_on(server: str) -> list[PackageCall]:
    return [call for call in PACKAGE_CALLS if call.server == server]


@pytest.mark.parametrize("server", PACKAGE_SERVERS)
def test_listings_are_identical(server: str, tree: Tree) -> None:
    with package_imported(tree.original / "compat", server) as loaded:
        original = asyncio.run(_listings(loaded))
    with package_imported(tree.hardened / "compat", server) as loaded:
        hardened = asyncio.run(_listings(loaded))
    assert hardened == original
    assert {call.tool for call in _calls_on(server)} <= {tool["name"] for tool in original["tools"]}


@pytest.mark.parametrize("server", PACKAGE_SERVERS)
def test_calls_are_identical_and_each_writes_its_line(
    server: str, tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _calls_on(server)
    reads = server == "notebook.server:mcp"
    original = _on(tree.original / "compat", server, calls, reads)
    assert events(capsys.readouterr().err) == []
    hardened = _on(tree.hardened / "compat", server, calls, reads)
    stderr = capsys.readouterr().err

    assert hardened == original
    assert not any(answer.get("isError") for answer in original), original
    logged = [event for event in events(stderr) if event["event"] == "tool_call"]
    expected = [call.logged_as for call in calls if call.logged_as is not None]
    if reads:
        expected += ["note_resource", "summarize"]
    assert [event["tool"] for event in logged] == expected, stderr
    assert all(event["isError"] is False for event in logged)
    lines = "\n".join(event_lines(stderr))
    for call in calls:
        for value in call.arguments.values():
            if isinstance(value, str):
                assert json.dumps(value) not in lines, "a value reached the log"


@pytest.mark.parametrize(("call", "secret"), LEAKS, ids=[call.tool for call, _ in LEAKS])
def test_exception_text_reaches_the_client_only_as_a_ref(
    call: PackageCall, secret: str, tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    [original] = _on(tree.original / "compat", call.server, [call])
    [hardened] = _on(tree.hardened / "compat", call.server, [call])
    stderr = capsys.readouterr().err

    # mcp 2.x hides the text of an exception a tool raises itself (its generic message stays).
    sdk_hides_it = SDK == "mcp2" and call.tool == "vacuum"
    assert (secret in text_of(original)) is not sdk_hides_it, original
    assert secret not in text_of(hardened), hardened
    assert hardened.get("isError", False) == original.get("isError", False)
    if not sdk_hides_it:
        assert REF in text_of(hardened), hardened
        ref = text_of(hardened).partition(REF)[2].partition(")")[0]
        details = [e for e in events(stderr) if e["event"] == "TOOL_ERROR_DETAIL"]
        assert [d["ref"] for d in details] == [ref]
        assert secret in details[0]["message"], "the detail stays in the server's log"


def test_a_tool_calling_a_tool_is_one_client_call(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENFORCE_RATE_LIMITS", "true")
    monkeypatch.setenv("RATE_LIMIT_RPM", "1")
    calls = [c for c in _calls_on("notebook.server:mcp") if c.tool in ("list_notes", "note_count")]
    answers = _on(tree.hardened / "compat", "notebook.server:mcp", calls)
    assert [a.get("isError", False) for a in answers] == [False, False], answers
    # note_count calls list_notes: neither logged nor counted against the limit of 1.
    logged = [e["tool"] for e in events(capsys.readouterr().err) if e["event"] == "tool_call"]
    assert logged == ["list_notes", "note_count"]


def test_direct_calls_in_the_package_run_as_written(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    with package_imported(tree.hardened / "compat", "notebook.server:mcp"):
        from notebook.plain import shout  # type: ignore[import-not-found]
        from notebook.tools.notes import shelf  # type: ignore[import-not-found]

        assert hasattr(shout, "__wrapped__"), "this is the hardened function"
        assert shout("hi") == "HI"
        assert shelf.note_count() == 3
    assert events(capsys.readouterr().err) == []


def test_the_packages_were_hardened_as_one_file_would_be(tree: Tree) -> None:
    """Every handler module got the decorators, and only the run-time plugins were refused."""
    output = tree.harden_output
    refused = [line for line in output.splitlines() if "not provably" in line]
    assert refused, output
    assert all("plugins.py" in line for line in refused), "\n".join(refused)
    notebook = tree.hardened / "compat" / "notebook"
    for module in ("plain.py", "tools/notes.py", "tools/search.py", "tools/admin.py", "factory.py"):
        text = (notebook / module).read_text()
        for decorator in ("observe", "validate", "rate_limit", "mask_errors"):
            assert f"@harden_runtime.{decorator}" in text, (module, decorator)
