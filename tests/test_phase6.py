"""Phase 6 end to end in a real git repository, from logs a real server process wrote.

A package written the way MCP servers are (the server in one module, tools in another importing
it, a register function taking the server, `from __future__ import annotations`, a helper
module) gets phase 1 on its branch, merged; the server then runs as a subprocess, started by
the SDK's stdio client with HARDEN_LOG_FILE set, and its tools are called. From that log:
`harden inventory` flags the tool declared read-only that writes, and `harden apply --phase 6
--logs LOG` lands the policies and annotations on `harden/phase-6-permissions`, leaving the
user's working tree and branches as they were; applied again once merged, it changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[1]

FILES = {
    "notes/__init__.py": "",
    "notes/app.py": 'from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("notes")\n',
    "notes/store.py": (
        "import os\n"
        "from pathlib import Path\n\n\n"
        "def folder() -> Path:\n"
        '    return Path(os.environ["NOTES_DIR"])\n\n\n'
        "def save(name: str, text: str) -> None:\n"
        "    (folder() / name).write_text(text)\n\n\n"
        "def remove(name: str) -> None:\n"
        "    os.remove(folder() / name)\n"
    ),
    "notes/tools.py": (
        "from __future__ import annotations\n\n"
        "from typing import TYPE_CHECKING\n\n"
        "from mcp.types import ToolAnnotations\n\n"
        "from .app import mcp\n"
        "from .store import folder, remove, save\n\n"
        "if TYPE_CHECKING:\n"
        "    from pathlib import Path\n\n\n"
        "def _text(path: Path) -> str:\n"
        "    return path.read_text()\n\n\n"
        "@mcp.tool()\n"
        "def read_note(name: str) -> str:\n"
        "    return _text(folder() / name)\n\n\n"
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))\n"
        "def save_note(name: str, text: str) -> str:\n"
        "    save(name, text)\n"
        '    return "saved"\n\n\n'
        "@mcp.tool()\n"
        "def count(names: list[str]) -> int:\n"
        "    return len(names)\n\n\n"
        "@mcp.tool(annotations=ToolAnnotations(destructiveHint=True))\n"
        "def prune(name: str, really: bool = False) -> str:\n"
        "    if really:\n"
        "        remove(name)\n"
        '    return "kept"\n'
    ),
    "notes/admin.py": (
        "from mcp.server.fastmcp import FastMCP\n\n\n"
        "def register(server: FastMCP) -> None:\n"
        "    @server.tool()\n"
        "    def purge() -> str:\n"
        '        return "purged"\n'
    ),
    "notes/__main__.py": (
        "from . import tools  # noqa: F401  (registers the tools)\n"
        "from .admin import register\n"
        "from .app import mcp\n\n"
        "register(mcp)\n"
        "mcp.run()\n"
    ),
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def harden(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "harden", *args], cwd=cwd, capture_output=True, text=True, env=env
    )


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("read_note", {"name": "welcome.txt"}),
    ("save_note", {"name": "draft.txt", "text": "a draft"}),
    ("count", {"names": ["a", "b"]}),
    ("prune", {"name": "draft.txt"}),  # not really: its delete is never exercised
]


async def _call_tools(
    repo: Path, env: dict[str, str], calls: list[tuple[str, dict[str, Any]]]
) -> list[Any]:
    server = StdioServerParameters(command=sys.executable, args=["-m", "notes"], cwd=repo, env=env)
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return [await session.call_tool(name, arguments) for name, arguments in calls]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    repo = tmp_path_factory.mktemp("phase6-repo")
    notes = tmp_path_factory.mktemp("phase6-notes")
    log = tmp_path_factory.mktemp("phase6-logs") / "server.log"
    (notes / "welcome.txt").write_text("hello")
    for path, text in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "dev")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "notes server")
    assert harden(repo, "apply", "--phase", "1").returncode == 0
    git(repo, "merge", "-q", "--ff-only", "harden/phase-1-observe")
    env = {
        "PATH": os.environ["PATH"],
        "NOTES_DIR": str(notes),
        "HARDEN_ALLOWED_ROOTS": str(notes),
        "HARDEN_LOG_FILE": str(log),
    }
    results = asyncio.run(_call_tools(repo, env, CALLS))
    assert [r.isError for r in results] == [False] * len(CALLS)
    return {"repo": repo, "notes": notes, "log": log, "env": env}


def test_inventory_of_recorded_logs_flags_the_hidden_write(repo: dict[str, Any]) -> None:
    done = harden(repo["repo"], "inventory", str(repo["log"]), "--format", "json")
    assert done.returncode == 0, done.stderr
    tools = {tool["tool"]: tool for tool in json.loads(done.stdout)["tools"]}
    root = str(repo["notes"])
    assert tools["save_note"]["uses"] == {f"fs:write:{root}": 1}
    assert [f["flag"] for f in tools["save_note"]["flags"]] == ["hidden-write"]
    assert tools["read_note"]["uses"] == {f"fs:read:{root}": 1}
    assert tools["count"]["uses"] == {}
    assert [f["flag"] for f in tools["purge"]["flags"]] == ["never-called"]
    prune = {f["flag"]: f["detail"] for f in tools["prune"]["flags"]}
    assert prune["declared-unobserved"] == (
        "declares destructiveHint, never seen writing or running a program"
    )
    assert prune["static-unobserved"].startswith("fs:write at notes/store.py:")
    admin = (repo["repo"] / "notes" / "admin.py").read_text().splitlines()
    assert (
        tools["purge"]["source"] == f"notes/admin.py:{admin.index('    def purge() -> str:') + 1}"
    )
    assert harden(repo["repo"], "inventory", str(repo["log"]), "--strict").returncode == 1


def test_phase_6_lands_the_policy_on_its_branch(repo: dict[str, Any]) -> None:
    folder, root = repo["repo"], str(repo["notes"])
    (folder / "notes" / "app.py").write_text(FILES["notes/app.py"] + "# an edit of my own\n")
    heads = git(folder, "for-each-ref", "refs/heads")
    done = harden(folder, "apply", "--phase", "6", "--logs", str(repo["log"]))
    assert done.returncode == 0, done.stderr
    assert "purge" not in git(folder, "diff", "main", "harden/phase-6-permissions")
    written = git(folder, "show", "harden/phase-6-permissions:notes/tools.py")
    tools = "".join(written.split())  # as the project's formatter wrapped it, without the wrapping
    assert (
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))@harden_runtime.observe"
        f'@harden_runtime.permissions(uses=("fs:read:{root}",))defread_note('
    ) in tools
    assert (
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=False))@harden_runtime.observe"
        f'@harden_runtime.permissions(uses=("fs:write:{root}",))defsave_note('
    ) in tools
    assert "@harden_runtime.permissions(uses=())defcount(" in tools
    message = git(folder, "log", "-1", "--format=%B", "harden/phase-6-permissions")
    assert "harden apply --phase=6 --logs=" in message
    assert "no call of this tool in the logs given" in message
    # The user's edit and branches are as they were, plus the new branch.
    assert (folder / "notes" / "app.py").read_text().endswith("# an edit of my own\n")
    assert "@harden_runtime.permissions" not in (folder / "notes" / "tools.py").read_text()
    assert git(folder, "for-each-ref", "refs/heads").count("\n") == heads.count("\n") + 1
    git(folder, "checkout", "-q", "--", "notes/app.py")
    # The base moves: restack rebuilds the branch from the logs its commit records.
    (folder / "README.md").write_text("notes\n")
    git(folder, "add", "README.md")
    git(folder, "commit", "-qm", "a readme")
    restacked = harden(folder, "restack")
    assert restacked.returncode == 0, restacked.stderr
    assert git(folder, "show", "harden/phase-6-permissions:notes/tools.py") == written
    assert "README.md" in git(folder, "ls-tree", "--name-only", "harden/phase-6-permissions")
    # Merged, phase 6 from the same logs has nothing left to change.
    git(folder, "merge", "-q", "--ff-only", "harden/phase-6-permissions")
    again = harden(folder, "apply", "--phase", "6", "--logs", str(repo["log"]), "--dry-run")
    assert again.returncode == 0 and again.stdout == "", again.stdout
    # Deployed, warn-only: a write outside save_note's policy goes ahead and is reported.
    later = repo["log"].with_name("after-phase-6.log")
    outside = repo["notes"].parent / "phase6-outside.txt"
    env = {**repo["env"], "HARDEN_LOG_FILE": str(later)}
    calls = [("save_note", {"name": str(outside), "text": "x"})]
    assert not asyncio.run(_call_tools(folder, env, calls))[0].isError
    assert outside.read_text() == "x"
    done = harden(folder, "inventory", str(later), "--format", "json")
    tools = {tool["tool"]: tool for tool in json.loads(done.stdout)["tools"]}
    top = "/" + outside.parts[1]
    assert {f["flag"]: f["detail"] for f in tools["save_note"]["flags"]} == {
        "outside-policy": f"fs:write:{top} (1 time(s))",
        # and what the policy allows went unused in these logs: a candidate to narrow
        "declared-unobserved": f"its policy allows fs:write:{repo['notes']}, never seen",
    }
