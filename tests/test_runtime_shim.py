"""The shim: a command line harden could not read before it ran, read when it runs.

Each command runs twice for real, in twin directories: through /bin/sh as the original call
did, and through the runtime with the same `shell=` flag. Plain words and what the script
runner supports must run without a shell and give the same status, stdout, stderr and files;
anything else must give the same too (warn-only: it still runs through /bin/sh) and log
CMD_SHELL_FEATURE_DETECTED without the command's text. Under ENFORCE_SHELL_FREE those are
refused and nothing runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from harden import runtime

SECRET = "s3cr3t-token-value"

# Run without a shell: plain words, and what the script runner does as sh did.
SHELL_FREE = {
    "plain-words": "printf '%s|' a 'b c' \"d e\" f\\ g",
    "pipeline": "printf '%s\\n' one two three | sort -r",
    "and-list": "printf x > out.txt && cat out.txt",
    "or-list": "false || printf fallback",
    "semicolons": "printf a; printf b;",
    "append-and-read": "printf 1 >> log.txt; printf 2 >> log.txt; cat < log.txt",
    "stderr-to-stdout": "ls missing-file 2>&1",
    "glob": "printf '%s|' *.txt",
    "glob-no-match": "printf '%s|' *.none",
    "variable-split": "printf '%s|' $GREETING",
    "variable-quoted": 'printf \'%s|\' "$GREETING" "${GREETING}!"',
    "empty-variable": "printf '%s|' a $EMPTY b",
    "tilde": "printf '%s|' ~/notes ~",
    "substitution": "printf '%s|' $(printf 'a b') \"$(printf 'c d')\"",
    "cd": "cd sub && printf '%s|' *",
    "missing-program": "missing-program-xyz --flag",
    "comment": "printf ok # a comment",
    "dollar-alone": "printf '%s|' $ a$",
    "echo": "echo hello   world",
}
# Need /bin/sh: they run through it as before, and are logged.
NEEDS_SHELL = {
    "for-loop": ("for x in 1 2; do printf $x; done", "compound command"),
    "heredoc": ("cat <<EOF\nhi\nEOF", "heredoc"),
    "subshell": ("(printf sub)", "subshell"),
    "assignment": ("X=1 printf ok", "assignment"),
    "background": ("printf a & wait", "background"),
    "special-parameter": ("printf '%s' $$ >/dev/null; printf ok", "special parameter"),
    "backquotes": ("printf `printf x`", "backquote substitution"),
    "arithmetic": ("printf $((1 + 2))", "arithmetic expansion"),
    "parameter-expansion": ("printf ${GREETING:-x}", "parameter expansion"),
    "echo-escapes": ("echo 'a\\tb'", "echo's options or escapes"),
    "builtin": ("export A=1; printf ok", "builtin"),
    # sh's messages name the line: the runner's would all say line 1.
    "several-lines": ("printf a\nmissing-program-xyz", "several lines"),
}


def _twin(root: Path) -> Path:
    root.mkdir()
    (root / "a.txt").write_text("a")
    (root / "b.txt").write_text("b")
    (root / "sub").mkdir()
    (root / "sub" / "inner.py").write_text("")
    return root


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "GREETING": "hi there",
        "LC_ALL": "C",
    }


def _both(tmp_path: Path, command: str) -> tuple[tuple[object, ...], tuple[object, ...]]:
    env = _env(tmp_path)
    results = []
    for name, run in (("sh", subprocess.run), ("shim", runtime.run)):
        where = _twin(tmp_path / name)
        done = run(command, shell=True, capture_output=True, text=True, cwd=where, env=env)
        results.append((done.returncode, done.stdout, done.stderr, _files(where)))
    return results[0], results[1]


@pytest.fixture
def events(capfd: pytest.CaptureFixture[str]):
    def read() -> list[dict[str, object]]:
        err = capfd.readouterr().err
        return [json.loads(line) for line in err.splitlines() if line.startswith("{")]

    return read


@pytest.mark.parametrize("command", SHELL_FREE.values(), ids=SHELL_FREE)
def test_what_the_runner_reads_runs_without_a_shell_and_does_the_same(
    tmp_path: Path, command: str, events, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = runtime._read_line(command, _env(tmp_path))
    assert line.features == (), line.features
    assert line.argv is not None or line.script is not None
    shelled: list[object] = []
    real = subprocess.run
    monkeypatch.setattr(
        subprocess, "run", lambda *a, **k: shelled.append(k.get("shell")) or real(*a, **k)
    )
    original, shimmed = _both(tmp_path, command)
    assert shimmed == original
    assert shelled[0] is True and True not in shelled[1:]  # only the original used sh
    assert not [e for e in events() if e["event"] == runtime.SHELL_FEATURE_EVENT]


@pytest.mark.parametrize(("command", "feature"), NEEDS_SHELL.values(), ids=NEEDS_SHELL)
def test_what_needs_a_shell_still_runs_in_it_and_is_logged(
    tmp_path: Path, command: str, feature: str, events
) -> None:
    original, shimmed = _both(tmp_path, command)
    assert shimmed == original
    (event,) = [e for e in events() if e["event"] == runtime.SHELL_FEATURE_EVENT]
    assert event["features"] == [feature] and event["api"] == "subprocess.run"
    assert event["site"].startswith("test_runtime_shim:")


def test_the_log_line_never_holds_the_command(tmp_path: Path, events) -> None:
    command = f"curl -H 'Authorization: Bearer {SECRET}' http://x <<EOF\n{SECRET}\nEOF"
    runtime._needs_shell("subprocess.run", runtime._read_line(command, {}))
    (event,) = events()
    assert SECRET not in json.dumps(event)
    assert event["program"] == "curl" and event["features"] == ["heredoc"]


def test_enforced_a_line_that_needs_a_shell_is_refused_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENFORCE_SHELL_FREE", "true")
    runtime.reset()
    try:
        with pytest.raises(runtime.Rejected) as refused:
            runtime.run("for x in 1; do touch PWNED; done", shell=True, cwd=tmp_path)
        assert "PWNED" not in str(refused.value)
        with pytest.raises(runtime.Rejected):
            runtime.system("touch PWNED &")
        assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
        # What runs without a shell is not refused.
        done = runtime.run("printf ok", shell=True, capture_output=True, text=True)
        assert done.stdout == "ok"
    finally:
        monkeypatch.delenv("ENFORCE_SHELL_FREE")
        runtime.reset()


@pytest.mark.parametrize("payload", ["; touch PWNED", "$(touch PWNED)", "`touch PWNED`"])
def test_a_payload_in_a_quoted_argument_stays_an_argument(tmp_path: Path, payload: str) -> None:
    command = f"printf '%s' '{payload}'"  # a tool's parameter: plain words and the payload
    done = runtime.run(command, shell=True, capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout == payload and not (tmp_path / "PWNED").exists()


def test_a_false_shell_flag_runs_the_call_as_it_was(tmp_path: Path) -> None:
    done = runtime.run(["printf", "%s", "a b"], shell=False, capture_output=True, text=True)
    assert done.stdout == "a b"
    with pytest.raises(FileNotFoundError):
        runtime.run("printf x", shell=False)  # a program named "printf x", as before


def test_each_api_keeps_its_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # os.system and os.popen run where the process is
    assert runtime.check_output("printf '%s' 'a b'", shell=True, text=True) == "a b"
    assert runtime.call("exit 3", shell=True) == subprocess.call("exit 3", shell=True)
    assert runtime.call("false", shell=True) == 1
    with pytest.raises(subprocess.CalledProcessError):
        runtime.check_call("false", shell=True)
    assert runtime.system("printf x > f.txt; exit 2") == os.system("exit 2")
    assert (tmp_path / "f.txt").read_text() == "x"
    assert runtime.getstatusoutput("printf 'a\\n'; exit 4") == (4, "a")
    assert runtime.getoutput("ls missing-file") == subprocess.getoutput("ls missing-file")
    with runtime.popen("printf '%s' popen") as stream:
        assert stream.read() == "popen"
    process = runtime.Popen("printf '%s' 'a b'", shell=True, stdout=subprocess.PIPE, text=True)
    assert process.communicate()[0] == "a b" and process.returncode == 0
    piped = runtime.Popen("printf a | cat", shell=True, stdout=subprocess.PIPE, text=True)
    assert piped.communicate()[0] == "a"  # a pipeline: through /bin/sh, as before

    async def spawned() -> bytes:
        process = await runtime.create_subprocess_shell(
            "printf '%s' 'x y'", stdout=asyncio.subprocess.PIPE
        )
        return (await process.communicate())[0]

    assert asyncio.run(spawned()) == b"x y"
