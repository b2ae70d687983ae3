"""Values with blanks, empty values and globs, run for real: the original through /bin/sh, the
rewrite through the vendored runtime, with its switches as an operator would set them.

With the default switches the rewrite must give every program the arguments sh gave it, but for
the one intended difference: a glob character in a value is no longer expanded to file names.
`git_operation` is the issue's own reproduction: a value the code tests for several words keeps
sh's splitting even under ENFORCE_SHELL_FREE, which passes any other value as one argument.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from test_differential import SHOWARGS, imported_versions

from harden.codemods.base import FileRun

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

MODULE = '''import subprocess


def git_operation(operation: str) -> str:
    """Run a git operation on the repository in the working directory."""
    if "reset --hard" in operation or "push" in operation:
        raise ValueError("refused")
    command = f"git {operation}"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
    return result.stdout


def show(value):
    return subprocess.run(f"showargs -- {value} end", shell=True, capture_output=True, text=True)
'''

pytestmark = pytest.mark.usefixtures("fresh_runtime")


@pytest.fixture(scope="module")
def versions(apply: Apply, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ModuleType]]:
    """The module as written and as rewritten (beside the vendored runtime), with `showargs`."""
    rewritten, run = apply(MODULE)
    assert not run.unfixed, [u.reason for u in run.unfixed]
    assert '["git", *harden_runtime.fields(operation)]' in rewritten
    assert '["showargs", "--", *harden_runtime.words(value), "end"]' in rewritten
    directory = tmp_path_factory.mktemp("arity")
    showargs = directory / "showargs"
    showargs.write_text(SHOWARGS)
    showargs.chmod(0o755)
    with imported_versions(MODULE, rewritten, directory, "arity") as loaded:
        yield [loaded["original"], loaded["rewritten"]]


@pytest.fixture
def work(versions: list[ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding `a.txt` and a git repository with one commit."""
    bin_dir = Path(versions[0].__file__ or "").parent
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("a\n")
    for args in (["init", "-q"], ["add", "a.txt"], ["commit", "-q", "-m", "first commit"]):
        identity = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
        subprocess.run(["git", *identity, *args], check=True)
    return tmp_path


def shown(module: ModuleType, value: str) -> list[str]:
    """The arguments `showargs` got between `--` and `end`."""
    result = module.show(value)
    assert result.returncode == 0, result.stderr
    arguments = json.loads(result.stdout)
    assert arguments[0] == "--" and arguments[-1] == "end"
    return arguments[1:-1]


@pytest.mark.parametrize("enforced", [False, True], ids=["warn", "enforced"])
def test_the_issues_git_operation_still_runs_several_words(
    versions: list[ModuleType], work: Path, monkeypatch: pytest.MonkeyPatch, enforced: bool
) -> None:
    if enforced:
        monkeypatch.setenv("ENFORCE_SHELL_FREE", "true")
    original, rewritten = (module.git_operation("log --oneline") for module in versions)
    assert original.endswith(" first commit\n")
    assert rewritten == original
    for module in versions:
        with pytest.raises(ValueError):
            module.git_operation("reset --hard HEAD")


@pytest.mark.parametrize("value", ["a b", "  a\t b  ", "", " ", "one", "x=1 -v"])
def test_a_value_is_split_as_sh_split_it(
    versions: list[ModuleType], work: Path, value: str, capfd: pytest.CaptureFixture[str]
) -> None:
    original, rewritten = (shown(module, value) for module in versions)
    assert rewritten == original == value.split()
    logged = capfd.readouterr().err
    if value.split() == [value]:
        assert "CMD_VALUE_SPLIT" not in logged
    else:
        (record,) = (json.loads(line) for line in logged.splitlines())
        assert (record["event"], record["fields"]) == ("CMD_VALUE_SPLIT", len(value.split()))


def test_the_log_line_never_holds_the_value(
    versions: list[ModuleType], work: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "--token=hunter2 s3cr3t"
    assert shown(versions[1], secret) == secret.split()
    logged = capfd.readouterr().err
    assert "CMD_VALUE_SPLIT" in logged
    assert "hunter2" not in logged and "s3cr3t" not in logged and "token" not in logged


def test_a_glob_in_a_value_is_no_longer_expanded(versions: list[ModuleType], work: Path) -> None:
    # The one intended difference: sh matched `*.txt` in the value against file names.
    original, rewritten = (shown(module, "*.txt b") for module in versions)
    assert original == ["a.txt", "b"]
    assert rewritten == ["*.txt", "b"]


@pytest.mark.parametrize(("value", "argument"), [("a b", "a b"), ("", ""), (" x ", " x ")])
def test_enforced_a_value_is_one_argument(
    versions: list[ModuleType],
    work: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    value: str,
    argument: str,
) -> None:
    monkeypatch.setenv("ENFORCE_SHELL_FREE", "true")
    assert shown(versions[1], value) == [argument]
    assert "CMD_VALUE_SPLIT" not in capfd.readouterr().err
