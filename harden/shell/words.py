"""Split a POSIX sh command line whose pieces are Python values into words, as sh would.

A command is a sequence of pieces: literal text and placeholders (values Python splices into
the string at run time). The words follow sh's quoting rules — single quotes, double quotes,
backslashes, adjacent pieces forming one word — and every word remembers, per piece, whether it
stood inside quotes, so the emitter can tell a placeholder sh would split from one it would not.

This module only reads. It never guesses: any construct that needs a shell to mean what it
means (pipes, redirections, lists, expansions, globs, keywords, assignments) raises NeedsShell
naming the feature, and the caller reports the command as not rewritten.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class Splitting(enum.Enum):
    """What sh makes of a placeholder that stands alone, unquoted, as a whole word."""

    ONE = "one"  # one argument: a path, a name, a number (sh would split it only if it held blanks)
    WORDS = "words"  # several arguments in one string (`extra_args`): split like sh does
    LIST = "list"  # `" ".join(items)`: each item one argument
    COMMAND = "command"  # a whole command line: may hold shell syntax, so never rewritten


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A value spliced into the command text at run time.

    `value` is opaque here (the codemod stores a libcst expression, tests a plain object).
    `conversion` and `format_spec` are what the source applied to it (`{x!r:>5}`).
    """

    value: Any
    name: str = ""
    is_str: bool = False
    conversion: str = ""
    format_spec: str = ""
    splitting: Splitting = Splitting.ONE
    items: Any = None  # for Splitting.LIST: the sequence whose items become arguments


