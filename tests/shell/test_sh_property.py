"""harden's sh model against a real /bin/sh, on random commands.

For plain commands, `sh -c 'set -- <command>'` tells which arguments sh makes of it (no program
runs, so one sh process per example is all it costs). The first property checks the words read
from plain text; the second the argv emitted, with values spliced in at run time, against sh on
the same text with the values substituted, in the runtime's default (warn) mode, where a value
standing alone splits as sh split it whatever harden could prove about it. The third runs whole
command lines — pipelines,
lists, redirections, variables, `~`, globs, `$(...)` — through sh and through the code harden
emits for them (the vendored runtime's script runner where one program is not enough), in twin
directories, and compares the output, the status and the files left behind.
"""

from __future__ import annotations

import os
import shlex
import string
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_words import split_words  # the words of a one-command line

from harden import runtime
from harden.shell.argv import Argv, WordEmitter
from harden.shell.script import emit
from harden.shell.syntax import parse
from harden.shell.words import Placeholder, Splitting, Word, literal_text

# derandomize: the same examples on every run, so CI results never depend on luck.
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)

# Characters sh gives no meaning to anywhere in a word; `#` and `~` only mean something at the
# start of a word, so they may follow.
PLAIN = string.ascii_letters + string.digits + "_./:@%+=,-!]^é€"
PLAIN_LATER = PLAIN + "#~"
# Anything an argument can hold (not NUL, not a lone surrogate).
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
BENIGN_VALUE = st.from_regex(r"[A-Za-z0-9_./:@%+=,-]+", fullmatch=True)
SPACED_VALUE = st.lists(BENIGN_VALUE, min_size=1, max_size=3).map(" ".join)
SPLITTING = st.sampled_from(list(Splitting))
BLANKS = st.sampled_from([" ", "  ", "\t", " \t ", " \\\n "])
# A value with blanks anywhere, or none at all (not a newline: spliced into the text, it would
# end sh's command).
VALUE_BLANKS = st.sampled_from(["", " ", "\t", "  ", " \t "])
BLANKY_VALUE = st.builds(
    lambda words, blanks: "".join(b + w for b, w in zip(blanks, words, strict=False)) + blanks[-1],
    st.lists(BENIGN_VALUE, max_size=3),
    st.lists(VALUE_BLANKS, min_size=4, max_size=4),
)


def build_argv(words: Sequence[Word]) -> Argv:
    return WordEmitter(None, lambda tokens: cst.List([]), "harden_runtime").argv(words)


def sh_arguments(command: str) -> list[str]:
    """The arguments sh makes of `command` (placed after `set --`)."""
    script = f'set -- {command}\nprintf \'%s\\0\' "$#" "$@"'
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout
    count, *arguments = out.decode("utf-8", "surrogateescape").split("\0")[:-1]
    assert int(count) == len(arguments)
    return arguments


# -- plain commands -----------------------------------------------------------------------------

plain = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(PLAIN),
    st.text(alphabet=PLAIN_LATER, max_size=5),
)
single_quoted = st.text(alphabet=ANY_CHAR.filter(lambda c: c != "'"), max_size=8).map(
    lambda text: f"'{text}'"
)
double_quoted_char = st.one_of(
    ANY_CHAR.filter(lambda c: c not in '"\\$`'),
    st.sampled_from(['\\"', "\\\\", "\\$", "\\`", "\\\n", "\\a", "\\n", "\\'", "\\ "]),
)
double_quoted = st.lists(double_quoted_char, max_size=8).map(
    lambda chars: '"' + "".join(chars) + '"'
)
escaped = ANY_CHAR.map(lambda c: "\\" + c)
word = st.lists(
    st.one_of(plain, single_quoted, double_quoted, escaped), min_size=1, max_size=4
).map("".join)


@st.composite
def commands(draw: st.DrawFn) -> str:
    words = draw(st.lists(word, max_size=5))
    text = draw(st.sampled_from(["", " "]))
    for each in words:
        text += each + draw(BLANKS)
    return text


