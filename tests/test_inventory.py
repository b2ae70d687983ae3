"""`harden inventory`: per tool, what the logs saw it do against what its code declares and can
do, with each flag the issue names; as a table, JSON and rendered Markdown.

The project is a package written the way MCP servers are (the server in one module, tools in
another importing it, a helper module doing the writing); the logs are lines as the runtime
writes them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from harden.cli import app

APP = """\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")
"""

STORE = """\
import os
from pathlib import Path

INDEX = Path("/var/cache/notes/index")


def touch_index(name: str) -> None:
    INDEX.write_text(name)


def remove(name: str) -> None:
    os.remove(Path("/srv/notes") / name)
"""

TOOLS = """\
from __future__ import annotations

import subprocess
import urllib.request
from typing import TYPE_CHECKING

from mcp.types import ToolAnnotations

from .app import mcp
from .store import remove, touch_index

if TYPE_CHECKING:
    from collections.abc import Sequence


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
def read_note(name: str) -> str:
    touch_index(name)
    return open(f"/srv/notes/{name}").read()


@mcp.tool(annotations=ToolAnnotations(destructiveHint=True))
def delete_note(name: str, really: bool = False) -> str:
    if really:
        remove(name)
    return "ok"


@mcp.tool()
def git_log(paths: Sequence[str] = ()) -> str:
    return subprocess.run(["git", "log", *paths], capture_output=True, text=True).stdout


@mcp.tool(annotations=ToolAnnotations(openWorldHint=False))
def fetch(url: str) -> str:
    return urllib.request.urlopen(url).read().decode()


@mcp.tool()
def count() -> int:
    return 3


@mcp.tool()
def archive() -> str:
    return "archived"
