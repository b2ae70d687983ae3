"""Phase 5's errors half against this environment's SDK, through its own in-memory client.

A server of this SDK whose tools fail with an exception carrying `password=hunter2 at
/srv/app/db.py` shows each idiom of exception text reaching a client (returned, raised, sent as a
log notification, formatted by a helper, or left unhandled). It is written to a temporary
directory, hardened there with the installed `harden apply --phase 5 --only errors --in-place`,
and both copies are called: after hardening the client never sees the secret, every ref it gets
names a TOOL_ERROR_DETAIL line holding the secret, and each result's content types, JSON keys and
isError are unchanged. mcp 2.x already hides an unhandled exception's text, so there those
places hold no secret before either.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from compat_support import FAMILY, JSON, SDK, connect, events, loaded_as_deployed
from conftest import harden_command

SECRET = "password=hunter2 at /srv/app/db.py"
LEAKED = ("hunter2", "/srv/app/db.py")
REF = re.compile(r"internal error \(ref ([0-9a-f]{12})\)")

IMPORTS = {
    "mcp1": (
        "from mcp.server.fastmcp import Context, FastMCP as Server\n"
        "from mcp.server.fastmcp.exceptions import ToolError\n"
    ),
    "mcp2": (
        "from mcp.server.mcpserver import Context, MCPServer as Server\n"
        "from mcp.server.mcpserver.exceptions import ToolError\n"
    ),
    "fastmcp": (
        "from fastmcp import Context, FastMCP as Server\nfrom fastmcp.exceptions import ToolError\n"
    ),
}[FAMILY]

HEADER = f"""\
import json
import traceback

{IMPORTS}from mcp.types import CallToolResult, TextContent

mcp = Server("errors")
SECRET = {SECRET!r}


def backend(path: str) -> str:
    raise RuntimeError(SECRET)


def failure(error: Exception) -> dict:
    return {{"ok": False, "error": f"{{type(error).__name__}}: {{error}}"}}


"""

# tool name -> the lines of its `except Exception as e:` block
CASES: dict[str, tuple[str, ...]] = {
    "returned_fstring": ('return f"Lookup failed: {e}"',),
    "returned_dict": ('return {"success": False, "error": str(e)}',),
    "returned_json": ('return json.dumps({"error": repr(e)})',),
    "returned_concatenation": ('return "Failed: " + str(e)',),
    "returned_percent": ('return "Error: %s" % e',),
    "returned_attribute": ('return {"error": e.args[0]}',),
    "returned_content": ('return [TextContent(type="text", text=f"Error: {e}")]',),
    "returned_result": (
        'return CallToolResult(isError=True, content=[TextContent(type="text", text=str(e))])',
    ),
    "returned_traceback": ("return traceback.format_exc()",),
    "raised_value_error": ('raise ValueError(f"Invalid input: {e}") from e',),
    "raised_tool_error": ("raise ToolError(str(e)) from e",),
    "logged_to_client": ('await ctx.error(f"lookup failed: {e}")', 'return "failed"'),
    "formatted_by_helper": ("return failure(e)",),
}
# Places whose text the SDK itself already hides from the client.
HIDDEN_BY_SDK = {"raised_value_error", "unhandled"} if SDK == "mcp2" else set()


def server_source() -> str:
    tools = [
        f"@mcp.tool()\nasync def {name}(path: str, ctx: Context):\n"
        "    try:\n        return backend(path)\n    except Exception as e:\n"
        + "".join(f"        {line}\n" for line in lines)
        for name, lines in CASES.items()
    ]
    tools.append("@mcp.tool()\ndef unhandled(path: str) -> str:\n    return backend(path)\n")
    return HEADER + "\n\n".join(tools)


def harden_errors(directory: Path) -> str:
    process = subprocess.run(
        [harden_command(), "apply", "-p", "5", "--only", "errors", "--in-place", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stderr


async def exchange(module: ModuleType) -> tuple[dict[str, JSON], list[str]]:
    async with connect(module.mcp) as session:
        results = {name: await session.call_tool(name, {"path": "a"}) for name in TOOLS}
        return results, session.log_messages


TOOLS = (*CASES, "unhandled")


def shape(result: JSON) -> JSON:
    """What a client's code relies on: isError, content types, the keys of JSON text."""
    keys = []
    for block in result.get("content", []):
        try:
            value = json.loads(block.get("text", ""))
        except ValueError:
            value = None
        keys.append(sorted(value) if isinstance(value, dict) else None)
    return {
        "isError": result.get("isError", False),
        "types": [block["type"] for block in result.get("content", [])],
        "keys": keys,
        "structured": sorted(result.get("structuredContent") or {}),
    }


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The calls' results and log notifications on the server as written and as hardened, the
    runtime's TOOL_ERROR_DETAIL lines by ref, and harden's output."""
    original = tmp_path_factory.mktemp("errors-original")
    hardened = tmp_path_factory.mktemp("errors-hardened")
    for directory in (original, hardened):
        (directory / "errors_server.py").write_text(server_source())
    output = harden_errors(hardened)
    with loaded_as_deployed(original / "errors_server.py", "original") as (module, _):
        before = asyncio.run(exchange(module))
    with loaded_as_deployed(hardened / "errors_server.py", "hardened") as (module, captured):
        after = asyncio.run(exchange(module))
    details = {
        record["ref"]: record
        for record in events(captured.getvalue())
        if record["event"] == "TOOL_ERROR_DETAIL"
    }
    return {
        "before": before,
        "after": after,
        "details": details,
        "output": output,
        "source": (hardened / "errors_server.py").read_text(),
    }


def test_every_tool_is_hardened(exchanges: dict[str, Any]) -> None:
    source = exchanges["source"]
    assert source.count("@harden_runtime.mask_errors") == len(TOOLS)
    assert source.count("harden_runtime.error_ref(") == len(CASES)
    assert "not rewritten" not in exchanges["output"]


@pytest.mark.parametrize("tool", TOOLS)
def test_the_client_gets_a_ref_and_the_log_the_detail(tool: str, exchanges: dict[str, Any]) -> None:
    (results_before, notes_before), (results_after, notes_after) = (
        exchanges["before"],
        exchanges["after"],
    )
    before = json.dumps([results_before[tool], notes_before if tool == "logged_to_client" else []])
    after = json.dumps([results_after[tool], notes_after if tool == "logged_to_client" else []])
    if tool not in HIDDEN_BY_SDK:
        assert all(text in before for text in LEAKED), "the test must start from a leak"
        assert REF.search(after), after
    assert not any(text in after for text in LEAKED), after
    assert shape(results_after[tool]) == shape(results_before[tool])
    for ref in REF.findall(after):
        record = exchanges["details"][ref]
        logged = json.dumps([record["message"], record.get("detail"), record["traceback"]])
        assert all(text in logged for text in LEAKED), record