@SETTINGS
@given(commands())
def test_split_words_agrees_with_sh(command: str) -> None:
    words = split_words([f"program {command}"])[1:]
    assert [literal_text(w) for w in words] == sh_arguments(command)


# -- templates with values ---------------------------------------------------------------------


@dataclass
class Template:
    """A command's pieces, the values of its placeholders, and its text with them substituted."""

    pieces: list[str | Placeholder] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def add_text(self, text: str) -> None:
        self.pieces.append(text)
        self.text += text

    def add_value(self, value: str, splitting: Splitting = Splitting.UNKNOWN) -> None:
        name = f"v{len(self.values)}"
        placeholder = Placeholder(value=cst.Name(name), name=name, is_str=True, splitting=splitting)
        self.pieces.append(placeholder)
        self.values[name] = value
        self.text += value


@st.composite
def templates(draw: st.DrawFn) -> Template:
    template = Template()
    template.add_text("program ")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["alone", "words", "double", "single", "glued"]))
        if kind == "alone":
            # What harden proves one word is one; anything else may hold blanks, or be empty.
            splitting = draw(st.sampled_from([Splitting.ONE, Splitting.FIELDS, Splitting.UNKNOWN]))
            value = BENIGN_VALUE if splitting is Splitting.ONE else BLANKY_VALUE
            template.add_value(draw(value), splitting)
        elif kind == "words":
            # A value meant to carry several arguments (`extra_args`): split like sh does.
            template.add_value(draw(SPACED_VALUE), Splitting.WORDS)
        elif kind == "double":
            # Quoted, a value is one argument whatever its blanks and its splitting hint.
            template.add_text('"' + draw(st.text(alphabet=PLAIN + " |;&*", max_size=3)))
            template.add_value(draw(SPACED_VALUE), draw(SPLITTING))
            template.add_text(draw(st.text(alphabet=PLAIN + " |;&*", max_size=3)) + '"')
        elif kind == "single":
            template.add_text("'" + draw(st.text(alphabet=PLAIN + ' |;&*$"', max_size=3)))
            template.add_value(draw(SPACED_VALUE), draw(SPLITTING))
            template.add_text(draw(st.text(alphabet=PLAIN + ' |;&*$"', max_size=3)) + "'")
        else:
            template.add_text(draw(st.one_of(plain, single_quoted, double_quoted, escaped)))
            template.add_value(draw(BENIGN_VALUE), draw(SPLITTING))
            if draw(st.booleans()):
                template.add_text(draw(st.one_of(plain, single_quoted, double_quoted)))
        template.add_text(draw(BLANKS))
    return template


def assert_argv_agrees_with_sh(template: Template) -> None:
    argv = build_argv(split_words(template.pieces))
    code = cst.Module([]).code_for_node(argv.as_list())
    namespace = {"shlex": shlex, "harden_runtime": runtime}
    arguments = eval(code, namespace, dict(template.values))
    assert arguments == ["program", *sh_arguments(template.text.removeprefix("program "))]


@pytest.mark.usefixtures("fresh_runtime_for_module")
@SETTINGS
@given(templates())
def test_argv_agrees_with_sh(template: Template) -> None:
    assert_argv_agrees_with_sh(template)


@pytest.mark.parametrize("value", ['-n "a b"', "a\\ b 'c  d'", 'x="1 2" -v'])
def test_words_value_keeps_the_quotes_sh_would_read(value: str) -> None:
    # Spliced into the command text, a value's quotes are syntax to sh; shlex.split reads
    # them the same way.
    template = Template()
    template.add_text("program ")
    template.add_value(value, Splitting.WORDS)
    assert_argv_agrees_with_sh(template)


# -- whole command lines ------------------------------------------------------------------------

# Values of the variables the command lines read (glued to text, a value without blanks is used
# whole, as sh used it; standing alone, sh's splitting is kept, so any value goes).
ENVIRONMENT = {"GLUED": "val.ue", "SPACED": "  a b\tc ", "EMPTY": "", "PATH": os.environ["PATH"]}
FILES = {"a.txt": "alpha\nbeta\n", "b.txt": "gamma\n", "f1.log": "log\n", ".hidden": "h\n"}

