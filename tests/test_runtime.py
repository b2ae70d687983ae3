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


# -- the script runner, against sh on the same command line --------------------------------------

SCRIPTS = [
    ("nosuch-program x", [["nosuch-program", "x"]]),
    (
        "nosuch-program 2>/dev/null || echo fallback",
        [["nosuch-program"], "2>", "/dev/null", "||", ["echo", "fallback"]],
    ),
    ("cat < missing-file", [["cat"], "<", "missing-file"]),
    ("echo x > missing-dir/f", [["echo", "x"], ">", "missing-dir/f"]),
    ("cat < missing-file 2>&1", [["cat"], "<", "missing-file", "2>&1"]),
    ("cat 2>&1 < missing-file", [["cat"], "2>&1", "<", "missing-file"]),
    (
        "cd missing-dir && echo no; echo yes",
        [["cd", "missing-dir"], "&&", ["echo", "no"], ";", ["echo", "yes"]],
    ),
    ("cd sub; pwd; cd ..; pwd", [["cd", "sub"], ";", ["pwd"], ";", ["cd", ".."], ";", ["pwd"]]),
    ("false | true", [["false"], "|", ["true"]]),
    ("true | false", [["true"], "|", ["false"]]),
    (
        "sh -c 'kill -9 $$' | true",
        [["sh", "-c", "kill -9 $$"], "|", ["true"]],
    ),
    ("sh -c 'kill -PIPE $$'", [["sh", "-c", "kill -PIPE $$"]]),
    ("false && echo a || echo b", [["false"], "&&", ["echo", "a"], "||", ["echo", "b"]]),
    ("echo a >&2", [["echo", "a"], ">&2"]),
    ("ls -d .* *", [["ls", "-d", runtime.glob(".*"), runtime.glob("*")]]),
    (
        "echo sub/* s?b/ [!s]*",
        [["echo", runtime.glob("sub/*"), runtime.glob("s?b/"), runtime.glob("[!s]*")]],
    ),
    ("echo nomatch* 'a*'*", [["echo", runtime.glob("nomatch*"), runtime.glob("{}*", "a*")]]),
    (
        "echo $(printf 'a  b\\n\\n') \"$(printf 'a  b\\n\\n')\"",
        [
            [
                "echo",
                runtime.output([["printf", "a  b\\n\\n"]], split=True),
                runtime.output([["printf", "a  b\\n\\n"]]),
            ]
        ],
    ),
    ("echo x$(echo y)z", [["echo", runtime.concat("x", runtime.output([["echo", "y"]]), "z")]]),
    (
        "echo $(cd sub && pwd) $(pwd)",
        [["echo", runtime.output([["cd", "sub"], "&&", ["pwd"]]), runtime.output([["pwd"]])]],
    ),
]


@pytest.mark.parametrize(("command", "script"), SCRIPTS, ids=[c for c, _ in SCRIPTS])
def test_script_runs_as_sh_ran_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, script: list[object]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("sub/f", "a*b", ".hidden", "x"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(name)
    expected = subprocess.run(command, shell=True, capture_output=True, text=True)
    actual = runtime.run(script, capture_output=True, text=True)
    assert (actual.returncode, actual.stdout, actual.stderr) == (
        expected.returncode,
        expected.stdout,
        expected.stderr,
    )


def test_fields_split_at_blanks_and_newlines_only() -> None:
    assert runtime.fields(" a\tb\n c\x0bd ") == ["a", "b", "c\x0bd"]
    assert runtime.fields("") == []


def test_run_takes_input_and_text_like_subprocess_run() -> None:
    result = runtime.run(
        [["cat"], "|", ["tr", "a-z", "A-Z"]], input="hi\r\n", capture_output=True, text=True
    )
    assert (result.stdout, result.stderr) == ("HI\n", "")
    assert runtime.run([["cat"]], input=b"\xff", stdout=subprocess.PIPE).stdout == b"\xff"


def test_check_raises_with_the_output() -> None:
    with pytest.raises(subprocess.CalledProcessError) as raised:
        runtime.check_output([["echo", "out"], ";", ["false"]], text=True)
    assert (raised.value.returncode, raised.value.output) == (1, "out\n")


def test_timeout_kills_every_process_of_the_pipeline() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        runtime.run([["sleep", "5"], "|", ["sleep", "5"]], timeout=0.2)


def test_system_and_call_give_what_the_stdlib_gave_for_sh(tmp_path: Path) -> None:
    command = f"echo a > {tmp_path}/f && cat {tmp_path}/f | grep -q b"
    script = [
        ["echo", "a"],
        ">",
        f"{tmp_path}/f",
        "&&",
        ["cat", f"{tmp_path}/f"],
        "|",
        ["grep", "-q", "b"],
    ]
    assert runtime.system(script) == os.system(command)
    assert runtime.call(script) == subprocess.call(command, shell=True)
    assert runtime.getoutput([["ls", "/nonexistent"]]) == subprocess.getoutput("ls /nonexistent")


def test_popen_of_a_script_reads_and_closes_like_os_popen(tmp_path: Path) -> None:
    command = "printf 'b\\na\\n' | sort; exit 3"
    expected = os.popen(command)
    actual = runtime.popen([["printf", "b\\na\\n"], "|", ["sort"], ";", ["sh", "-c", "exit 3"]])
    assert list(actual) == list(expected)
    assert actual.close() == expected.close()
    with runtime.popen([["sort"], ">", str(tmp_path / "out")], "w") as pipe:
        pipe.write("b\na\n")
    assert (tmp_path / "out").read_text() == "a\nb\n"
