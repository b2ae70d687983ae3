"""harden's sh model against a real /bin/sh, on random commands without shell features.

For every command, `sh -c 'set -- <command>'` tells which arguments sh makes of it (no program
runs, so one sh process per example is all it costs). The first property checks split_words on
plain text; the second checks the argv build_argv emits, with values spliced in at run time,
against sh on the same text with the values substituted.
"""

from __future__ import annotations

import shlex
import string
import subprocess
from dataclasses import dataclass, field

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harden.shell.argv import build_argv
from harden.shell.words import Placeholder, Splitting, literal_text, split_words

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
SPLITTING = st.sampled_from([Splitting.ONE, Splitting.WORDS])
BLANKS = st.sampled_from([" ", "  ", "\t", " \t ", " \\\n "])


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

    def add_value(self, value: str, splitting: Splitting = Splitting.ONE) -> None:
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
            template.add_value(draw(BENIGN_VALUE))
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
    arguments = eval(code, {"shlex": shlex}, dict(template.values))
    assert arguments == ["program", *sh_arguments(template.text.removeprefix("program "))]


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
