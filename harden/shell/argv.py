"""Emit the shell-free Python (libcst) for a command's words: one argv element per word.

How a placeholder becomes argv elements (the decision the spine issue asks to document):

- inside quotes, or glued to other text in its word: one argument, exactly as sh makes it;
- standing alone unquoted, sh splits the value on blanks. We keep that splitting only where the
  value is meant to carry several arguments: a name like `args`, `flags`, `extra_args`, `options`
  (Splitting.WORDS → `*shlex.split(value)`, which also honours quotes inside the value as sh
  did), or `" ".join(items)` (Splitting.LIST → `*items`). Every other value (a path, a name, a
  number) is passed as ONE argument: identical for values without blanks, and a path with a
  space now reaches the program whole instead of being torn in two;
- a value named like a whole command (`cmd`, `command`) may hold shell syntax itself: never
  rewritten (NeedsShell).

A non-str value becomes `str(value)`, as an argv element must be a str. This module never
decides whether a command needs a shell; words.py does, and a program sh runs as a builtin
(cd, export, ...) is refused here because no program of that name exists to run without sh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from harden.shell.words import NeedsShell, Placeholder, Splitting, Word, literal_text

# Builtins with no program of the same name, or whose effect is on the shell itself.
_SHELL_ONLY = frozenset(
    {"cd", "export", "set", "unset", "exit", "source", ".", "eval", "exec", "alias", "unalias"}
    | {"read", "ulimit", "umask", "shift", "trap", "wait", "return", "break", "continue"}
    | {"readonly", "local", ":", "type", "command", "hash", "getopts", "jobs", "fg", "bg"}
    | {"times", "let", "declare", "typeset", "builtin", "enable", "history"}
)


@dataclass(frozen=True, slots=True)
class ArgvItem:
    """One argv element, or a starred sequence of them (`*shlex.split(x)`)."""

    value: cst.BaseExpression
    starred: bool = False


@dataclass(frozen=True, slots=True)
class Argv:
    items: tuple[ArgvItem, ...]
    uses_shlex: bool

    def as_list(self) -> cst.List:
        return cst.List(
            [
                cst.StarredElement(item.value) if item.starred else cst.Element(item.value)
                for item in self.items
            ]
        )

    def as_args(self) -> list[cst.Arg]:
        return [cst.Arg(item.value, star="*" if item.starred else "") for item in self.items]


def build_argv(words: Sequence[Word]) -> Argv:
    """The argv for `words`, or NeedsShell when the program or a value needs sh."""
    _check_program(words)
    items = tuple(_word_item(word) for word in words)
    uses_shlex = any(
        len(word) == 1
        and not word[0].quoted
        and isinstance(word[0].piece, Placeholder)
        and word[0].piece.splitting is Splitting.WORDS
        for word in words
    )
    return Argv(items, uses_shlex)


def _check_program(words: Sequence[Word]) -> None:
    program = literal_text(words[0])
    if program is None:
        first = words[0]
        if len(first) == 1 and not first[0].quoted:
            value = first[0].piece
            assert isinstance(value, Placeholder)
            if value.splitting is not Splitting.ONE:
                raise NeedsShell(
                    "program from a value", f"`{value.name or 'value'}` may hold a whole command"
                )
        return
    if program in _SHELL_ONLY:
        raise NeedsShell("shell builtin", f"`{program}` exists only inside a shell")
    if program == "echo":
        _check_echo(words[1:])


def _check_echo(arguments: Sequence[Word]) -> None:
    # sh's builtin echo expands backslash escapes and knows no options but -n; /bin/echo
    # (GNU) does neither, so the two agree only without backslashes and without -e/-E.
    for word in arguments:
        for part in word:
            if isinstance(part.piece, str) and "\\" in part.piece:
                raise NeedsShell(
                    "echo with escapes", "sh's echo expands backslashes, /bin/echo not"
                )
    # sh's echo takes one leading -n; /bin/echo takes every leading -n/-e/-E (`echo -n -e x`).
    leading = [literal_text(word) for word in arguments[:2]]
    if leading[:1] == ["-n"]:
        leading = leading[1:]
    first = leading[0] if leading else None
    if first is not None and first.startswith("-"):
        raise NeedsShell("echo with options", f"`echo {first}` differs from /bin/echo")


def _word_item(word: Word) -> ArgvItem:
    if len(word) == 1 and isinstance(word[0].piece, Placeholder):
        value = word[0].piece
        if not word[0].quoted:
            if value.splitting is Splitting.COMMAND:
                raise NeedsShell(
                    "command from a value", f"`{value.name}` may hold shell syntax of its own"
                )
            if value.splitting is Splitting.WORDS:
                split = cst.Call(
                    cst.Attribute(cst.Name("shlex"), cst.Name("split")), [cst.Arg(text_of(value))]
                )
                return ArgvItem(split, starred=True)
            if value.splitting is Splitting.LIST:
                return ArgvItem(value.items, starred=True)
        return ArgvItem(text_of(value))
    text = literal_text(word)
    if text is not None:
        return ArgvItem(string_literal(text))
    return ArgvItem(_joined(word))


def text_of(value: Placeholder) -> cst.BaseExpression:
    """The expression giving the text the source spliced in (str, repr, format spec applied)."""
    expr: cst.BaseExpression = value.value
    if value.conversion:
        func = {"r": "repr", "s": "str", "a": "ascii"}[value.conversion]
        expr = cst.Call(cst.Name(func), [cst.Arg(expr)])
    if value.format_spec:
        return cst.Call(
            cst.Name("format"), [cst.Arg(expr), cst.Arg(string_literal(value.format_spec))]
        )
    if value.is_str or value.conversion:
        return expr
    return cst.Call(cst.Name("str"), [cst.Arg(expr)])


def string_literal(text: str) -> cst.SimpleString:
    """A Python string literal for `text`, in double quotes where that needs no escaping."""
    body = repr(text)
    if body.startswith("'") and '"' not in text and "'" not in text:
        body = '"' + body[1:-1] + '"'
    return cst.SimpleString(body)


def _joined(word: Word) -> cst.BaseExpression:
    """Literal text and values glued into one word: an f-string where the syntax allows it."""
    values = [part.piece.value for part in word if isinstance(part.piece, Placeholder)]
    for quote in ('"', "'"):
        if all(_fits_fstring(value, quote) for value in values):
            return _fstring(word, quote)
    # Some expressions cannot sit in an f-string before Python 3.12: concatenate the pieces.
    expr: cst.BaseExpression | None = None
    for part in word:
        piece = part.piece
        item = text_of(piece) if isinstance(piece, Placeholder) else string_literal(piece)
        expr = item if expr is None else cst.BinaryOperation(expr, cst.Add(), item)
    assert expr is not None
    return expr


def _fits_fstring(value: cst.BaseExpression, quote: str) -> bool:
    """Whether `value` can stand between the braces of an f-string quoted with `quote`.

    Before Python 3.12 its code may hold neither that quote, a backslash, a newline nor a
    comment; code starting with `{` (a dict) would read as an escaped brace, and a lambda's
    colon as the start of a format spec.
    """
    code = cst.Module([]).code_for_node(value)
    return not (
        any(bad in code for bad in (quote, "\\", "\n", "#"))
        or code.startswith("{")
        or isinstance(value, cst.Lambda)
    )


def _fstring(word: Word, quote: str) -> cst.FormattedString:
    parts: list[cst.BaseFormattedStringContent] = []
    for part in word:
        piece = part.piece
        if isinstance(piece, Placeholder):
            spec = (
                [cst.FormattedStringText(_escape(piece.format_spec, quote))]
                if piece.format_spec
                else None
            )
            parts.append(
                cst.FormattedStringExpression(
                    piece.value, conversion=piece.conversion or None, format_spec=spec
                )
            )
        else:
            parts.append(cst.FormattedStringText(_escape(piece, quote)))
    return cst.FormattedString(parts, start=f"f{quote}", end=quote)


def _escape(text: str, quote: str) -> str:
    """Text as it must be written between f-string quotes: escapes, then doubled braces."""
    body = repr(text)[1:-1]
    if repr(text)[0] != quote:
        # repr escaped for the other quote kind: undo that, escape ours.
        other = "'" if quote == '"' else '"'
        body = body.replace("\\" + other, other).replace(quote, "\\" + quote)
    return body.replace("{", "{{").replace("}", "}}")
