"""The vendored runtime's command helpers against the standard library calls they replace.

Each helper runs an argument list without a shell; for commands that need no shell its results
must equal what `os.popen` / `subprocess.getstatusoutput` give for the same command string.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from harden import __version__, runtime

COMMANDS = [
    "printf 'a\\nb\\n'",
    "printf 'no newline'",
    "ls /definitely-missing-path",  # exit 2, message on stderr
    "sh -c 'echo out; echo err >&2; exit 3'",
    "true",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_getstatusoutput_matches_the_shell_version(command: str) -> None:
    assert runtime.getstatusoutput(shlex.split(command)) == subprocess.getstatusoutput(command)


@pytest.mark.parametrize("command", COMMANDS)
def test_popen_read_and_close_match_the_shell_version(command: str) -> None:
    expected = os.popen(command)
    actual = runtime.popen(shlex.split(command))
    assert actual.read() == expected.read()
    assert actual.close() == expected.close()


def test_popen_iterates_and_closes_as_a_context_manager() -> None:
    with runtime.popen(["printf", "x\\ny\\n"]) as lines:
        assert list(lines) == ["x\n", "y\n"]
    assert lines.closed


def test_popen_write_mode_feeds_the_program(tmp_path: Path) -> None:
    target = tmp_path / "sorted.txt"
    pipe = runtime.popen(["sort", "-o", str(target)], "w")
    pipe.write("b\na\n")
    assert pipe.close() is None
    assert target.read_text() == "a\nb\n"


@pytest.mark.parametrize(("mode", "buffering"), [("rb", -1), ("r", 0)])
def test_popen_rejects_what_os_popen_rejects(mode: str, buffering: int) -> None:
    with pytest.raises(ValueError):
        os.popen("true", mode, buffering)
    with pytest.raises(ValueError):
        runtime.popen(["true"], mode, buffering)


def test_the_runtime_is_stamped_with_hardens_version() -> None:
    assert runtime.__version__ == __version__
