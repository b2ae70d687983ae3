"""Read a POSIX sh command line whose pieces are Python values into tokens, as sh would.

A command is a sequence of pieces: literal text and placeholders (values Python splices into
the string at run time). Reading follows sh's quoting rules — single quotes, double quotes,
backslashes, adjacent pieces forming one word — and yields words and operators (`|`, `&&`,
`||`, `;`, redirections such as `2>` or `>>`). Every part of a word remembers whether it stood
inside quotes, so the emitter can tell what sh would split or match against file names; the
expansions sh performs (`$VAR`, `${VAR:-default}`, `~`, `$(...)` and backticks) are parts of
their own.

This module only reads; syntax.py gives the tokens their grammar. It never guesses: a construct
harden does not convert (heredocs, subshells, background jobs, arithmetic, special parameters,
a backslash or `$` right before a run-time value) raises NeedsShell naming the feature, and the
caller reports the command as not rewritten.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class Splitting(enum.Enum):
    """What becomes of a placeholder that stands alone, unquoted, as a whole word, which sh
    split at blanks (harden/shell/arity.py decides which applies)."""

    UNKNOWN = "unknown"  # arity not proven: split as sh did at run time, logged, switchable
    ONE = "one"  # provably one word (a number, a plain literal): one argument
    FIELDS = "fields"  # provably several words: split at blanks exactly as sh did
    WORDS = "words"  # several arguments in one string (`extra_args`): shlex.split
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
    splitting: Splitting = Splitting.UNKNOWN
    items: Any = None  # for Splitting.LIST: the sequence whose items become arguments
    evidence: str = ""  # why the splitting is proven, for the review note


@dataclass(frozen=True, slots=True)
class Variable:
    """`$NAME`, `${NAME}`, `${NAME:-default}` (`if_empty`) or `${NAME-default}`."""

    name: str
    default: Word | None = None
    if_empty: bool = False


@dataclass(frozen=True, slots=True)
class Tilde:
    """`~` or `~user` at the start of a word: a home directory."""

    user: str = ""


@dataclass(frozen=True, slots=True)
class Substitution:
    """`$(...)` or backticks: the inner command's tokens."""

    tokens: tuple[Token, ...]


Expansion = Variable | Tilde | Substitution
Piece = str | Placeholder


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a word: literal text, a placeholder or an expansion, and whether it stood
    inside quotes."""

    piece: str | Placeholder | Expansion
    quoted: bool


Word = tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Operator:
    """`|`, `&&`, `||`, `;`, a newline, or a redirection: the descriptor and the operator
    (`2>`, `1>>`, `0<`, `2>&`, ...); a redirection's target is the next token."""

    text: str


Token = Word | Operator


class NeedsShell(Exception):
    """The command uses something only a shell provides; `feature` names it for the report."""

    def __init__(self, feature: str, detail: str = "") -> None:
        super().__init__(f"{feature}: {detail}" if detail else feature)
        self.feature = feature
        self.detail = detail


_BLANKS = " \t"
_OPERATOR_CHARS = "|&;<>()"
_DOUBLE_QUOTE_ESCAPABLE = '$`"\\\n'
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_USER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
# Variables sh sets itself (their value is not the environment's), and special parameters.
_SHELL_VARIABLES = frozenset(
    {"IFS", "PS1", "PS2", "PS4", "OPTIND", "OPTARG", "LINENO", "PWD", "OLDPWD", "PPID"}
)
_SPECIAL_PARAMETERS = "0123456789@*#?$!-"

Item = str | Placeholder  # one character of text, or a value


def lex(pieces: Sequence[Piece]) -> list[Token]:
    """The words and operators sh reads in `pieces`, or NeedsShell."""
    items: list[Item] = []
    for piece in pieces:
        items.extend(piece if isinstance(piece, str) else [piece])
    return _Lexer(items, 0).run()


