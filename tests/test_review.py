"""`harden apply --interactive`, driven through a pseudo-terminal as a person would use it.

Each test spawns the installed `harden` in a pty (pexpect) and renders what it writes on a
VT100 screen (pyte), so the tests read what a user reads: before every answer the question
with its keys and "n of N" must be on the cursor's line, with no progress bar drawn over it.
The answers are checked by what lands on the phase branch: only accepted rewrites, a
remembered rejection as a `# harden: ignore[...]` comment, what was accepted before `q`,
nested rewrites in one statement each on their own answer. The checkout is never touched.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest

from harden.codemods.catalog import INFO_BY_ID

HARDEN = str(Path(sys.executable).parent / "harden")
PROMPT = re.compile(
    r"Apply this rewrite \((?P<position>\d+) of (?P<total>\d+)\)\? \[y,n,i,a,d,A,D,e,q,\?\]"
)
QUESTION = "Apply this rewrite ("  # how each question starts, whatever its styling
ROWS, COLUMNS = 50, 100
TIMEOUT = 60.0  # seconds a prompt or the exit may take on a slow machine
# How long a question must stay untouched to prove that nothing draws over it: three redraws
# of rich's progress bar (10 a second).
SETTLE = 0.3
BAR = "━"  # what rich draws a progress bar with

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
APPLY = ["apply", "--phase", "5", "--only", "commands", "--interactive"]


class Terminal:
    """`harden` running in a pseudo-terminal, and the screen a user would see on it."""

    def __init__(
        self,
        repo: Path,
        command: str,
        args: list[str],
        *,
        rows: int = ROWS,
        columns: int = COLUMNS,
        color: bool = True,
    ) -> None:
        self.screen = pyte.Screen(columns, rows)
        self._stream = pyte.Stream(self.screen)
        env = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color"}
        if not color:
            env["NO_COLOR"] = "1"
        self.child = pexpect.spawn(
            command,
            args,
            cwd=str(repo),
            encoding="utf-8",
            dimensions=(rows, columns),
            env=env,
        )
        self.transcript = io.StringIO()  # everything written, also what scrolled off screen
        self.child.logfile_read = self.transcript
        self.questions = 0  # questions seen so far

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def cursor_line(self) -> str:
        return self.lines()[self.screen.cursor.y]

    def shown(self) -> str:
        return "the screen:\n" + "\n".join(self.lines())

    def _read(self, timeout: float) -> bool:
        """Render what arrives within `timeout`; False once the program has exited."""
        try:
            self._stream.feed(self.child.read_nonblocking(65536, timeout=timeout))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            return False
        return True

    def question(self) -> re.Match[str]:
        """The next question on the cursor's line, once it is there."""
        deadline = time.monotonic() + TIMEOUT
        # Until an answer is echoed the previous question is still on the cursor's line.
        while (
            self.transcript.getvalue().count(QUESTION) <= self.questions
            or (match := PROMPT.fullmatch(self.cursor_line())) is None
        ):
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"no question at the cursor; {self.shown()}")
        self.questions += 1
        return match

    def settle(self) -> None:
        """Render whatever arrives within SETTLE seconds."""
        deadline = time.monotonic() + SETTLE
        while (left := deadline - time.monotonic()) > 0 and self._read(left):
            pass

    def finish(self) -> str:
        """Wait for the exit (status 0); everything written."""
        deadline = time.monotonic() + TIMEOUT
        while self._read(max(deadline - time.monotonic(), 0.01)):
            assert time.monotonic() < deadline, f"harden did not exit; {self.shown()}"
        self.child.close()
        assert self.child.exitstatus == 0, self.shown()
        return self.transcript.getvalue()


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


def _answer(terminal: Terminal, keys: list[str], *, settle: bool = False) -> list[int]:
    """Answer each question with the next key, each time checking the screen first: the
    question with its keys on the cursor's line, of 5 rewrites, and no progress bar anywhere.
    With `settle` the question must stay so a while. The positions ("n" of "n of 5") asked."""
    positions: list[int] = []
    for key in keys:
        match = terminal.question()
        if settle:
            terminal.settle()
            assert PROMPT.fullmatch(terminal.cursor_line()), terminal.shown()
        assert not any(BAR in line for line in terminal.lines()), terminal.shown()
        assert match["total"] == "5"
        positions.append(int(match["position"]))
        terminal.child.send(key)
    return positions


def _review(repo: Path, keys: list[str]) -> tuple[list[int], str]:
    """The positions asked while answering with `keys`, and everything written."""
    terminal = Terminal(repo, HARDEN, APPLY)
    positions = _answer(terminal, keys)
    return positions, terminal.finish()


def _landed(repo: Path) -> dict[str, str]:
    return {
        name: _git(repo, "show", f"harden/phase-5-commands:{name}") for name in ("a.py", "b.py")
    }


def _converted(a: str, b: str) -> list[int]:
    """Which of the five places the files show rewritten (however harden wrapped them)."""
    a, b = (re.sub(r"\s+", "", text) for text in (a, b))
    checks = [
        '["echo",' in a,
        "stdout.removesuffix" in a,
        '["ls","-l"' in a,
        '["rm","-rf"' in a,
        '["ping","-c","1"' in b,
    ]
    return [index for index, done in enumerate(checks) if done]


def _state(repo: Path) -> list[int]:
    files = _landed(repo)
    return _converted(files["a.py"], files["b.py"])


