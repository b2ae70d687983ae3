"""The vendored runtime's error helpers: error_ref() and the mask_errors decorator.

error_ref() must give the client a generic text with a fresh ref and put the detail on stderr
under the same ref, never on stdout. mask_errors must change an exception only while a framework
serves a client's request, and only one the handler did not raise for the client.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import McpError
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import ErrorData, TextContent

from harden import runtime

SECRET = "password=hunter2 at /srv/app/db.py"


pytestmark = pytest.mark.usefixtures("fresh_runtime")


def details(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    captured = capsys.readouterr()
    assert captured.out == "", "the runtime never writes to stdout (the stdio transport)"
    lines = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "TOOL_ERROR_DETAIL"]


def ref_of(text: str) -> str:
    _, ref = text.rsplit("internal error (ref ", 1)
    assert ref.endswith(")") and len(ref) == 13, text
    return ref[:-1]


# -- error_ref ----------------------------------------------------------------------------------


def test_error_ref_gives_a_generic_text_and_logs_the_detail(capsys) -> None:
    try:
        raise KeyError(SECRET)
    except KeyError as error:
        text = runtime.error_ref(error)
    assert SECRET not in text
    (record,) = details(capsys)
    assert record["ref"] == ref_of(text)
    assert record["exception"] == "KeyError"
    assert record["message"] == repr(SECRET)
    assert "raise KeyError(SECRET)" in record["traceback"]
    assert "tool" not in record, "no handler is running"


def test_error_ref_defaults_to_the_exception_being_handled(capsys) -> None:
    try:
        raise OSError(2, "No such file", "/srv/app/secret.yaml")
    except OSError:
        text = runtime.error_ref()
    (record,) = details(capsys)
    assert (record["ref"], record["exception"]) == (ref_of(text), "FileNotFoundError")
    assert "/srv/app/secret.yaml" in record["message"]
    assert runtime.error_ref().startswith("internal error (ref ")
    (outside,) = details(capsys)
    assert (outside["exception"], outside["message"], outside["traceback"]) == (None, None, None)


def test_one_exception_keeps_one_ref_and_a_detail_is_logged_beside_it(capsys) -> None:
    error = RuntimeError(SECRET)
    first, again = runtime.error_ref(error), runtime.error_ref(error)
    shown = runtime.error_ref(error, "stderr: " + SECRET)
    assert first == again == shown
    records = details(capsys)
    assert [r["ref"] for r in records] == [ref_of(first)] * 2
    assert records[1]["detail"] == "stderr: " + SECRET
    assert ref_of(runtime.error_ref(RuntimeError(SECRET))) != ref_of(first)


def test_an_exception_that_cannot_print_itself_is_still_reported(capsys) -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise ValueError("no")

    text = runtime.error_ref(Broken())
    (record,) = details(capsys)
    assert (record["ref"], record["message"]) == (ref_of(text), "<unprintable>")
    assert record["exception"].endswith("Broken")


# -- mask_errors --------------------------------------------------------------------------------


def failing_server() -> FastMCP:
    server = FastMCP("errors")

    @server.tool()
    @runtime.observe
    @runtime.mask_errors
    def crash(path: str) -> str:
        raise RuntimeError(SECRET)

    @server.tool()
    @runtime.mask_errors
    async def refuse(path: str) -> str:
        raise ToolError("Lookup failed")

    @server.tool()
    @runtime.mask_errors
    def protocol(path: str) -> str:
        raise McpError(ErrorData(code=-32602, message="bad path"))

    @server.tool()
    @runtime.mask_errors
    def inline(path: str) -> str:
        try:
            raise ValueError(SECRET)
        except ValueError as error:
            return f"failed: {runtime.error_ref(error)}"

    return server


async def call_all(server: FastMCP) -> dict[str, Any]:
    async with create_connected_server_and_client_session(server._mcp_server) as client:
        return {
            name: (await client.call_tool(name, {"path": "a"})).model_dump()
            for name in ("crash", "refuse", "protocol", "inline")
        }


def test_mask_errors_hides_unexpected_text_and_passes_deliberate_errors(capsys) -> None:
    results = asyncio.run(call_all(failing_server()))
    crash = results["crash"]
    assert crash["isError"] is True
    text = crash["content"][0]["text"]
    assert text.startswith("Error executing tool crash: internal error (ref ")
    assert results["refuse"]["content"][0]["text"] == "Error executing tool refuse: Lookup failed"
    assert results["protocol"]["content"][0]["text"].endswith("bad path")
    inline = results["inline"]
    assert inline["isError"] is False and inline["content"][0]["text"].startswith("failed: ")
    captured = capsys.readouterr()
    assert "hunter2" not in json.dumps(results)
    lines = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    by_ref = {line["ref"]: line for line in lines if line["event"] == "TOOL_ERROR_DETAIL"}
    assert set(by_ref) == {ref_of(text), ref_of(inline["content"][0]["text"])}
    crashed = by_ref[ref_of(text)]
    assert (crashed["tool"], crashed["caller"], crashed["exception"]) == (
        "crash",
        "local",
        "RuntimeError",
    )
    assert crashed["message"] == SECRET
    assert by_ref[ref_of(inline["content"][0]["text"])]["tool"] == "inline"
    # observe still logs the class of what the handler raised
    (call,) = [line for line in lines if line["event"] == "tool_call" and line["tool"] == "crash"]
    assert (call["isError"], call["error"]) == (True, "RuntimeError")


class PolicyError(Exception):
    """The project's own exception, raised only with messages written for the client."""


