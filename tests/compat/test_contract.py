"""`harden contract` on this SDK line's fixture servers, before and after phases 1, 2, 3 and 5.

The server runs under this environment's interpreter (its SDK); the client is harden's own, in
the project's .venv, as a user's harden would be. Each server's contract is recorded over stdio
from the original; the copies hardened phase by phase (1, then 2, then 3, then 5 on top) verify
against it over stdio, and phase 5 over streamable HTTP on 127.0.0.1 too: phases 1 to 3 change
nothing, phase 5 only replaces error text with refs (listed as expected changes). A copy with a
renamed parameter fails, naming the tool and the parameter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from compat_support import FAMILY, FIXTURE_SERVERS, ROOT
from conftest import harden_apply

CLIENT = ROOT / ".venv" / "bin" / "harden"  # harden with the `contract` extra (mcp 1.x client)
SERVE_HTTP = ROOT / "fixtures" / "contract" / "serve_http.py"
PHASES = (1, 2, 3, 5)
MISSING = "/nonexistent-contract-path"


@dataclass(frozen=True)
class Served:
    name: str
    folder: str  # under fixtures/servers
    stdio: tuple[str, ...]  # the arguments of `python`
    http: str | None  # module:attribute for serve_http.py (None: stdio only)
    cases: str
    masked: frozenset[str]  # the calls whose error text phase 5 replaces with a ref
    # (tool, text declaring a parameter, the same renamed, the parameter, its new name)
    rename: tuple[str, str, str, str, str]


SERVED: dict[str, tuple[Served, ...]] = {
    "mcp1": (
        Served(
            "devops_tools",
            "mcp1_fastmcp",
            ("devops_tools.py",),
            "devops_tools:mcp",
            f'[[call]]\ntool = "disk_free"\narguments = {{ path = "{MISSING}" }}\n'
            "expect_error = true\n"
            f'[[call]]\ntool = "git_log"\narguments = {{ repo_path = "{MISSING}" }}\n',
            frozenset({"tool:disk_free"}),
            ("disk_free", "def disk_free(path: str", "def disk_free(where: str", "path", "where"),
        ),
        Served(
            "repo_search",
            "lowlevel",
            ("repo_search_server.py",),
            None,
            f'[[call]]\ntool = "recent_commits"\narguments = {{ repo = "{MISSING}" }}\n',
            frozenset({"tool:recent_commits"}),
            (
                "recent_commits",
                '_schema({"repo": _REPO, "since"',
                '_schema({"where": _REPO, "since"',
                "repo",
                "where",
            ),
        ),
    ),
    "mcp2": (
        Served(
            "ops_server",
            "mcp2_mcpserver",
            ("-m", "ops_server"),
            "ops_server.server:build_server()",
            f'[[call]]\ntool = "list_files"\narguments = {{ path = "{MISSING}" }}\n',
            frozenset(),
            (
                "list_files",
                "def list_files(self, path: str",
                "def list_files(self, where: str",
                "path",
                "where",
            ),
        ),
    ),
    "fastmcp": (
        Served(
            "sysinfo",
            "fastmcp_standalone",
            ("sysinfo_server.py",),
            "sysinfo_server:mcp",
            '[[call]]\ntool = "kernel_release"\n'
            f'[[call]]\ntool = "os_release"\narguments = {{ path = "{MISSING}" }}\n'
            "expect_error = true\n",
            frozenset({"tool:os_release"}),
            (
                "os_release",
                "def os_release(path: str",
                "def os_release(where: str",
                "path",
                "where",
            ),
        ),
    ),
}
SERVERS = SERVED[FAMILY]


def contract(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CLIENT.exists(), f"{CLIENT}: harden's own environment (make test creates it)"
    return subprocess.run(
        [str(CLIENT), "contract", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(cwd)},
        timeout=300,
        check=False,
    )


def verified(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.stdout.startswith("{"), done.stdout + done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The fixture servers as written ("original"), after phases 1, 1-2, 1-3 and 1-3+5 (one
    folder each: "1", "2", "3", "5"), each with the original's recorded contract. Each folder
    is a temporary directory as tempfile names one: a server that reports its workspace (mcp
    2's ops_server) then names the same path in each once normalised, as the base and the
    branch of --against do; the temp-path rule keeps a folder name of ours significant."""
    base = tmp_path_factory.mktemp("contract-compat")
    folders = {"original": Path(tempfile.mkdtemp(prefix="copy-", dir=base))}
    ignore = shutil.ignore_patterns("__pycache__", "harden_runtime.py", "test_*.py")
    for served in SERVERS:
        shutil.copytree(
            FIXTURE_SERVERS / served.folder, folders["original"] / served.name, ignore=ignore
        )
        (folders["original"] / served.name / "cases.toml").write_text(served.cases)
    previous = folders["original"]
    for phase in PHASES:
        folder = Path(tempfile.mkdtemp(prefix="copy-", dir=base))
        shutil.copytree(previous, folder, dirs_exist_ok=True)
        harden_apply(phase, folder)
        folders[str(phase)] = previous = folder
    yield folders


