"""The result cache gives exactly what a run without it gives, and is never trusted blindly.

Every test compares a cached run with an uncached one on the same files: a stale entry would
show as a difference. The cache is reused only while nothing a result depends on changed (the
file, a module that registers its functions, one that imports its runner, the codemods, the
style of a dry run, harden's own code); a torn or tampered store is ignored; parallel runs
leave a valid store; old stores and entries are pruned.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from harden import cache, cross_module, engine
from harden.cache import ResultCache
from harden.codemods.catalog import ALL_INFO
from harden.findings.harden_json import finding_to_dict
from harden.project_style import ProjectStyle

IDS = [info.id for info in ALL_INFO]
SERVERS = Path(__file__).resolve().parent.parent / "fixtures" / "servers"

SERVER = "from mcp.server.fastmcp import FastMCP\n\nfrom . import tools\n\nmcp = FastMCP('ops')\n"
REGISTERS = "mcp.add_tool(tools.disk)\n"
TOOLS = """import subprocess


def disk(path: str) -> str:
    return subprocess.run(f"du -sh {path}", shell=True, capture_output=True, text=True).stdout
"""
UTIL = """import subprocess


def _run(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout


def head(path):
    return _run(f"head -n 5 {path}")
"""
USES_UTIL = "from .util import _run\n\n\ndef disk():\n    return _run('df -h')\n"


@functools.cache
def _fixture_files() -> list[tuple[str, str]]:
    """A package server with tools in several modules, and a low-level server."""
    return sorted(
        (path.relative_to(SERVERS).as_posix(), path.read_text())
        for folder in ("mcp2_mcpserver/ops_server", "lowlevel")
        for path in (SERVERS / folder).glob("*.py")
        if not path.name.startswith("test_")
    )


def _scan(
    files: Sequence[tuple[str, str]], folder: Path | None, ids: Sequence[str] = IDS
) -> tuple[list[dict], list[str], dict[str, str]]:
    result = engine.scan(files, ids, jobs=1, cache_folder=folder)
    return (
        [finding_to_dict(f) for f in result.findings],
        [f"{s.path}: {s.reason}" for s in result.skipped],
        {str(finding_to_dict(f)): reason for f, reason in result.reasons.items()}
        | {str(finding_to_dict(f)): name for f, name in result.caller_commands.items()},
    )


def _stores(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.json"))


def test_a_warm_scan_finds_what_a_cold_one_does(tmp_path: Path) -> None:
    files = _fixture_files()
    uncached = _scan(files, None)
    assert uncached[0], "the fixtures hold findings"
    assert _scan(files, tmp_path) == uncached  # cold: fills the cache
    assert _scan(files, tmp_path) == uncached  # warm: from the cache
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == "*"


def test_every_entry_is_used_on_a_warm_run(tmp_path: Path) -> None:
    files = _fixture_files()
    _scan(files, tmp_path)
    store = ResultCache(tmp_path, "")  # a context of its own: empty
    assert store.get("anything") is None
    (path,) = _stores(tmp_path)
    before = path.read_bytes()
    _scan(files, tmp_path)
    assert path.read_bytes() == before, "a warm run found nothing new to store"


def test_a_changed_file_is_scanned_again(tmp_path: Path) -> None:
    files = [
        ("pkg/__init__.py", ""),
        ("pkg/server.py", SERVER + REGISTERS),
        ("pkg/tools.py", TOOLS),
    ]
    _scan(files, tmp_path)
    changed = [*files[:2], ("pkg/tools.py", TOOLS.replace("du -sh", "ls -l"))]
    assert _scan(changed, tmp_path) == _scan(changed, None)
    assert any(
        "ls -l" in f["message"] or f["path"] == "pkg/tools.py" for f in _scan(changed, None)[0]
    )


def test_a_module_registering_the_files_functions_is_a_dependency(tmp_path: Path) -> None:
    registered = [
        ("pkg/__init__.py", ""),
        ("pkg/server.py", SERVER + REGISTERS),
        ("pkg/tools.py", TOOLS),
    ]
    alone = [(path, text.replace(REGISTERS, "")) for path, text in registered]
    tools_findings = [
        {f["rule_id"] for f in _scan(files, None)[0] if f["path"] == "pkg/tools.py"}
        for files in (registered, alone)
    ]
    assert tools_findings[0] != tools_findings[1], "the registration changes tools.py's result"
    for first, second in ((registered, alone), (alone, registered)):
        _scan(first, tmp_path)
        assert _scan(second, tmp_path) == _scan(second, None)


def test_a_module_naming_a_private_runner_is_a_dependency(tmp_path: Path) -> None:
    named = [("pkg/util.py", UTIL), ("pkg/tools.py", USES_UTIL)]
    unnamed = [("pkg/util.py", UTIL), ("pkg/tools.py", "def disk():\n    return 1\n")]
    assert _scan(named, None) != _scan(unnamed, None)
    for first, second in ((named, unnamed), (unnamed, named)):
        _scan(first, tmp_path)
        assert _scan(second, tmp_path) == _scan(second, None)


APP = "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('ops')\n"
REGISTER = """import subprocess


def register(server):
    @server.tool()
    def disk(path: str) -> str:
        return subprocess.run(f"du -sh {path}", shell=True, capture_output=True, text=True).stdout
"""
CALLS_REGISTER = "from . import app, tools\n\ntools.register(app.mcp)\n"


def _registering(main: str, helper: str = "def fmt(x):\n    return str(x)\n") -> list:
    """A server whose tools a `register(server)` function adds, called (or not) from `main`,
    a module that does not mention MCP; and a helper module nothing here depends on."""
    return [
        ("pkg/__init__.py", ""),
        ("pkg/app.py", APP),
        ("pkg/helpers.py", helper),
        ("pkg/main.py", main),
        ("pkg/tools.py", REGISTER),
    ]


@pytest.fixture
def indexes(monkeypatch) -> list[object]:
    """The project indexes a run builds."""
    built: list[object] = []

    class Counted(cross_module.ProjectIndex):
        def __init__(self, files) -> None:
            super().__init__(files)
            built.append(self)

    monkeypatch.setattr(cross_module, "ProjectIndex", Counted)
    return built


def test_a_change_the_index_did_not_read_leaves_it_alone(tmp_path: Path, indexes) -> None:
    files = _registering(CALLS_REGISTER)
    _scan(files, tmp_path)
    assert len(indexes) == 1
    edited = _registering(CALLS_REGISTER, helper="def fmt(x):\n    return repr(x)\n")
    assert _scan(edited, tmp_path) == _scan(edited, None)
    assert len(indexes) == 2, "only the uncached run built an index"


def test_a_file_that_starts_calling_a_searched_function_is_read(tmp_path: Path) -> None:
    """main.py is not read until it calls `register(`, which the index searched every file
    for: that call makes tools.py's handlers provable."""
    before, after = _registering("X = 1\n"), _registering(CALLS_REGISTER)
    assert _scan(before, None) != _scan(after, None)
    for first, second in ((before, after), (after, before)):
        _scan(first, tmp_path)
        assert _scan(second, tmp_path) == _scan(second, None)


def test_a_file_that_becomes_a_server_module_is_read(tmp_path: Path) -> None:
    tool = "from .app import mcp\n\n\n@mcp.tool()\ndef fmt(x: str) -> str:\n    return x\n"
    before, after = _registering(CALLS_REGISTER), _registering(CALLS_REGISTER, helper=tool)
    _scan(before, tmp_path)
    assert _scan(after, tmp_path) == _scan(after, None)
    assert any(f["path"] == "pkg/helpers.py" for f in _scan(after, None)[0])


@pytest.mark.parametrize("case", ["a module read", "a namesake making an import ambiguous"])
def test_files_coming_and_going_are_dependencies(tmp_path: Path, case: str) -> None:
    if case == "a module read":
        full = _registering(CALLS_REGISTER)
        fewer = [(path, text) for path, text in full if path != "pkg/main.py"]
    else:  # `from app import mcp` names no one file once a second app.py exists
        tools = (
            "from app import mcp\n\n\n@mcp.tool()\ndef disk(path: str) -> str:\n    return path\n"
        )
        fewer = [("app.py", APP), ("tools.py", tools)]
        full = [*fewer, ("vendor/app.py", "X = 1\n")]
    assert _scan(full, None) != _scan(fewer, None)
    for first, second in ((full, fewer), (fewer, full)):
        _scan(first, tmp_path)
        assert _scan(second, tmp_path) == _scan(second, None)


def test_the_selected_codemods_are_part_of_the_key(tmp_path: Path) -> None:
    files = _fixture_files()
    _scan(files, tmp_path)
    for ids in (["shell-commands"], ["observe"], ["error-messages", "mask-errors"]):
        assert _scan(files, tmp_path, ids) == _scan(files, None, ids)
        assert _scan(files, tmp_path, ids) != _scan(files, None)


def test_harden_code_changes_start_a_new_store(tmp_path: Path, monkeypatch) -> None:
    files = [("pkg/util.py", UTIL)]
    _scan(files, tmp_path)
    _poison(tmp_path)
    assert [f["message"] for f in _scan(files, tmp_path)[0]] == ["poisoned"], "entries are used"
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert _scan(files, tmp_path) == _scan(files, None)
    assert [p.parent.name for p in _stores(tmp_path)] == ["99.0"], "other versions pruned"
    _poison(tmp_path)
    monkeypatch.setattr(cache, "_code_identity", lambda: "edited checkout")
    assert _scan(files, tmp_path) == _scan(files, None)


def _poison(folder: Path) -> None:
    """Make every stored result claim one made-up finding, with a valid checksum."""
    (path,) = _stores(folder)
    body = json.loads(path.read_text().partition("\n")[2])
    made_up = ["made-up", "pkg/util.py", 1, 0, 0, 0, 3, "poisoned", "harden"]
    for key, (day, _) in body.items():
        if not key.startswith("cross-module:"):
            body[key] = [day, {"detected": [made_up]}]
    text = json.dumps(body)
    path.write_text(f"{cache.digest('harden-cache 1', text)}\n{text}")


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # torn
        lambda text: text.replace('"detected"', '"detected" ', 1),  # checksum no longer matches
        lambda text: "[" * 100_000,
    ],
)
def test_a_damaged_store_is_ignored(tmp_path: Path, damage) -> None:
    files = _fixture_files()
    expected = _scan(files, None)
    _scan(files, tmp_path)
    (path,) = _stores(tmp_path)
    path.write_text(damage(path.read_text()), errors="surrogateescape")
    assert _scan(files, tmp_path) == expected
    assert _scan(files, tmp_path) == expected  # and rewritten whole


