"""sh's word splitting, case by case: quoting, escapes, glued pieces, and every refused feature.

The expected words are what dash (/bin/sh) makes of each command; test_sh_property.py checks
the same against a real sh on random commands.
"""

from __future__ import annotations

import pytest

from harden.shell.words import NeedsShell, Part, Placeholder, Word, literal_text, split_words

X = Placeholder(value="x", name="x")
Y = Placeholder(value="y", name="y")


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


# -- features only a shell provides ------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "feature"),
    [
        ("ls | wc -l", "pipe"),
        ("ls|wc", "pipe"),
        ("ls > out", "redirection"),
        ("ls >> out", "redirection"),
        ("ls 2>&1", "redirection"),
        ("sort < in", "redirection"),
        ("cat <<EOF", "heredoc"),
        ("make && make install", "&& list"),
        ("make || true", "|| list"),
        ("sleep 1 &", "background or && list"),
        ("cd /; ls", "command list (;)"),
        ("ls\nrm x", "command list (newline)"),
        ("(ls)", "subshell"),
        ("echo $HOME", "variable or substitution"),
        ("echo ${HOME}", "variable or substitution"),
        ("echo $(id)", "variable or substitution"),
        ("echo $((1+1))", "variable or substitution"),
        ('echo "$HOME"', "variable or substitution"),
        ("echo `id`", "command substitution"),
        ('echo "`id`"', "command substitution"),
        ("ls *.py", "glob"),
        ("ls file?", "glob"),
        ("ls [ab]", "glob"),
        ("echo {a,b}", "brace group or expansion"),
        ("echo {}x", "brace group or expansion"),
        ("echo x{}", "brace group or expansion"),
        ("{ ls; }", "brace group or expansion"),
        ("ls ~", "tilde expansion"),
        ("ls ~/src", "tilde expansion"),
        ("if true", "shell keyword"),
        ("! false", "shell keyword"),
        ("while true", "shell keyword"),
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
        split_words([command])
    assert raised.value.feature == feature


def test_backslash_before_a_value_needs_shell() -> None:
    # What the backslash escapes comes from the value at run time.
    with pytest.raises(NeedsShell) as raised:
        split_words(["echo \\", X])
    assert raised.value.feature == "backslash before a value"


def test_needs_shell_message_names_feature_and_detail() -> None:
    with pytest.raises(NeedsShell) as raised:
        split_words(["ls | wc"])
    assert str(raised.value) == "pipe: `|`"
    assert raised.value.detail == "`|`"


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
