"""`harden apply --interactive`, driven through a pseudo-terminal as a person would use it.

Each test spawns the installed `harden` in a pty (pexpect), answers the prompts with keys, and
checks what lands on the phase branch: only accepted rewrites, a remembered rejection as a
`# harden: ignore[...]` comment, what was accepted before `q`, nested rewrites in one
statement each on their own answer. The checkout itself is never touched.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

HARDEN = str(Path(sys.executable).parent / "harden")
PROMPT = r"Apply this rewrite\?"

A_PY = """\
import os
import subprocess


def report(name):
    subprocess.run("echo " + subprocess.getoutput("whoami") + " " + name, shell=True)
    os.system("ls -l " + name)


def clean(path):
    os.system("rm -rf " + path)
"""
B_PY = 'import os\n\n\ndef ping(host):\n    return os.system("ping -c 1 " + host)\n'

# The rewrites in the order they are asked about: a.py by position (the outer run before the
# getoutput nested in its command), then b.py.
OUTER, INNER, LS, RM, PING = range(5)


def _git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(A_PY)
    (tmp_path / "b.py").write_text(B_PY)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "servers")
    return tmp_path


def _review(repo: Path, keys: list[str], asked: int) -> str:
    """Answer `asked` prompts with `keys` (extra keys like e and ? re-ask); the whole output."""
    child = pexpect.spawn(
        HARDEN,
        ["apply", "--phase", "5", "--only", "commands", "--interactive"],
        cwd=str(repo),
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb", "NO_COLOR": "1"},
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    prompts = 0
    for key in keys:
        child.expect(PROMPT)
        if key not in ("e", "?"):
            prompts += 1
        child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert prompts == asked
    return transcript.getvalue()


def _landed(repo: Path) -> dict[str, str]:
    return {
        name: _git(repo, "show", f"harden/phase-5-commands:{name}") for name in ("a.py", "b.py")
    }


def _converted(text: str) -> list[int]:
    """Which of the five places the branch's files show rewritten."""
    a, b = text.split("\0")
    checks = [
        '["echo",' in a,
        "stdout.removesuffix" in a,
        '["ls", "-l"' in a,
        '["rm", "-rf"' in a,
        '["ping", "-c", "1"' in b,
    ]
    return [index for index, done in enumerate(checks) if done]


def _state(repo: Path) -> list[int]:
    files = _landed(repo)
    return _converted(files["a.py"] + "\0" + files["b.py"])


def test_y_n_i_help_and_explain(repo: Path) -> None:
    output = _review(repo, ["?", "e", "y", "n", "i", "y", "n"], asked=5)
    assert "reject what remains" in output  # the help
    assert "/bin/sh" in output  # the explanation: the codemod's rationale
    assert _state(repo) == [OUTER, RM]
    a = _landed(repo)["a.py"]
    assert 'subprocess.getoutput("whoami")' in a  # the nested rewrite was rejected on its own
    assert 'os.system("ls -l " + name)  # harden: ignore[shell-commands]' in a
    assert "reviewed: 2 accepted, 3 rejected (1 remembered" in output
    assert (repo / "a.py").read_text() == A_PY  # the checkout is untouched


def test_a_accepts_the_rest_of_the_file_and_d_rejects_it(repo: Path) -> None:
    _review(repo, ["a", "n"], asked=2)
    assert _state(repo) == [OUTER, INNER, LS, RM]
    _git(repo, "branch", "-D", "harden/phase-5-commands")
    _review(repo, ["y", "d", "y"], asked=3)
    assert _state(repo) == [OUTER, PING]


def test_big_a_accepts_everything_left(repo: Path) -> None:
    _review(repo, ["n", "A"], asked=2)
    assert _state(repo) == [INNER, LS, RM, PING]


def test_big_d_rejects_everything_left(repo: Path) -> None:
    _review(repo, ["y", "y", "D"], asked=3)
    assert _state(repo) == [OUTER, INNER]


def test_q_keeps_what_was_accepted(repo: Path) -> None:
    output = _review(repo, ["y", "n", "y", "q"], asked=4)
    assert _state(repo) == [OUTER, LS]
    assert "stopped early" in output


def test_nothing_accepted_makes_no_branch(repo: Path) -> None:
    output = _review(repo, ["D"], asked=1)
    assert "no branch created" in output
    assert _git(repo, "branch", "--list", "harden/*") == ""


def test_without_a_terminal_it_refuses(repo: Path) -> None:
    result = subprocess.run(
        [HARDEN, "apply", "--phase", "5", "--interactive"],
        cwd=repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