PolicyError.__module__ = "notes_app.errors"  # as installed from src/notes_app/errors.py


class Refused(PolicyError):
    pass


def test_text_written_for_the_client_passes_and_the_rest_is_masked(capsys) -> None:
    from pydantic import BaseModel

    class Query(BaseModel):
        limit: int

    server = FastMCP("policy")

    @server.tool()
    @runtime.mask_errors(keep=("src.notes_app.errors.PolicyError",))
    def run(command: str) -> str:
        if command == "rm":
            raise PolicyError("command not allowed: rm")
        if command == "sudo":
            raise Refused("no sudo")
        if command == "limit":
            return str(Query.model_validate({"limit": "many"}).limit)
        raise ValueError(SECRET)

    async def call(command: str) -> str:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            result = await client.call_tool("run", {"command": command})
            assert result.isError is True
            return result.content[0].text

    assert asyncio.run(call("rm")).endswith("command not allowed: rm")
    assert asyncio.run(call("sudo")).endswith("no sudo")  # a class deriving from a kept one
    assert "Input should be a valid integer" in asyncio.run(call("limit"))
    masked = asyncio.run(call("other"))
    assert "hunter2" not in masked and "internal error (ref " in masked
    assert len(details(capsys)) == 1


def test_a_direct_call_and_cancellation_pass_unchanged() -> None:
    @runtime.mask_errors
    def crash() -> str:
        raise RuntimeError(SECRET)

    @runtime.mask_errors
    async def cancelled() -> str:
        raise asyncio.CancelledError

    with pytest.raises(RuntimeError, match="hunter2"):
        crash()
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancelled())


def test_enforced_validation_still_reaches_the_client(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ENFORCE_VALIDATION", "true")
    server = FastMCP("files")

    @server.tool()
    @runtime.validate
    @runtime.mask_errors
    def read_file(path: str) -> str:
        return path

    async def call() -> Any:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            return await client.call_tool("read_file", {"path": "../../etc/passwd"})

    result = asyncio.run(call())
    assert result.isError is True
    assert result.content[0].text.endswith("Argument 'path' was rejected by input validation.")
    assert details(capsys) == []


def test_a_lowlevel_handler_gets_the_generic_text(capsys) -> None:
    server = Server("ops")

    @server.call_tool()
    @runtime.mask_errors(lowlevel=True)
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[TextContent]:
        raise RuntimeError(SECRET)

    async def call() -> Any:
        async with create_connected_server_and_client_session(server) as client:
            return await client.call_tool("grep", {})

    result = asyncio.run(call())
    assert result.isError is True
    text = result.content[0].text
    assert "hunter2" not in text
    (record,) = details(capsys)
    assert (record["ref"], record["tool"]) == (ref_of(text), "grep")


def test_the_running_call_is_forgotten_after_it_returns(capsys) -> None:
    @runtime.mask_errors
    def tool() -> str:
        return "ok"

    assert tool() == "ok"
    runtime.error_ref(RuntimeError("later"))
    (record,) = details(capsys)
    assert "tool" not in record
