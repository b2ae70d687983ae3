"""A private runner's calls are all converted only when no other module of the project names it:
a module importing it would still pass command lines."""

from __future__ import annotations

from harden import engine
from harden.codemods.shell_commands import ShellCommands
from harden.named_elsewhere import named_elsewhere, private_runners

UTIL = """import subprocess


def _run(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout


def _fmt(text):
    return text.strip()


def head(path):
    return _run(f"head -n 5 {path}")
"""
IMPORTING = (
    "from .util import _run, _fmt\n\n\ndef disk():\n    return _fmt(_run('df -h | tail -1'))\n"
)
ATTRIBUTE = "from . import util\n\n\ndef disk():\n    return util._run('df -h | tail -1')\n"
UNRELATED = "def my_run_fmt():\n    return '_running _fmt_x'\n"


def _elsewhere(files: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    defined = {path: private_runners(text, ShellCommands.INFO.wants) for path, text in files}
    return dict(named_elsewhere(files, {p: names for p, names in defined.items() if names}))


def test_runners_named_by_another_module_are_found() -> None:
    for other in (IMPORTING, ATTRIBUTE):
        files = [("pkg/util.py", UTIL), ("pkg/tools.py", other)]
        assert _elsewhere(files) == {"pkg/util.py": frozenset({"_run"})}


def test_functions_that_run_nothing_or_are_named_only_at_home_are_not() -> None:
    files = [("pkg/util.py", UTIL), ("pkg/other.py", UNRELATED)]
    assert _elsewhere(files) == {"pkg/util.py": frozenset()}


def _runner_line(files: list[tuple[str, str]]) -> tuple[str, list[str]]:
    changes = engine.apply(files, ["shell-commands"], phase=5, jobs=1)
    (util,) = [change for change in changes.files if change.path == "pkg/util.py"]
    (runner,) = [line for line in util.after.splitlines() if "capture_output" in line]
    notes = [r.note for r in util.rewrites]
    return runner.strip(), notes


def test_a_runner_alone_in_its_module_takes_lists() -> None:
    runner, _ = _runner_line([("pkg/util.py", UTIL), ("pkg/other.py", UNRELATED)])
    assert runner == "return subprocess.run(cmd, capture_output=True, text=True).stdout"


def test_a_runner_another_module_imports_goes_to_the_shim() -> None:
    runner, notes = _runner_line([("pkg/util.py", UTIL), ("pkg/tools.py", IMPORTING)])
    assert runner.startswith("return harden_runtime.run(cmd, shell=True")
    assert any("another module of the project names `_run`" in note for note in notes)