"""

START = 1_764_000_000.0
DAY = 86_400.0


def call(tool: str, *uses: str, day: int = 0, **fields: Any) -> str:
    stamp = START + day * DAY
    record = {
        "v": 1,
        "ts": datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z"),
        "event": "tool_call",
        "tool": tool,
        "caller": "desk",
        "duration_ms": 2.0,
        "isError": False,
        "uses": sorted(uses),
    } | fields
    return json.dumps(record)


LOGS = [
    call("read_note", "fs:read:/srv", "fs:write:/var", day=0),
    call("read_note", "fs:read:/srv", day=3),
    call("delete_note", day=1),
    call("git_log", "exec:git", day=2),
    call("fetch", "net:127.0.0.1:8080", day=4),
    call("count", day=5),
    call("ghost", day=6),
    call("git_log", "exec:git", day=6, event="PERMISSION_WOULD_DENY", capability="exec:curl"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "notes"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(APP)
    (package / "store.py").write_text(STORE)
    (package / "tools.py").write_text(TOOLS)
    (tmp_path / "server.log").write_text("\n".join(LOGS) + "\nnot a harden line\n")
    return tmp_path


def inventory(project: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["inventory", str(project / "server.log"), "--path", str(project), *arguments]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def tools(project: Path) -> dict[str, dict[str, Any]]:
    code, text = inventory(project, "--format", "json")
    assert code == 0
    return {tool["tool"]: tool for tool in json.loads(text)["tools"]}


def flags(tool: dict[str, Any]) -> dict[str, str]:
    return {flag["flag"]: flag["detail"] for flag in tool["flags"]}


def test_each_flag_of_the_issue(project: Path) -> None:
    found = tools(project)
    read = found["read_note"]
    assert read["source"] == "notes/tools.py:17"
    assert read["uses"] == {"fs:read:/srv": 2, "fs:write:/var": 1}
    assert read["declared"] == {"readOnlyHint": True}
    # the hidden write path: declared read-only, seen writing (through its helper)
    assert flags(read)["hidden-write"] == "declares readOnlyHint, seen fs:write:/var"
    assert [(s["kind"], s["via"]) for s in read["static"]] == [
        ("fs:write", "notes.store.touch_index")
    ]
    assert read["phase_6_would_set"] == {"readOnlyHint": False}

    delete = flags(found["delete_note"])
    assert delete["declared-unobserved"] == (
        "declares destructiveHint, never seen writing or running a program"
    )
    assert delete["static-unobserved"].startswith("fs:write at notes/store.py:12 via notes.store")

    assert flags(found["fetch"]) == {}
    assert found["fetch"]["phase_6_would_set"] == {"openWorldHint": True}
    assert flags(found["git_log"]) == {"outside-policy": "exec:curl (1 time(s))"}
    assert found["count"]["phase_6_would_set"] == {"readOnlyHint": True}
    assert flags(found["archive"]) == {"never-called": "no call in these logs"}
    assert flags(found["ghost"]) == {
        "not-in-source": "no handler of this name in the code read",
    }


def test_calls_without_uses_cannot_be_judged(project: Path) -> None:
    (project / "server.log").write_text(call("count").replace(', "uses": []', "") + "\n")
    count = tools(project)["count"]
    assert count["calls"] == 1 and count["observed_calls"] == 0
    assert "none recording its uses" in flags(count)["never-called"]
    assert count["phase_6_would_set"] == {}


def test_strict_fails_on_a_hidden_write_or_a_use_outside_the_policy(project: Path) -> None:
    assert inventory(project, "--strict", "--format", "json")[0] == 1
    (project / "server.log").write_text(call("count") + "\n")
    assert inventory(project, "--strict", "--format", "json")[0] == 0


def test_table_and_markdown_show_the_same_facts(project: Path) -> None:
    code, table = inventory(project)
    assert code == 0
    for text in ("read_note", "hidden-write", "fs:write:/var x1", "readOnlyHint=True"):
        assert text in table
    code, markdown = inventory(project, "--format", "markdown")
    assert "Tool calls from 2025-11-24T16:00:00.000+00:00 to " in markdown
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert html.count("<tr>") == 1 + 7  # the header and one row per tool
    assert "<strong>hidden-write</strong>" in html
    assert "<code>count</code>: readOnlyHint=True" in html


def test_the_window_narrows_what_is_judged(project: Path) -> None:
    # From day 4 on: read_note's write (day 0) is outside the window.
    since = "2025-11-28T16:00:00Z"
    code, text = inventory(project, "--format", "json", "--since", since)
    assert code == 0
    read = {t["tool"]: t for t in json.loads(text)["tools"]}["read_note"]
    assert "hidden-write" not in flags(read) and "never-called" in flags(read)


def test_refused_and_would_be_refused_uses_count_against_read_only(project: Path) -> None:
    """A write refused under enforce (PERMISSION_DENIED) is a write the tool tried: no
    readOnlyHint for it, and --strict fails on it."""
    denied = call("count", event="PERMISSION_DENIED", capability="fs:write:/srv")
    (project / "server.log").write_text("\n".join([call("count"), denied]) + "\n")
    count = tools(project)["count"]
    assert count["denied"] == {"fs:write:/srv": 1}
    assert flags(count) == {"outside-policy": "fs:write:/srv (1 time(s), refused)"}
    assert count["phase_6_would_set"] == {}
    assert inventory(project, "--strict", "--format", "json")[0] == 1


def test_a_name_two_handlers_share_is_not_judged(project: Path) -> None:
    """The logs name tools, not functions: two `count` tools cannot be told apart."""
    (project / "notes" / "extra.py").write_text(
        "from .app import mcp\n\n\n@mcp.tool()\ndef count() -> int:\n    return 4\n"
    )
    count = tools(project)["count"]
    assert count["source"] is None
    assert flags(count)["same-name"] == (
        "registered at notes/extra.py:5, notes/tools.py:40: the logs cannot tell them apart"
    )
    assert count["phase_6_would_set"] == {}


def test_only_uses_of_the_runtime_forms_are_read(project: Path) -> None:
    odd = json.loads(call("count", "net:api.example.com:443"))
    odd["uses"] += [1, {"a": 2}, "rm -rf /", ""]
    (project / "server.log").write_text(json.dumps(odd) + "\n")
    assert tools(project)["count"]["uses"] == {"net:api.example.com:443": 1}
