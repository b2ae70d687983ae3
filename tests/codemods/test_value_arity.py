"""How many arguments a value standing alone, unquoted, becomes: what harden proves, and why.

sh split such a value at blanks. The rewrite passes it as one argument only where harden proves
it is one word, splits it inline (`harden_runtime.fields`) where the code shows it holds several,
and otherwise leaves the splitting to the runtime's `words()`, which ENFORCE_SHELL_FREE can turn
off. Each case is checked on the argument list the codemod writes and on its review note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from harden.codemods.base import FileRun

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py


@dataclass(frozen=True)
class Case:
    """`subprocess.run(command, shell=True)` in `def f(params)`, after `body`, in a module
    starting with `header`; `argv`: the argument list it must become."""

    params: str
    command: str
    argv: str
    body: str = ""
    header: str = ""

    def rewrite(self, apply: Apply) -> tuple[str, str]:
        """The argument list the codemod writes, and the rewrite's note."""
        source = (
            f"import subprocess\n{self.header}\n\ndef f({self.params}):\n{self.body}"
            f"    subprocess.run({self.command}, shell=True)\n"
        )
        new, run = apply(source)
        assert not run.unfixed, [u.reason for u in run.unfixed]
        (rewrite,) = run.accepted
        call = next(line for line in new.splitlines() if "subprocess.run([" in line)
        return call.split("subprocess.run(", 1)[1].rsplit(")", 1)[0], rewrite.note


ONE_WORD = {
    "int-parameter": Case("n: int", 'f"head -n {n}"', '["head", "-n", str(n)]'),
    "float-and-quoted-bool": Case(
        'x: float, y: "bool"', 'f"tool {x} {y}"', '["tool", str(x), str(y)]'
    ),
    "unpadded-format": Case(
        "n: int", 'f"tool {n:.2f} {n:+d}"', '["tool", format(n, ".2f"), format(n, "+d")]'
    ),
    "len-call": Case("xs", 'f"tool {len(xs)}"', '["tool", str(len(xs))]'),
    "percent-number": Case("n", '"tool %d %.1f" % (n, n)', '["tool", "%d" % (n,), "%.1f" % (n,)]'),
    # Glued to literal text, `str(n)` is written as ruff's RUF010 wants it: `{n!s}`.
    "glued-str-call": Case("n: int", '"du --max-depth=" + str(n)', '["du", f"--max-depth={n!s}"]'),
    "local-literals": Case(
        "z",
        'f"tool {level}"',
        '["tool", level]',
        body='    level = "high"\n    if z:\n        level = "low"\n',
    ),
    "module-constant": Case("", 'f"{GIT} log"', '[GIT, "log"]', header='GIT = "git"'),
}


@pytest.mark.parametrize("case", ONE_WORD.values(), ids=ONE_WORD)
def test_a_proven_word_is_one_argument(apply: Apply, case: Case) -> None:
    argv, note = case.rewrite(apply)
    assert argv == case.argv
    assert "CMD_VALUE_SPLIT" not in note


SEVERAL_WORDS = {
    "substring-test": Case(
        "operation: str",
        'f"git {operation}"',
        '["git", *harden_runtime.fields(operation)]',
        body='    if "reset --hard" in operation or "push" in operation:\n        return\n',
    ),
    "equality": Case(
        "op: str",
        'f"git {op}"',
        '["git", *harden_runtime.fields(op)]',
        body='    assert op != "log --oneline"\n',
    ),
    "membership": Case(
        "op: str",
        'f"git {op}"',
        '["git", *harden_runtime.fields(op)]',
        body='    assert op in ("status", "log --oneline")\n',
    ),
    "split": Case(
        "op: str", 'f"git {op}"', '["git", *harden_runtime.fields(op)]', body="    op.split()\n"
    ),
    "startswith": Case(
        "op: str",
        'f"git {op}"',
        '["git", *harden_runtime.fields(op)]',
        body='    assert not op.startswith("push --force")\n',
    ),
    "default": Case(
        'op: str = "log --oneline"', 'f"git {op}"', '["git", *harden_runtime.fields(op)]'
    ),
    "local-literals": Case(
        "z",
        'f"git {op}"',
        '["git", *harden_runtime.fields(op)]',
        body='    op = "status"\n    if z:\n        op = "log -n 1"\n',
    ),
    "module-constant": Case(
        "x: int", 'f"{GIT} {x}"', "[*harden_runtime.fields(GIT), str(x)]", header='GIT = "git -P"'
    ),
    "padded-number": Case(
        "n: int", 'f"head -n {n:>4}"', '["head", "-n", *harden_runtime.fields(format(n, ">4"))]'
    ),
}


@pytest.mark.parametrize("case", SEVERAL_WORDS.values(), ids=SEVERAL_WORDS)
def test_a_value_shown_to_hold_words_is_split_as_sh_split_it(apply: Apply, case: Case) -> None:
    argv, note = case.rewrite(apply)
    assert argv == case.argv
    assert "is split at blanks as sh split it: " in note
    assert "CMD_VALUE_SPLIT" not in note


UNPROVEN = {
    "parameter": Case("path", 'f"ls {path}"', '["ls", *harden_runtime.words(path)]'),
    "str-parameter": Case("path: str", 'f"ls {path}"', '["ls", *harden_runtime.words(path)]'),
    "conversion": Case("x", 'f"echo {x!r}"', '["echo", *harden_runtime.words(repr(x))]'),
    # Tests that show nothing about blanks: no blank in the text, a split at `/`.
    "substring-without-blank": Case(
        "op: str",
        'f"git {op}"',
        '["git", *harden_runtime.words(op)]',
        body='    if "push" in op or op.split("/"):\n        return\n',
    ),
    # A literal sh would not read as plain text (a glob, an assignment at the front).
    "local-glob": Case(
        "",
        'f"ls {pattern}"',
        '["ls", *harden_runtime.words(pattern)]',
        body='    pattern = "*.md"\n',
    ),
    "program": Case("prog", 'f"{prog} --version"', '[*harden_runtime.words(prog), "--version"]'),
}


@pytest.mark.parametrize("case", UNPROVEN.values(), ids=UNPROVEN)
def test_an_unproven_value_is_split_by_the_runtime(apply: Apply, case: Case) -> None:
    argv, note = case.rewrite(apply)
    assert argv == case.argv
    assert "logs CMD_VALUE_SPLIT (never the value)" in note
    assert "ENFORCE_SHELL_FREE=true passes each as one argument" in note


def test_the_note_says_what_shows_the_words(apply: Apply) -> None:
    _, note = SEVERAL_WORDS["substring-test"].rewrite(apply)
    expected = 'split at blanks as sh split it: the code tests `"reset --hard" in operation`.'
    assert f"`operation` is {expected}" in note


def test_a_directory_or_file_name_stays_one_value(apply: Apply) -> None:
    # `cd DIR` (as cwd= or in a script) and a redirection's target are one value, as before.
    new, run = apply(
        "import subprocess\n\n\ndef f(repo, out):\n"
        '    subprocess.run(f"cd {repo} && make > {out}", shell=True)\n'
    )
    assert '[["cd", str(repo)], "&&", ["make"], ">", str(out)]' in new
    note = run.accepted[0].note
    assert "harden_runtime.words" not in note
    for value in ("repo", "out"):
        assert f"`{value}` names one file or directory, used whole: sh split" in note
