"""Tools that run the command their caller sends, rewritten through the shim and run for real.

The codemod cannot read these commands, so it hands them to the runtime, which reads each when
it runs. The module runs as written and as rewritten, in twin directories: same output and
files for commands of plain words, pipelines and redirections; an injection payload in a
quoted argument stays an argument in both; a loop (which needs /bin/sh) still runs in warn
mode and is refused, running nothing, under ENFORCE_SHELL_FREE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from test_differential import imported_versions

from harden.codemods.base import FileRun

Apply = Callable[..., tuple[str, FileRun]]

MODULE = """\
import os
import subprocess


def run_command(command: str, cwd: str) -> str:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=cwd)
    return f"{done.returncode}|{done.stdout}|{done.stderr}"


def run_flagged(command, use_shell, cwd):
    return subprocess.check_output(command, shell=use_shell, cwd=cwd, text=True)


class Terminal:
    def __init__(self, command):
        self.command = command

    def status(self, cwd):
        here = os.getcwd()
        os.chdir(cwd)
        try:
            return os.system(self.command)
        finally:
            os.chdir(here)
"""

COMMANDS = [
    "printf '%s|' a 'b c'",
    "printf '%s\\n' b a | sort > sorted.txt && cat sorted.txt",
    "ls missing-file 2>&1 || printf failed",
    "printf '%s' '; touch PWNED' \"$(printf x)\"",
    "printf '%s' '$(touch PWNED)' '`touch PWNED`'",
    "for x in 1 2; do printf $x; done > loop.txt",
]


@pytest.fixture(scope="module")
def versions(apply: Apply, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    rewritten, run = apply(MODULE)
    assert not run.unfixed, [u.reason for u in run.unfixed]
    assert rewritten.count("harden_runtime.") == 3, rewritten
    with imported_versions(MODULE, rewritten, tmp_path_factory.mktemp("shim"), "shim") as loaded:
        yield loaded


def _files(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in root.iterdir()}


def _run_both(
    versions: dict[str, ModuleType], tmp_path: Path, call: Callable[[ModuleType, str], object]
) -> list[tuple[object, dict[str, str]]]:
    results = []
    for name, module in versions.items():
        where = tmp_path / name
        where.mkdir(parents=True)
        results.append((call(module, str(where)), _files(where)))
    return results


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sent_command_does_as_it_did(versions, tmp_path: Path, command: str) -> None:
    original, rewritten = _run_both(versions, tmp_path, lambda m, d: m.run_command(command, d))
    assert rewritten == original
    assert "PWNED" not in rewritten[1]
    flagged = _run_both(
        versions,
        tmp_path / "flagged",
        lambda m, d: m.run_flagged(["printf", "%s", command], False, d),
    )
    assert flagged[0] == flagged[1]
    status = _run_both(versions, tmp_path / "attr", lambda m, d: m.Terminal(command).status(d))
    assert status[0] == status[1]


def test_enforced_a_loop_is_refused_and_runs_nothing(
    versions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harden_runtime  # the copy the rewritten module imported

    monkeypatch.setenv("ENFORCE_SHELL_FREE", "true")
    harden_runtime.reset()
    try:
        with pytest.raises(harden_runtime.Rejected):
            versions["rewritten"].run_command("for x in 1; do touch PWNED; done", str(tmp_path))
        assert not (tmp_path / "PWNED").exists()
        ran = versions["rewritten"].run_command("printf ok", str(tmp_path))
        assert ran == "0|ok|"
    finally:
        monkeypatch.delenv("ENFORCE_SHELL_FREE")
        harden_runtime.reset()