def test_y_n_i_help_and_explain(repo: Path) -> None:
    positions, output = _review(repo, ["?", "e", "y", "n", "i", "y", "n"])
    assert positions == [1, 1, 1, 2, 3, 4, 5]  # ? and e ask again
    assert "reject what remains" in output  # the help
    assert "/bin/sh" in output  # the explanation: the codemod's rationale
    assert _state(repo) == [OUTER, RM]
    a = _landed(repo)["a.py"]
    assert 'subprocess.getoutput("whoami")' in a  # the nested rewrite was rejected on its own
    assert 'os.system("ls -l " + name)  # harden: ignore[shell-commands]' in a
    assert "reviewed: 2 accepted, 3 rejected (1 remembered" in output
    assert (repo / "a.py").read_text() == A_PY  # the checkout is untouched


def test_a_accepts_the_rest_of_the_file_and_d_rejects_it(repo: Path) -> None:
    positions, _ = _review(repo, ["a", "n"])
    assert positions == [1, 5]  # a answered 2 to 4
    assert _state(repo) == [OUTER, INNER, LS, RM]
    _git(repo, "branch", "-D", "harden/phase-5-commands")
    positions, _ = _review(repo, ["y", "d", "y"])
    assert positions == [1, 2, 5]
    assert _state(repo) == [OUTER, PING]


def test_big_a_accepts_everything_left(repo: Path) -> None:
    assert _review(repo, ["n", "A"])[0] == [1, 2]
    assert _state(repo) == [INNER, LS, RM, PING]


def test_big_d_rejects_everything_left(repo: Path) -> None:
    assert _review(repo, ["y", "y", "D"])[0] == [1, 2, 3]
    assert _state(repo) == [OUTER, INNER]


def test_q_keeps_what_was_accepted(repo: Path) -> None:
    positions, output = _review(repo, ["y", "n", "y", "q"])
    assert positions == [1, 2, 3, 4]
    assert _state(repo) == [OUTER, LS]
    assert "stopped early" in output


def test_nothing_accepted_makes_no_branch(repo: Path) -> None:
    positions, output = _review(repo, ["D"])
    assert positions == [1]
    assert "no branch created" in output
    assert _git(repo, "branch", "--list", "harden/*") == ""


@pytest.mark.parametrize("quiet", [False, True])
def test_the_question_stays_on_screen(repo: Path, quiet: bool) -> None:
    """Nothing draws over a question while it waits, and --quiet still shows the review."""
    terminal = Terminal(repo, HARDEN, ["--quiet", *APPLY] if quiet else APPLY)
    assert _answer(terminal, ["e", "y", "n", "y", "q"], settle=True) == [1, 1, 2, 3, 4]
    output = terminal.finish()
    lines = terminal.lines()
    assert any("a.py:11  shell-commands" in line for line in lines)  # the last one asked about
    assert "reviewed: 2 accepted, 3 rejected — stopped early" in lines
    assert "created branch" in output  # a result: --quiet keeps it
    assert _state(repo) == [OUTER, LS]


def test_the_diff_is_highlighted_and_shows_the_lines_around(repo: Path) -> None:
    terminal = Terminal(repo, HARDEN, APPLY)
    terminal.question()
    lines = terminal.lines()
    removed = lines.index(
        '6 -     subprocess.run("echo " + subprocess.getoutput("whoami") + " " + name, shell=True)'
    )
    kept = lines.index('7       os.system("ls -l " + name)')
    assert lines[removed - 2 : removed] == ["4", "5   def report(name):"]
    assert lines[removed + 1].startswith('  +     subprocess.run(["echo", ')
    assert all(line.startswith("    ") for line in lines[removed + 2 : kept])  # wrapped, unnumbered
    assert lines[kept + 1] == "8" and PROMPT.fullmatch(lines[kept + 2])
    cells = terminal.screen.buffer
    assert (cells[removed][2].fg, cells[removed + 1][2].fg) == ("red", "green")
    keyword = cells[removed - 1][4]
    assert keyword.data == "d" and keyword.fg != "default"  # `def`, highlighted as Python
    terminal.child.send("q")
    terminal.finish()


def test_the_explanation_wraps_between_words(repo: Path) -> None:
    terminal = Terminal(repo, HARDEN, APPLY, columns=60, color=False)
    _answer(terminal, ["e"])
    terminal.question()
    # Between the question answered with e and the one asked again: the explanation.
    lines = terminal.lines()
    asked = max(row for row, line in enumerate(lines) if PROMPT.match(line) and line.endswith(" e"))
    shown = " ".join(" ".join(lines[asked + 1 : terminal.screen.cursor.y]).split())
    assert " ".join(INFO_BY_ID["shell-commands"].rationale.split()) in shown
    terminal.child.send("q")
    terminal.finish()


def test_the_review_asks_on_the_terminal_when_stdout_is_a_file(repo: Path) -> None:
    command = f"exec {HARDEN} {' '.join(APPLY)} --dry-run > change.diff"
    terminal = Terminal(repo, "/bin/sh", ["-c", command])
    assert _answer(terminal, ["y", "D"]) == [1, 2]
    terminal.finish()
    diff = (repo / "change.diff").read_text()
    assert diff.startswith("diff --git a/a.py b/a.py\n")
    added = "".join(line[1:] for line in diff.splitlines() if line.startswith("+"))
    assert _converted(added, "") == [OUTER] and "b.py" not in diff


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