def over_stdio(command: str, served: Served, folder: Path) -> subprocess.CompletedProcess[str]:
    """`harden contract record|verify` of the copy in `folder`, spawned over stdio (verify's
    report as JSON)."""
    report = ("-f", "json") if command == "verify" else ()
    files = ("--cases", "cases.toml", "--contract", "contract.json")
    return contract(command, *files, *report, "--", sys.executable, *served.stdio, cwd=folder)


def _record(served: Served, folder: Path) -> None:
    done = over_stdio("record", served, folder)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def recorded(copies: dict[str, Path]) -> dict[str, Path]:
    """The original's contract, copied beside each hardened copy of the server."""
    for served in SERVERS:
        original = copies["original"] / served.name
        _record(served, original)
        for phase in PHASES:
            shutil.copy(original / "contract.json", copies[str(phase)] / served.name)
    return copies


@pytest.mark.parametrize("served", SERVERS, ids=[s.name for s in SERVERS])
@pytest.mark.parametrize("phase", PHASES)
def test_each_phase_keeps_the_contract_over_stdio(
    recorded: dict[str, Path], served: Served, phase: int
) -> None:
    folder = recorded[str(phase)] / served.name
    assert "harden_runtime" in "".join(p.read_text() for p in folder.rglob("*.py"))
    done = over_stdio("verify", served, folder)
    assert done.returncode == 0, done.stdout + done.stderr
    data = verified(done)
    assert data["failures"] == [] and data["calls_compared"] == served.cases.count("[[call]]")
    expected = {change["item"] for change in data["expected_changes"]}
    assert expected == (served.masked if phase == 5 else set())


@pytest.mark.parametrize(
    "served", [s for s in SERVERS if s.http], ids=[s.name for s in SERVERS if s.http]
)
def test_phase_5_keeps_the_contract_over_streamable_http(
    recorded: dict[str, Path], served: Served
) -> None:
    """Recorded over HTTP from the original (a framework's HTTP app may declare other
    capabilities than its stdio server), verified over HTTP on phase 5."""
    assert served.http is not None
    over_http = ("--url", "http://127.0.0.1:{port}/mcp", "--", sys.executable, str(SERVE_HTTP))
    options = (
        "--cases",
        "cases.toml",
        "--contract",
        str(recorded["5"] / served.name / "http.json"),
    )
    done = contract(
        "record",
        *options,
        *over_http,
        served.http,
        "{port}",
        cwd=recorded["original"] / served.name,
    )
    assert done.returncode == 0, done.stderr
    done = contract(
        "verify",
        *options,
        "-f",
        "json",
        *over_http,
        served.http,
        "{port}",
        cwd=recorded["5"] / served.name,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = verified(done)
    assert data["failures"] == []
    assert {change["item"] for change in data["expected_changes"]} == served.masked


@pytest.mark.parametrize("served", SERVERS, ids=[s.name for s in SERVERS])
def test_a_renamed_parameter_fails_naming_the_tool_and_the_parameter(
    recorded: dict[str, Path], served: Served, tmp_path: Path
) -> None:
    folder = tmp_path / served.name
    shutil.copytree(recorded["original"] / served.name, folder)
    tool, written, renamed, old, new = served.rename
    changed = 0
    for path in folder.rglob("*.py"):
        text = path.read_text()
        if written in text:
            path.write_text(text.replace(written, renamed))
            changed += 1
    assert changed == 1
    done = over_stdio("verify", served, folder)
    assert done.returncode == 1, done.stdout + done.stderr
    failures = {
        (d["section"], d["item"], d["path"], d["change"]) for d in verified(done)["failures"]
    }
    assert ("tools", tool, f"inputSchema.properties.{old}", "removed") in failures
    assert ("tools", tool, f"inputSchema.properties.{new}", "added") in failures