Piece = str | Placeholder


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a word: literal text or a placeholder, and whether it stood inside quotes."""

    piece: str | Placeholder
    quoted: bool


Word = tuple[Part, ...]


class NeedsShell(Exception):
    """The command uses something only a shell provides; `feature` names it for the report."""

    def __init__(self, feature: str, detail: str = "") -> None:
        super().__init__(f"{feature}: {detail}" if detail else feature)
        self.feature = feature
        self.detail = detail


_BLANKS = " \t"
# Characters that begin an operator in sh when unquoted.
_OPERATORS = {
    "|": "pipe",
    "&": "background or && list",
    ";": "command list (;)",
    "<": "redirection",
    ">": "redirection",
    "(": "subshell",
    ")": "subshell",
}
_GLOB = "*?["
_DOUBLE_QUOTE_ESCAPABLE = '$`"\\\n'
_KEYWORDS = frozenset(
    {"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in"}
    | {"then", "until", "while", "function", "select", "[[", "]]"}
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_EXPANSION = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]|\(\(?|\{)?")


def split_words(pieces: Sequence[Piece]) -> list[Word]:
    """Return the words sh would form from `pieces`, or raise NeedsShell."""
    return _Lexer(pieces).run()


class _Lexer:
    def __init__(self, pieces: Sequence[Piece]) -> None:
        self.pieces = _merge_text(pieces)
        self.words: list[Word] = []
        self.parts: list[Part] = []
        self.started = False  # a word has begun, even if empty so far ('' is a word)
        self.quote = ""  # "", "'" or '"'

    def run(self) -> list[Word]:
        for index, piece in enumerate(self.pieces):
            if isinstance(piece, Placeholder):
                self._placeholder(piece)
            else:
                followed_by_value = index + 1 < len(self.pieces) and isinstance(
                    self.pieces[index + 1], Placeholder
                )
                self._text(piece, followed_by_value)
        if self.quote:
            raise NeedsShell("unterminated quote", f"a {self.quote} quote is never closed")
        self._end_word()
        if not self.words:
            raise NeedsShell("empty command")
        return self.words

    def _placeholder(self, value: Placeholder) -> None:
        self.parts.append(Part(value, quoted=bool(self.quote)))
        self.started = True

    def _literal(self, char: str) -> None:
        quoted = bool(self.quote)
        if self.parts and self.parts[-1].quoted == quoted and isinstance(self.parts[-1].piece, str):
            self.parts[-1] = Part(self.parts[-1].piece + char, quoted)
        else:
            self.parts.append(Part(char, quoted))
        self.started = True

    def _end_word(self) -> None:
        if not self.started:
            return
        word = tuple(self.parts) or (Part("", quoted=True),)  # '' or "": one empty word
        if not self.words:
            _check_command_word(word)
        self.words.append(word)
        self.parts = []
        self.started = False

    def _text(self, text: str, followed_by_value: bool) -> None:
        i = 0
        while i < len(text):
            char = text[i]
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if self.quote == "'":
                if char == "'":
                    self.quote = ""
                else:
                    self._literal(char)
            elif self.quote == '"':
                if char == '"':
                    self.quote = ""
                elif char == "\\":
                    i = self._backslash(text, i, followed_by_value, in_double_quotes=True)
                elif char == "$":
                    raise NeedsShell("variable or substitution", _expansion(text, i))
                elif char == "`":
                    raise NeedsShell("command substitution", "backticks")
                else:
                    self._literal(char)
            elif char in _BLANKS:
                self._end_word()
            elif char == "\n":
                raise NeedsShell("command list (newline)", "a newline separates commands")
            elif char in "'\"":
                self.quote = char
                self.started = True
            elif char == "\\":
                i = self._backslash(text, i, followed_by_value, in_double_quotes=False)
            elif char in _OPERATORS:
                raise NeedsShell(_operator_name(char, nxt), f"`{char}{nxt}`".replace(" ", ""))
            elif char == "$":
                raise NeedsShell("variable or substitution", _expansion(text, i))
            elif char == "`":
                raise NeedsShell("command substitution", "backticks")
            elif char in _GLOB:
                raise NeedsShell("glob", f"`{char}` expands to file names")
            elif char == "{" and not self.started and _bare_braces(text, i, followed_by_value):
                # `{}` as a whole word (find -exec ... {} +) is plain text to sh: braces
                # expand only around a comma or `..`, and group only as separate words.
                self._literal("{}")
                i += 1
            elif char in "{}":
                raise NeedsShell("brace group or expansion", f"`{char}`")
            elif not self.started and char == "~":
                raise NeedsShell("tilde expansion", "`~` names a home directory")
            elif not self.started and char == "#":
                raise NeedsShell("comment", "`#` starts a comment")
            else:
                self._literal(char)
            i += 1

    def _backslash(
        self, text: str, i: int, followed_by_value: bool, *, in_double_quotes: bool
    ) -> int:
        """Handle the backslash at text[i]; return the index of the last character consumed."""
        if i + 1 == len(text):
            # The escaped character would come from a run-time value (or there is none).
            raise NeedsShell(
                "backslash before a value" if followed_by_value else "trailing backslash",
                "a backslash escapes what follows it",
            )
        nxt = text[i + 1]
        if nxt == "\n":
            return i + 1  # line continuation: both characters vanish
        if in_double_quotes and nxt not in _DOUBLE_QUOTE_ESCAPABLE:
            self._literal("\\")
            return i
        self._literal(nxt)
        return i + 1


def _merge_text(pieces: Sequence[Piece]) -> list[Piece]:
    """Adjacent literal pieces as one text: a backslash ending one escapes the next one's start."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _expansion(text: str, i: int) -> str:
    """How the expansion at text[i] (a `$`) starts, for the report: `$HOME`, `$(`, `${`."""
    match = _EXPANSION.match(text, i)
    return f"`{match[0] if match else '$'}`"


def _bare_braces(text: str, i: int, followed_by_value: bool) -> bool:
    """Whether text[i:] starts with the word `{}` standing alone."""
    if text[i + 1 : i + 2] != "}":
        return False
    after = text[i + 2 : i + 3]
    return after in _BLANKS + "\n" if after else not followed_by_value


def _operator_name(char: str, nxt: str) -> str:
    if char + nxt == "&&":
        return "&& list"
    if char + nxt == "||":
        return "|| list"
    if char in "<>" and nxt == "<":
        return "heredoc" if char == "<" else "redirection"
    return _OPERATORS[char]


def _check_command_word(word: Word) -> None:
    """sh gives special meaning to some unquoted first words: keywords and assignments."""
    first = word[0]
    if first.quoted or not isinstance(first.piece, str):
        return
    if len(word) == 1 and first.piece in _KEYWORDS:
        raise NeedsShell("shell keyword", f"`{first.piece}`")
    if _ASSIGNMENT.match(first.piece):
        raise NeedsShell("variable assignment", f"`{first.piece}`")


def literal_text(word: Word) -> str | None:
    """The word's text if it holds no placeholder, else None."""
    if all(isinstance(part.piece, str) for part in word):
        return "".join(part.piece for part in word)  # type: ignore[misc]
    return None
