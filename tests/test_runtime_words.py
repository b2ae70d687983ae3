"""The vendored runtime's `words()`: a value whose arity harden could not prove, split as sh did.

With the default switches it must give the fields sh made of the value (blanks, tabs and
newlines between them; nothing for an empty value; no glob, no quotes) and log each split as
`CMD_VALUE_SPLIT` on stderr, never with the value; with ENFORCE_SHELL_FREE=true it must give the
value as one argument and log nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from client_calls import client_request

from harden import runtime

SECRET = "hunter2 s3cr3t-token"

pytestmark = pytest.mark.usefixtures("fresh_runtime")


def splits(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    captured = capsys.readouterr()
    assert captured.out == "", "the runtime never writes to stdout (the stdio transport)"
    lines = [json.loads(line) for line in captured.err.splitlines()]
    return [line for line in lines if line["event"] == "CMD_VALUE_SPLIT"]


def sh_fields(value: str, cwd: Path) -> list[str]:
    """What sh makes of the value in an unquoted `$x` standing alone, glob off (`set -f`)."""
    script = 'set -f; set -- $x; printf "%s\\0" "$#" "$@"'
    out = subprocess.run(
        ["sh", "-c", script], env={"x": value}, cwd=cwd, capture_output=True, check=True
    ).stdout
    count, *fields = out.decode().split("\0")[:-1]
    assert int(count) == len(fields)
    return fields


@pytest.mark.parametrize(
    "value", ["one", "a b", "  a \t b\n c  ", "", " ", "\t\n", "x\r y", "a\u00a0b", "'a b'"]
)
def test_words_are_the_fields_sh_made(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runtime.words(value) == sh_fields(value, tmp_path)


def test_a_glob_in_a_value_is_not_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    assert runtime.words("*.txt x?") == ["*.txt", "x?"]


def test_a_non_str_value_is_its_text() -> None:
    assert runtime.words(3) == ["3"]
    assert runtime.words(Path("a b")) == ["a", "b"]


def test_one_argument_logs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    runtime.words("notes-1.txt")
    assert splits(capsys) == []


def test_a_split_is_logged_without_the_value(capsys: pytest.CaptureFixture[str]) -> None:
    line = sys._getframe().f_lineno + 1
    assert runtime.words(SECRET) == SECRET.split()
    assert runtime.words("") == []
    logged = capsys.readouterr().err
    for part in SECRET.split():
        assert part not in logged
    records = [json.loads(text) for text in logged.splitlines()]
    assert [(r["event"], r["fields"]) for r in records] == [
        ("CMD_VALUE_SPLIT", 2),
        ("CMD_VALUE_SPLIT", 0),
    ]
    assert records[0]["site"] == f"{__name__}:{line}"
    assert "tool" not in records[0], "no handler is running"


def test_a_split_names_the_running_tool(capsys: pytest.CaptureFixture[str]) -> None:
    @runtime.mask_errors(tool="git")
    def git_operation(operation: str) -> list[str]:
        return runtime.words(operation)

    with client_request():
        assert git_operation("log --oneline") == ["log", "--oneline"]
    (record,) = splits(capsys)
    assert (record["tool"], record["caller"], record["fields"]) == ("git", "local", 2)


def test_enforced_a_value_is_one_argument_and_nothing_is_logged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENFORCE_SHELL_FREE", "true")
    assert runtime.words(SECRET) == [SECRET]
    assert runtime.words("") == [""]
    assert runtime.fields("a b") == ["a", "b"], "proven splitting is never switched off"
    assert splits(capsys) == []


def test_configure_enforces_too(capsys: pytest.CaptureFixture[str]) -> None:
    runtime.configure(enforce_shell_free=True)
    assert runtime.words("a b") == ["a b"]
    assert splits(capsys) == []
