"""Phase 5's errors half seen by a real mcp 1.x client, before and after the rewrite.

Every idiom of test_error_messages.py runs in a FastMCP server whose backend fails with an
exception carrying `password=hunter2 at /srv/app/db.py`. The server module is imported as
written and as rewritten by error-messages and mask-errors (as `harden apply --phase 5 --only
errors` would), and each tool is called through mcp's in-memory client session. Before, the
client reads the secret; after, it never does, the server's stderr holds it under the ref the
client got, and the result's content types, JSON keys and isError are the same.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import libcst as cst
import pytest
from mcp.shared.memory import create_connected_server_and_client_session
from test_error_messages import HEADER, HELPER_SERVER, IDIOMS, tool

from harden import runtime
from harden.codemods.base import FileRun
from harden.codemods.error_messages import ErrorMessages
from harden.codemods.mask_errors import MaskErrors

SECRET = "password=hunter2 at /srv/app/db.py"
LEAKED = ("hunter2", "/srv/app/db.py")
REF = re.compile(r"internal error \(ref ([0-9a-f]{12})\)")

BACKEND = f'''
SECRET = {SECRET!r}


class Failure(RuntimeError):
    """Shaped like CalledProcessError: the detail is in its text and in an attribute."""

    stderr = SECRET


def backend(path):
    raise Failure(SECRET)


def shorten(text):
    return text[:200]


'''

_counter = itertools.count()


def load(source: str, directory: Path) -> ModuleType:
    """`source` imported as a module of its own."""
    name = f"error_messages_server_{next(_counter)}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def harden_errors(source: str) -> str:
    """What `harden apply --phase 5 --only errors` makes of a module."""
    module = cst.parse_module(source)
    for codemod in (ErrorMessages, MaskErrors):
        module = codemod(FileRun("server.py", decide=lambda _: True)).transform_module(module)
    return module.code


async def exchange(module: ModuleType, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Each call's result as the client received it, and the log notifications it got."""
    notifications: list[str] = []

    async def on_log(params: Any) -> None:
        notifications.append(str(params.data))

    async with create_connected_server_and_client_session(
        module.mcp._mcp_server, logging_callback=on_log
    ) as client:
        results = [
            (await client.call_tool(name, arguments)).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            for name, arguments in calls
        ]
    return {"results": results, "notifications": notifications}


def shape(result: dict[str, Any]) -> dict[str, Any]:
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


def details(stderr: str) -> dict[str, dict[str, Any]]:
    """The runtime's TOOL_ERROR_DETAIL lines, by ref."""
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return {r["ref"]: r for r in records if r.get("event") == "TOOL_ERROR_DETAIL"}


@pytest.fixture(autouse=True)
def vendored_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    # A hardened module imports `harden_runtime`, vendored beside it when deployed.
    monkeypatch.setitem(sys.modules, "harden_runtime", runtime)


def before_and_after(
    source: str, calls: list[tuple[str, dict[str, Any]]], tmp_path: Path, capsys: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]]:
    before = asyncio.run(exchange(load(source, tmp_path), calls))
    capsys.readouterr()
    hardened = harden_errors(source)
    assert hardened != source
    after = asyncio.run(exchange(load(hardened, tmp_path), calls))
    captured = capsys.readouterr()
    assert captured.out == "", "the runtime never writes to stdout (the stdio transport)"
    return before, after, details(captured.err)


def assert_hidden_and_logged(
    before: dict[str, Any], after: dict[str, Any], logged: dict[str, dict[str, Any]]
) -> None:
    shown_before = json.dumps(before)
    assert all(text in shown_before for text in LEAKED), "the test must start from a leak"
    for result_before, result_after in zip(before["results"], after["results"], strict=True):
        assert shape(result_after) == shape(result_before)
    shown = json.dumps(after)
    assert not any(text in shown for text in LEAKED), shown
    refs = REF.findall(shown)
    assert refs, shown
    for ref in refs:
        record = logged[ref]
        detail = json.dumps([record["message"], record.get("detail"), record["traceback"]])
        assert all(text in detail for text in LEAKED), record


@pytest.mark.parametrize("lines", [before for before, _ in IDIOMS.values()], ids=IDIOMS.keys())
def test_the_client_gets_a_ref_and_the_log_the_detail(
    lines: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = HEADER + BACKEND + tool(*lines)
    before, after, logged = before_and_after(source, [("lookup", {"path": "a"})], tmp_path, capsys)
    assert_hidden_and_logged(before, after, logged)


def test_an_unhandled_exception_is_masked_and_a_deliberate_one_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        HEADER
        + BACKEND
        + "@mcp.tool()\ndef crash(path: str) -> str:\n    return backend(path)\n\n\n"
        + "@mcp.tool()\ndef refuse(path: str) -> str:\n"
        + '    raise ToolError("Lookup failed: no such record")\n'
    )
    calls = [("crash", {"path": "a"}), ("refuse", {"path": "a"})]
    before, after, logged = before_and_after(source, calls, tmp_path, capsys)
    assert_hidden_and_logged(before, after, logged)
    crashed, refused = after["results"]
    assert crashed["isError"] is True
    assert crashed["content"][0]["text"].startswith("Error executing tool crash: internal error")
    assert refused == before["results"][1]
    assert refused["content"][0]["text"].endswith("Lookup failed: no such record")
    (record,) = logged.values()
    assert (record["tool"], record["caller"]) == ("crash", "local")
    assert record["exception"].endswith(".Failure")


def test_a_rewritten_helper_fixes_every_tool_that_calls_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = HELPER_SERVER.replace(
        'return {"ok": True, "text": open(path).read()}',
        "raise OSError(SECRET)",
    ).replace("os.remove(path)", "raise OSError(SECRET)")
    source = f"SECRET = {SECRET!r}\n" + source
    calls = [("read", {"path": "a"}), ("remove", {"path": "a"})]
    before, after, logged = before_and_after(source, calls, tmp_path, capsys)
    assert_hidden_and_logged(before, after, logged)
    read, remove = (json.loads(r["content"][0]["text"]) for r in after["results"])
    assert read["error"].startswith("read failed: internal error (ref ")
    assert remove["error"].startswith("remove failed: internal error (ref ")
    assert read["error"] != remove["error"], "each failure has a ref of its own"


def test_a_direct_call_still_raises_the_original_exception(tmp_path: Path) -> None:
    source = (
        HEADER + BACKEND + "@mcp.tool()\ndef crash(path: str) -> str:\n    return backend(path)\n"
    )
    module = load(harden_errors(source), tmp_path)
    assert "@harden_runtime.mask_errors\ndef crash" in harden_errors(source)
    with pytest.raises(RuntimeError, match="hunter2"):
        module.crash("a")