class _Lexer:
    """Reads items from `pos`; inside `$(...)` (`closing`) it stops after the matching `)`."""

    def __init__(self, items: list[Item], pos: int, *, closing: bool = False) -> None:
        self.items = items
        self.pos = pos
        self.closing = closing
        self.tokens: list[Token] = []
        self.parts: list[Part] = []
        self.started = False  # a word has begun, even if empty so far ('' is a word)

    def run(self) -> list[Token]:
        while self.pos < len(self.items):
            item = self.items[self.pos]
            self.pos += 1
            if isinstance(item, Placeholder):
                self._part(item, quoted=False)
            elif item == ")" and self.closing:
                self._end_word()
                return self.tokens
            else:
                self._char(item)
        if self.closing:
            raise NeedsShell("unterminated command substitution", "a `$(` is never closed")
        self._end_word()
        return self.tokens

    def _char(self, char: str) -> None:
        if char in _BLANKS:
            self._end_word()
        elif char == "\n":
            self._end_word()
            self.tokens.append(Operator("\n"))
        elif char == "'":
            self._single_quoted()
        elif char == '"':
            self._double_quoted()
        elif char == "\\":
            escaped = self._escaped()
            if escaped is not None:
                self._literal(escaped, quoted=True)
        elif char == "$":
            self._dollar(quoted=False)
        elif char == "`":
            self._backticks(quoted=False)
        elif char in _OPERATOR_CHARS:
            self._operator(char)
        elif char == "~" and not self.started:
            self._tilde()
        elif char == "#" and not self.started:
            raise NeedsShell("comment", "`#` starts a comment")
        elif char == "{" and not self.started and self._bare_braces():
            # `{}` as a whole word (find -exec ... {} +) is plain text to sh: braces
            # expand only around a comma or `..`, and group only as separate words.
            self._literal("{}", quoted=False)
            self.pos += 1
        elif char in "{}":
            raise NeedsShell("brace group or expansion", f"`{char}`")
        else:
            self._literal(char, quoted=False)

    # -- quoting ---------------------------------------------------------------------------

    def _single_quoted(self) -> None:
        self.started = True
        while True:
            item = self._next("'")
            if isinstance(item, Placeholder):
                self._part(item, quoted=True)
            elif item == "'":
                return
            else:
                self._literal(item, quoted=True)

    def _double_quoted(self) -> None:
        self.started = True
        while True:
            item = self._next('"')
            if isinstance(item, Placeholder):
                self._part(item, quoted=True)
            elif item == '"':
                return
            elif item == "\\":
                self._double_quoted_backslash()
            elif item == "$":
                self._dollar(quoted=True)
            elif item == "`":
                self._backticks(quoted=True)
            else:
                self._literal(item, quoted=True)

    def _double_quoted_backslash(self) -> None:
        following = self._peek()
        if isinstance(following, Placeholder):
            raise NeedsShell("backslash before a value", "a backslash escapes what follows it")
        if following == "\n":
            self.pos += 1  # line continuation: both characters vanish
        elif following is not None and following in _DOUBLE_QUOTE_ESCAPABLE:
            self._literal(following, quoted=True)
            self.pos += 1
        else:
            self._literal("\\", quoted=True)

    def _escaped(self) -> str | None:
        """The character a backslash outside quotes escapes; None for a line continuation."""
        following = self._peek()
        if following is None:
            raise NeedsShell("trailing backslash", "a backslash escapes what follows it")
        if isinstance(following, Placeholder):
            # The escaped character would come from a run-time value.
            raise NeedsShell("backslash before a value", "a backslash escapes what follows it")
        self.pos += 1
        return None if following == "\n" else following

    # -- expansions ------------------------------------------------------------------------

    def _dollar(self, *, quoted: bool) -> None:
        following = self._peek()
        if isinstance(following, Placeholder):
            raise NeedsShell("`$` before a value", "the value would name what sh expands")
        if following == "(":
            if self._peek(1) == "(":
                raise NeedsShell("arithmetic expansion", "`$((`")
            inner = _Lexer(self.items, self.pos + 1, closing=True)
            tokens = inner.run()
            self.pos = inner.pos
            self._part(Substitution(tuple(tokens)), quoted)
        elif following == "{":
            self.pos += 1
            self._part(self._braced_variable(quoted), quoted)
        elif following is not None and following in _SPECIAL_PARAMETERS:
            raise NeedsShell("special parameter", f"`${following}`")
        elif following is not None and _NAME.match(following):
            self._part(_variable(self._name()), quoted)
        else:
            self._literal("$", quoted)  # a `$` before nothing sh expands is plain text

    def _braced_variable(self, quoted: bool) -> Variable:
        name = self._name()
        if not name:
            following = self._peek()
            raise NeedsShell("parameter expansion", f"`${{{following}`")
        operator = ""
        while (item := self._peek()) in (":", "-"):
            operator += str(item)
            self.pos += 1
        if operator not in ("", ":-", "-"):
            raise NeedsShell("parameter expansion", f"`${{{name}{operator}`")
        if operator == "" and self._peek() != "}":
            raise NeedsShell("parameter expansion", f"`${{{name}{self._peek()}`")
        default: list[Part] = []
        while (item := self._next("}")) != "}":
            if isinstance(item, str) and (item in "'\"\\$`{" or item in _BLANKS + "\n"):
                raise NeedsShell("parameter expansion", f"`{item}` inside `${{{name}{operator}`")
            if default and isinstance(item, str) and isinstance(default[-1].piece, str):
                default[-1] = Part(default[-1].piece + item, quoted)
            else:
                default.append(Part(item, quoted))
        variable = _variable(name)
        if not operator:
            return variable
        return Variable(name, tuple(default) or (Part("", quoted=True),), operator == ":-")

    def _name(self) -> str:
        name = ""
        while isinstance(item := self._peek(), str) and _NAME.fullmatch(name + item):
            name += item
            self.pos += 1
        return name

    def _backticks(self, *, quoted: bool) -> None:
        inner: list[Item] = []
        while (item := self._next("`")) != "`":
            if item == "\\":
                following = self._next("`")
                if isinstance(following, Placeholder):
                    raise NeedsShell(
                        "backslash before a value", "a backslash escapes what follows it"
                    )
                # Inside backticks a backslash escapes only these; elsewhere it stays.
                if following not in "$`\\" + ('"' if quoted else ""):
                    inner.append("\\")
                inner.append(following)
            else:
                inner.append(item)
        self._part(Substitution(tuple(_Lexer(inner, 0).run())), quoted)

    def _tilde(self) -> None:
        user = ""
        offset = 0
        while isinstance(item := self._peek(offset), str) and item in _USER_CHARS:
            user += item
            offset += 1
        end = self._peek(offset)
        if isinstance(end, Placeholder):
            raise NeedsShell("tilde expansion", "`~` before a value names a home directory")
        if end is None or end in "/" + _BLANKS + "\n" + _OPERATOR_CHARS:
            self.pos += offset
            self._part(Tilde(user), quoted=False)
        else:
            self._literal("~", quoted=False)  # `~"x"`: a quoted prefix is not expanded

    # -- operators -------------------------------------------------------------------------

    def _operator(self, char: str) -> None:
        following = self._peek()
        if char in "<>":
            self._redirection(char, following)
            return
        self._end_word()
        pair = char + following if isinstance(following, str) else char
        if pair in ("&&", "||"):
            self.pos += 1
            self.tokens.append(Operator(pair))
        elif pair == "&>":
            raise NeedsShell(
                "`&>`", "/bin/sh (dash) runs the command in the background, bash redirects both"
            )
        elif char == "&":
            raise NeedsShell("background job", "`&`")
        elif pair == ";;":
            raise NeedsShell("shell keyword", "`;;`")
        elif char in "()":
            raise NeedsShell("subshell", f"`{char}`")
        else:
            self.tokens.append(Operator(char))

    def _redirection(self, char: str, following: Item | None) -> None:
        descriptor = "1" if char == ">" else "0"
        digits = literal_text(tuple(self.parts))
        if digits is not None and digits.isdigit() and not any(p.quoted for p in self.parts):
            descriptor, self.parts, self.started = digits, [], False
        self._end_word()
        operator = char
        if following == "<" and char == "<":
            raise NeedsShell("heredoc", "`<<`")
        if following == ">" and char == "<":
            raise NeedsShell("redirection", "`<>`")
        if following == "|" and char == ">":
            self.pos += 1  # `>|` overrides noclobber, which is off: the same as `>`
        elif (following == ">" and char == ">") or following == "&":
            operator += str(following)
            self.pos += 1
        self.tokens.append(Operator(descriptor + operator))

    # -- building words --------------------------------------------------------------------

    def _part(self, piece: Placeholder | Expansion, quoted: bool) -> None:
        self.parts.append(Part(piece, quoted))
        self.started = True

    def _literal(self, text: str, quoted: bool) -> None:
        last = self.parts[-1] if self.parts else None
        if last is not None and last.quoted == quoted and isinstance(last.piece, str):
            self.parts[-1] = Part(last.piece + text, quoted)
        else:
            self.parts.append(Part(text, quoted))
        self.started = True

    def _end_word(self) -> None:
        if not self.started:
            return
        self.tokens.append(tuple(self.parts) or (Part("", quoted=True),))  # '' is one word
        self.parts = []
        self.started = False

    def _peek(self, offset: int = 0) -> Item | None:
        index = self.pos + offset
        return self.items[index] if index < len(self.items) else None

    def _next(self, closing: str) -> Item:
        item = self._peek()
        if item is None:
            raise NeedsShell("unterminated quote", f"a {closing} is never closed")
        self.pos += 1
        return item

    def _bare_braces(self) -> bool:
        """Whether the `{` just read starts the word `{}` standing alone."""
        if self._peek() != "}":
            return False
        after = self._peek(1)
        return after is None or (isinstance(after, str) and after in _BLANKS + "\n")


def _variable(name: str) -> Variable:
    if name in _SHELL_VARIABLES:
        raise NeedsShell("shell variable", f"`${name}` is set by sh itself")
    return Variable(name)


def literal_text(word: Word) -> str | None:
    """The word's text if it is all literal text (no value, no expansion), else None."""
    if all(isinstance(part.piece, str) for part in word):
        return "".join(part.piece for part in word)  # type: ignore[misc]
    return None