def test_an_entry_of_the_wrong_shape_is_ignored(tmp_path: Path) -> None:
    files = _fixture_files()
    expected = _scan(files, None)
    _scan(files, tmp_path)
    (path,) = _stores(tmp_path)
    body = json.loads(path.read_text().partition("\n")[2])
    for number, key in enumerate(sorted(body)):
        body[key][1] = [{"detected": "x"}, 7, None, {"parsed": [1]}, {"after": 3}][number % 5]
    text = json.dumps(body)
    path.write_text(f"{cache.digest('harden-cache 1', text)}\n{text}")
    assert _scan(files, tmp_path) == expected


def _scan_into(folder: str) -> None:
    _scan(_fixture_files(), Path(folder))


def test_parallel_runs_leave_a_valid_store(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    runs = [context.Process(target=_scan_into, args=(str(tmp_path),)) for _ in range(4)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
        assert run.exitcode == 0
    (path,) = _stores(tmp_path)
    check, _, body = path.read_text().partition("\n")
    assert check == cache.digest("harden-cache 1", body)
    assert not list(tmp_path.glob("*/.*.tmp")), "no temporary file left"
    assert _scan(_fixture_files(), tmp_path) == _scan(_fixture_files(), None)


def test_old_entries_and_stores_are_pruned(tmp_path: Path, monkeypatch) -> None:
    store = ResultCache(tmp_path, "old")
    store.put("stale", 1)
    store.save()
    for number in range(cache.MAX_STORES + 3):
        other = ResultCache(tmp_path, f"context {number}")
        other.put("k", number)
        other.save()
        os.utime(other.path, (number, number + 1_000_000))
    assert len(_stores(tmp_path)) == cache.MAX_STORES
    monkeypatch.setattr(cache.time, "time", lambda: (cache.KEEP_DAYS + 30) * 86400.0 + 10**9)
    later = ResultCache(tmp_path, "context 99")
    later.put("fresh", 2)
    later._entries["stale"] = [0, 1]
    later.save()
    reread = ResultCache(tmp_path, "context 99")
    assert reread.get("fresh") == 2
    assert reread.get("stale") is None


def test_an_unusable_folder_only_means_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    files = _fixture_files()
    assert _scan(files, blocker) == _scan(files, None)
    assert blocker.read_text() == "not a folder"


def test_a_dry_run_is_keyed_by_the_style_and_its_settings(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    files = [("pkg/util.py", UTIL)]

    def rewrite(style: ProjectStyle) -> str:
        changes = engine.apply(
            files, ["shell-commands"], phase=5, jobs=1, style=style, cache_folder=tmp_path / "c"
        )
        uncached = engine.apply(files, ["shell-commands"], phase=5, jobs=1, style=style)
        assert [f.after for f in changes.files] == [f.after for f in uncached.files]
        return changes.files[0].after

    wide = rewrite(ProjectStyle(str(root), "ruff", 120))
    assert rewrite(ProjectStyle(str(root), "ruff", 40, ("line-length = 40",))) != wide
    (root / "pkg").mkdir()
    (root / "pkg" / "ruff.toml").write_text('[format]\nquote-style = "single"\n')
    assert rewrite(ProjectStyle(str(root), "ruff", 120)) != wide