expanded_word = st.one_of(
    word,
    st.sampled_from(
        [
            "$GLUED",
            "x$GLUED-y",
            "${GLUED}",
            '"$SPACED"',
            "$SPACED",
            "$EMPTY",
            '"$EMPTY"',
            "${UNSET:-dflt}",
            "${EMPTY:-dflt}",
            "${EMPTY-dflt}",
            "${UNSET-}",
            "~",
            "~/sub",
            '"~"',
            "*.txt",
            "f?.log",
            "[ab].txt",
            "[!a]*",
            ".h*",
            "nomatch*",
            "'*'.txt",
            "$(printf '%s' sub)",
            "\"$(printf 'a b\\n\\n')\"",
            "$(printf 'a b\\n\\n')",
            "x$(echo y)z",
            "`echo tick`",
            "$(cat b.txt | tr a-z A-Z)",
        ]
    ),
)


@st.composite
def simple_commands(draw: st.DrawFn, stage: int) -> str:
    printf = "printf '%s\\0'"
    program = draw(st.sampled_from([printf, printf, printf, "cat a.txt", "true", "false", "cat"]))
    words = draw(st.lists(expanded_word, max_size=3)) if program.startswith("printf") else []
    redirections = draw(
        st.lists(
            # Each stage of a pipeline writes files of its own: they run at the same time.
            st.sampled_from([f"> o{stage}", f">> o{stage}", "2>&1", "2>/dev/null", "< b.txt"]),
            max_size=2,
        )
    )
    return " ".join([program, *words, *redirections])


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    line = ""
    for index in range(draw(st.integers(1, 3))):
        if index:
            line += draw(st.sampled_from([" ; ", " && ", " || ", "\n"]))
        stages = [draw(simple_commands(stage)) for stage in range(draw(st.integers(1, 3)))]
        line += " | ".join(stages)
        if index == 0 and draw(st.integers(0, 5)) == 0:
            line = "cd sub && " + line
    return line


def run_in(
    directory: Path, run: Callable[[], tuple[bytes, int]]
) -> tuple[bytes, int, dict[str, bytes]]:
    """What a run does in a fresh copy of the files: its output, its status, the files after."""
    directory.mkdir()
    (directory / "sub").mkdir()
    for name, text in FILES.items():
        (directory / name).write_text(text)
    previous = os.getcwd()
    os.chdir(directory)
    try:
        out, status = run()
    finally:
        os.chdir(previous)
    files = {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
    return out, status, files


def run_emitted(command: str, env: dict[str, str]) -> tuple[bytes, int]:
    emitted = emit(
        parse([command]),
        streams={"stdin": "set", "stdout": "set"},
        cwd_given=False,
        environ=cst.Name("env"),
        runtime_module="harden_runtime",
    )
    namespace = {"env": env, "harden_runtime": runtime, "os": os, "shlex": shlex}
    module = cst.Module([])
    if emitted.script is not None:
        script = eval(module.code_for_node(emitted.script), namespace)
        process = runtime.run(script, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
    else:
        assert emitted.argv is not None
        argv = eval(module.code_for_node(emitted.argv.as_list()), namespace)
        keywords = {
            name: eval(module.code_for_node(value), {**namespace, "subprocess": subprocess})
            for name, value in emitted.keywords
        }
        process = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env, **keywords
        )
    return process.stdout, process.returncode


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(command_lines())
def test_command_line_runs_as_sh_ran_it(
    tmp_path_factory: pytest.TempPathFactory, line: str
) -> None:
    base = tmp_path_factory.mktemp("line")
    home = base / "home"
    (home / "sub").mkdir(parents=True)
    env = {**ENVIRONMENT, "HOME": str(home)}

    def sh() -> tuple[bytes, int]:
        process = subprocess.run(
            line, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env
        )
        return process.stdout, process.returncode

    expected = run_in(base / "sh", sh)
    actual = run_in(base / "harden", lambda: run_emitted(line, env))
    assert actual == expected
