"""sh's reading of a command, case by case: quoting, escapes, glued pieces, operators,
expansions, and every refused feature.

The expected words are what dash (/bin/sh) makes of each command; test_sh_property.py checks
the same against a real sh on random commands.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from harden.shell.syntax import Command, Redirect, Step, parse
from harden.shell.words import (
    NeedsShell,
    Operator,
    Part,
    Placeholder,
    Substitution,
    Tilde,
    Variable,
    Word,
    lex,
    literal_text,
)

X = Placeholder(value="x", name="x")
Y = Placeholder(value="y", name="y")


def split_words(pieces: Sequence[str | Placeholder]) -> list[Word]:
    """The words of a command line that is one simple command."""
    (step,) = parse(pieces)
    (command,) = step.pipeline
    assert not command.redirects
    return list(command.words)


def texts(*pieces: str | Placeholder) -> list[str | None]:
    """The words of a command, as text (None for a word holding a value)."""
    return [literal_text(word) for word in split_words(pieces)]


def lit(text: str, quoted: bool = False) -> Part:
    return Part(text, quoted)


def val(value: Placeholder, quoted: bool = False) -> Part:
    return Part(value, quoted)


# -- single quotes ------------------------------------------------------------------------


def test_single_quotes_keep_blanks() -> None:
    assert texts("echo 'a  b' c") == ["echo", "a  b", "c"]


def test_single_quotes_keep_every_shell_character() -> None:
    special = '| ; & < > ( ) $HOME $(id) `id` * ? [a] {a,b} ~ # \\ " \\n'
    assert texts(f"echo '{special}'") == ["echo", special]


def test_single_quotes_keep_a_newline() -> None:
    assert texts("echo 'a\nb'") == ["echo", "a\nb"]


def test_single_quote_cannot_be_escaped_inside_single_quotes() -> None:
    # 'it'\''s' is sh's way to write it's: close, escaped quote, reopen.
    assert texts("echo 'it'\\''s'") == ["echo", "it's"]
    assert texts("echo 'a\\'") == ["echo", "a\\"]


# -- double quotes ------------------------------------------------------------------------


def test_double_quotes_keep_blanks_and_single_quotes() -> None:
    assert texts('echo "a  b" "it\'s"') == ["echo", "a  b", "it's"]


@pytest.mark.parametrize(
    ("inside", "value"),
    [
        ('\\"', '"'),
        ("\\\\", "\\"),
        ("\\$", "$"),
        ("\\`", "`"),
        ("a\\\nb", "ab"),  # line continuation
    ],
)
def test_double_quotes_backslash_escapes_these(inside: str, value: str) -> None:
    assert texts(f'echo "{inside}"') == ["echo", value]


@pytest.mark.parametrize("char", ["a", "n", "'", " ", "|", "*", "{", "~"])
def test_double_quotes_backslash_stays_before_other_characters(char: str) -> None:
    assert texts(f'echo "\\{char}"') == ["echo", f"\\{char}"]


def test_double_quotes_keep_glob_and_operator_characters() -> None:
    assert texts('echo "*.py | wc; a && b > c ~ #x {a,b}"') == [
        "echo",
        "*.py | wc; a && b > c ~ #x {a,b}",
    ]


def test_double_quotes_keep_a_newline() -> None:
    assert texts('echo "a\nb"') == ["echo", "a\nb"]


# -- backslash outside quotes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "value"),
    [
        ("a\\ b", "a b"),
        ("\\'", "'"),
        ('\\"', '"'),
        ("\\\\", "\\"),
        ("\\$HOME", "$HOME"),
        ("\\|", "|"),
        ("\\;", ";"),
        ("\\*", "*"),
        ("\\~", "~"),
        ("\\#", "#"),
        ("\\a", "a"),
        ("\\{a,b\\}", "{a,b}"),
    ],
)
def test_backslash_outside_quotes_escapes_the_next_character(escaped: str, value: str) -> None:
    assert texts(f"echo {escaped}") == ["echo", value]


def test_line_continuation_vanishes() -> None:
    assert texts("echo a\\\nb") == ["echo", "ab"]
    assert texts("echo a \\\n b") == ["echo", "a", "b"]


# -- words from several pieces ------------------------------------------------------------------


def test_quoted_and_unquoted_text_glue_into_one_word() -> None:
    assert texts("echo a'b c'\"d e\"f") == ["echo", "ab cd ef"]
    assert split_words(["echo a'b'"])[1] == (lit("a"), lit("b", quoted=True))


def test_adjacent_pieces_continue_the_word() -> None:
    assert texts("ec", "ho a", "b c") == ["echo", "ab", "c"]


def test_a_quote_stays_open_across_pieces() -> None:
    assert texts("echo 'a ", "b'") == ["echo", "a b"]


def test_backslash_at_the_end_of_a_piece_escapes_the_next_piece() -> None:
    assert texts("echo a\\", " b") == ["echo", "a b"]


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("echo ''", ["echo", ""]),
        ('echo ""', ["echo", ""]),
        ("echo '' ''", ["echo", "", ""]),
        ("echo ''''", ["echo", ""]),
        ("echo a''", ["echo", "a"]),
        ("echo '' a", ["echo", "", "a"]),
    ],
)
def test_empty_quotes_make_an_empty_word(command: str, words: list[str]) -> None:
    assert texts(command) == words


def test_blanks_separate_words_and_vanish() -> None:
    assert texts("  echo \t a  \t b  ") == ["echo", "a", "b"]


@pytest.mark.parametrize("text", ["a#b", "a~b", "a=b", "--x=1", "hi!", "a]", "50%", "@x:y,z+"])
def test_ordinary_characters_stay(text: str) -> None:
    assert texts(f"echo {text}") == ["echo", text]


def test_keywords_and_assignments_are_plain_words_after_the_program() -> None:
    assert texts("echo if then FOO=1 !") == ["echo", "if", "then", "FOO=1", "!"]


def test_a_quoted_keyword_is_a_program_name() -> None:
    assert texts("'if' x") == ["if", "x"]


# -- placeholders -----------------------------------------------------------------------------


def test_placeholder_alone_is_an_unquoted_word() -> None:
    assert split_words(["ls -l ", X]) == [(lit("ls"),), (lit("-l"),), (val(X),)]


def test_placeholder_in_double_quotes_is_quoted() -> None:
    words = split_words(['grep "', X, '" file'])
    assert words == [(lit("grep"),), (val(X, quoted=True),), (lit("file"),)]


def test_placeholder_in_single_quotes_is_quoted() -> None:
    assert split_words(["echo '", X, "'"])[1] == (val(X, quoted=True),)


def test_placeholder_inside_quoted_text_keeps_the_text_around_it() -> None:
    word = split_words(['echo "a ', X, ' b"'])[1]
    assert word == (lit("a ", quoted=True), val(X, quoted=True), lit(" b", quoted=True))


def test_placeholder_glued_to_text_is_one_word() -> None:
    words = split_words(["cp --target=", X, "/dir ", Y])
    assert words == [
        (lit("cp"),),
        (lit("--target="), val(X), lit("/dir")),
        (val(Y),),
    ]


def test_adjacent_placeholders_are_one_word() -> None:
    assert split_words(["echo ", X, Y]) == [(lit("echo"),), (val(X), val(Y))]


def test_placeholder_as_program() -> None:
    assert split_words([X, " --version"]) == [(val(X),), (lit("--version"),)]


def test_literal_text_is_none_for_a_word_with_a_value() -> None:
    word: Word = (lit("--x="), val(X))
    assert literal_text(word) is None
    assert literal_text((lit("a"), lit("b", quoted=True))) == "ab"


# -- operators, redirections and expansions ---------------------------------------------------


def test_a_pipeline_and_lists_become_steps() -> None:
    script = parse(["a | b && c || d; e\nf"])
    shape = [(step.connector, [literal_text(c.words[0]) for c in step.pipeline]) for step in script]
    assert shape == [("", ["a", "b"]), ("&&", ["c"]), ("||", ["d"]), (";", ["e"]), (";", ["f"])]


@pytest.mark.parametrize(
    ("command", "redirects"),
    [
        ("ls > out", [(1, ">", "out")]),
        ("ls >| out", [(1, ">", "out")]),
        ("ls >> out", [(1, ">>", "out")]),
        ("sort < in", [(0, "<", "in")]),
        ("ls 2>/dev/null", [(2, ">", "/dev/null")]),
        ("ls >/dev/null 2>&1", [(1, ">", "/dev/null"), (2, ">&", "1")]),
        ("ls 2>&1 >f", [(2, ">&", "1"), (1, ">", "f")]),
        ("ls >&2", [(1, ">&", "2")]),
        (">f ls", [(1, ">", "f")]),
    ],
)
def test_redirections_belong_to_their_command_in_order(
    command: str, redirects: list[tuple[int, str, str]]
) -> None:
    (step,) = parse([command])
    found = step.pipeline[0].redirects
    assert [(r.fd, r.operator, literal_text(r.target)) for r in found] == redirects


def test_digits_glued_to_a_word_are_no_descriptor() -> None:
    (step,) = parse(["echo a2>f '2'>g"])
    assert step.pipeline[0] == Command(
        ((lit("echo"),), (lit("a2"),), (lit("2", quoted=True),)),
        (Redirect(1, ">", (lit("f"),)), Redirect(1, ">", (lit("g"),))),
    )


def test_variables_are_parts_quoted_or_not() -> None:
    assert lex(['echo $HOME "${USER}" ${X:-a} ${Y-', X, "}"]) == [
        (lit("echo"),),
        (Part(Variable("HOME"), False),),
        (Part(Variable("USER"), True),),
        (Part(Variable("X", (lit("a"),), if_empty=True), False),),
        (Part(Variable("Y", (val(X),)), False),),
    ]


def test_a_lone_dollar_is_text() -> None:
    assert texts("echo $ a$ '$'") == ["echo", "$", "a$", "$"]


def test_tilde_at_the_start_of_a_word() -> None:
    assert lex(["ls ~ ~/x ~bob/y a~ ~'x'"]) == [
        (lit("ls"),),
        (Part(Tilde(), False),),
        (Part(Tilde(), False), lit("/x")),
        (Part(Tilde("bob"), False), lit("/y")),
        (lit("a~"),),
        (lit("~"), lit("x", quoted=True)),
    ]


def test_command_substitutions_hold_their_tokens() -> None:
    inner = ((lit("date"),), (lit("+%F"),))
    assert lex(['echo $(date +%F) "`date +%F`"']) == [
        (lit("echo"),),
        (Part(Substitution(inner), False),),
        (Part(Substitution(inner), True),),
    ]
    nested = lex(["echo $(ls $(pwd) | wc -l)"])[1][0].piece
    assert isinstance(nested, Substitution) and Operator("|") in nested.tokens


def test_glob_characters_stay_unquoted_text() -> None:
    assert lex(["ls *.py '*'"])[1:] == [(lit("*.py"),), (lit("*", quoted=True),)]


@pytest.mark.parametrize(
    ("command", "feature"),
    [
        ("cat <<EOF", "heredoc"),
        ("sleep 1 &", "background job"),
        ("ls &> out", "`&>`"),
        ("(ls)", "subshell"),
        ("echo $((1+1))", "arithmetic expansion"),
        ("echo $?", "special parameter"),
        ("echo $1", "special parameter"),
        ("echo $PWD", "shell variable"),
        ("echo ${#HOME}", "parameter expansion"),
        ("echo ${HOME%/}", "parameter expansion"),
        ("echo ${X:=a}", "parameter expansion"),
        ("echo ${X:-$Y}", "parameter expansion"),
        ("echo $(ls", "unterminated command substitution"),
        ("echo $()", "empty command substitution"),
        ("ls 3> f", "redirection"),
        ("ls 2>&-", "redirection"),
        ("> f", "redirection without a command"),
        ("ls |", "syntax error"),
        ("&& ls", "syntax error"),
        ("ls &&", "syntax error"),
        ("ls | | wc", "syntax error"),
        ("echo {a,b}", "brace group or expansion"),
        ("echo {}x", "brace group or expansion"),
        ("echo x{}", "brace group or expansion"),
        ("{ ls; }", "brace group or expansion"),
        ("if true", "shell keyword"),
        ("! false", "shell keyword"),
        ("while true", "shell keyword"),
        ("ls; done", "shell keyword"),
        ("FOO=1 make", "variable assignment"),
        ("ls # list", "comment"),
        ("#ls", "comment"),
        ("echo 'abc", "unterminated quote"),
        ('echo "abc', "unterminated quote"),
        ("echo a\\", "trailing backslash"),
        ("", "empty command"),
        ("   ", "empty command"),
    ],
)
def test_needs_shell(command: str, feature: str) -> None:
    with pytest.raises(NeedsShell) as raised:
        parse([command])
    assert raised.value.feature == feature


@pytest.mark.parametrize(
    ("pieces", "feature"),
    [
        (["echo \\", X], "backslash before a value"),
        (["echo $", X], "`$` before a value"),
        (["ls ~", X], "tilde expansion"),
    ],
)
def test_a_value_sh_would_read_as_syntax_needs_shell(
    pieces: list[str | Placeholder], feature: str
) -> None:
    with pytest.raises(NeedsShell) as raised:
        parse(pieces)
    assert raised.value.feature == feature


def test_empty_lines_and_a_trailing_separator_are_nothing() -> None:
    only_ls = (Step("", (Command(((lit("ls"),),)),)),)
    assert parse(["\nls\n\n"]) == parse(["ls;"]) == only_ls


def test_needs_shell_message_names_feature_and_detail() -> None:
    with pytest.raises(NeedsShell) as raised:
        parse(["cat <<EOF"])
    assert str(raised.value) == "heredoc: `<<`"
    assert raised.value.detail == "`<<`"


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("find . -name x -exec rm {} +", ["find", ".", "-name", "x", "-exec", "rm", "{}", "+"]),
        ("echo {}", ["echo", "{}"]),
        ("echo '{a,b}'", ["echo", "{a,b}"]),
    ],
)
def test_a_bare_brace_pair_is_a_plain_word(command: str, words: list[str]) -> None:
    assert [literal_text(word) for word in split_words([command])] == words
