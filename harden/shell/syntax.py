"""The grammar of the sh command lines harden converts: lists of pipelines of simple commands.

A script is a sequence of steps, each a pipeline (`a | b | c`) joined to the one before by `;`,
`&&` or `||`; each command of a pipeline has its words and its redirections (`2>&1`, `> f`,
`>> f`, `< f`), in the order sh applies them. sh runs the steps left to right and `&&`/`||`
look at the status of the last step run, so the flat sequence is exactly sh's and-or list.

It never guesses: anything else sh would do with the tokens (keywords, assignments, a
redirection without a command, descriptors above 2, a syntax error) raises NeedsShell, so the
command is reported instead of converted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from harden.shell.words import (
    NeedsShell,
    Operator,
    Part,
    Piece,
    Substitution,
    Token,
    Variable,
    Word,
    lex,
    literal_text,
)


@dataclass(frozen=True, slots=True)
class Redirect:
    """`fd` redirected: to a file (`>`, `>>`, `<`: `target` is its name) or to a copy of
    another descriptor (`>&`, `<&`: `target` is its number)."""

    fd: int
    operator: str
    target: Word


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """A pipeline, and how it follows the step before: "" (first), ";", "&&" or "||"."""

    connector: str
    pipeline: tuple[Command, ...]


Script = tuple[Step, ...]

_KEYWORDS = frozenset(
    {"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in"}
    | {"then", "until", "while", "function", "select", "[[", "]]"}
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECTION = re.compile(r"(\d+)(>>|>&|<&|>|<)")


def parse(pieces: Sequence[Piece]) -> Script:
    """The script sh reads in `pieces`, or NeedsShell."""
    return parse_tokens(lex(pieces))


def parse_tokens(tokens: Sequence[Token]) -> Script:
    parser = _Parser(tokens)
    script = parser.script()
    for word in parser.words_read:
        for part in _parts(word):
            if isinstance(part.piece, Substitution):
                if not any(token != Operator("\n") for token in part.piece.tokens):
                    raise NeedsShell("empty command substitution")
                parse_tokens(part.piece.tokens)
    if not script:
        raise NeedsShell("empty command")
    return script


def words_of(script: Script) -> Iterator[Word]:
    """Every word of the script's commands and redirection targets, in order."""
    for step in script:
        for command in step.pipeline:
            yield from command.words
            yield from (redirect.target for redirect in command.redirects)


def _parts(word: Word) -> Iterator[Part]:
    for part in word:
        yield part
        if isinstance(part.piece, Variable) and part.piece.default is not None:
            yield from part.piece.default


class _Parser:
    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.words_read: list[Word] = []

    def script(self) -> Script:
        steps: list[Step] = []
        pipeline: list[Command] = []
        words: list[Word] = []
        redirects: list[Redirect] = []
        connector = ""
        index = 0
        while index < len(self.tokens):
            token = self.tokens[index]
            index += 1
            if not isinstance(token, Operator):
                words.append(token)
                self.words_read.append(token)
                continue
            match = _REDIRECTION.fullmatch(token.text)
            if match:
                target = self.tokens[index] if index < len(self.tokens) else None
                if not isinstance(target, tuple):
                    raise NeedsShell("syntax error", f"`{token.text}` without a target")
                index += 1
                self.words_read.append(target)
                redirects.append(_redirect(int(match[1]), match[2], target))
                continue
            if not words and not redirects:
                if token.text == "\n":
                    continue  # an empty line, or a line break after `|`, `&&` or `||`
                raise NeedsShell("syntax error", f"`{token.text}` after nothing")
            pipeline.append(_command(words, redirects))
            words, redirects = [], []
            if token.text == "|":
                continue
            steps.append(Step(connector, tuple(pipeline)))
            pipeline = []
            connector = ";" if token.text == "\n" else token.text
        if words or redirects:
            pipeline.append(_command(words, redirects))
            steps.append(Step(connector, tuple(pipeline)))
        elif pipeline or connector in ("&&", "||"):
            raise NeedsShell("syntax error", "the command ends with an operator")
        return tuple(steps)


def _redirect(fd: int, operator: str, target: Word) -> Redirect:
    if fd > 2:
        raise NeedsShell("redirection", f"descriptor {fd}")
    if operator in (">&", "<&"):
        number = literal_text(target)
        if number not in ("0", "1", "2"):
            raise NeedsShell("redirection", f"`{fd}{operator}{number or '...'}`")
    return Redirect(fd, operator, target)


def _command(words: list[Word], redirects: list[Redirect]) -> Command:
    if not words:
        if redirects:
            raise NeedsShell("redirection without a command")
        raise NeedsShell("syntax error", "an empty command")
    first = words[0][0]
    if not first.quoted and isinstance(first.piece, str):
        if len(words[0]) == 1 and first.piece in _KEYWORDS:
            raise NeedsShell("shell keyword", f"`{first.piece}`")
        if _ASSIGNMENT.match(first.piece):
            raise NeedsShell("variable assignment", f"`{first.piece}`")
    return Command(tuple(words), tuple(redirects))
