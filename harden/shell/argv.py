"""Emit the shell-free Python (libcst) for a command's words: one argv element per word.

How a placeholder becomes argv elements:

- inside quotes, or glued to other text in its word: one argument, exactly as sh makes it;
- standing alone unquoted, sh split the value at blanks and dropped it when empty. What is
  kept depends on what harden proves about the value (harden/shell/arity.py decides):
  one word (Splitting.ONE) → the value, one argument; several words (Splitting.FIELDS) →
  `*harden_runtime.fields(value)`, exactly sh's splitting; neither (Splitting.UNKNOWN) →
  `*harden_runtime.words(value)`, which splits as sh did, logs `CMD_VALUE_SPLIT` when that made
  other than one argument, and passes the value whole under ENFORCE_SHELL_FREE. A value named
  to carry several arguments (`args`, `flags`, `extra_args`) keeps `*shlex.split(value)`
  (Splitting.WORDS), which also honours quotes inside the value as sh did, and
  `" ".join(items)` becomes `*items` (Splitting.LIST). None of these expand glob characters in
  a value: sh did, the rewrite never does;
- a value named like a whole command (`cmd`, `command`) may hold shell syntax itself: never
  rewritten (NeedsShell).

sh's expansions: `$VAR` reads `os.environ` (or the call's `env=`), `${VAR:-d}` falls back to
`d`, `~` is `os.path.expanduser`; an unquoted expansion standing alone keeps sh's splitting
(`*harden_runtime.fields(...)`), one glued to text is used whole. A word with glob characters
or `$(...)` is computed only when its command starts, so it becomes the runtime's
`glob(...)`/`output(...)`/`concat(...)` and marks the argv `deferred`.

A non-str value becomes `str(value)` (inside `words()` for an unproven one), as an argv element
must be a str. This module never decides how the command line runs (script.py does), and a
program sh runs as a builtin (cd, export, ...) is refused here because no program of that name
exists to run without sh.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

import libcst as cst

from harden.shell.expressions import string_literal
from harden.shell.words import (
    Expansion,
    NeedsShell,
    Placeholder,
    Splitting,
    Substitution,
    Tilde,
    Token,
    Variable,
    Word,
    literal_text,
)

# Builtins with no program of the same name, or whose effect is on the shell itself.
_SHELL_ONLY = frozenset(
    {"cd", "export", "set", "unset", "exit", "source", ".", "eval", "exec", "alias", "unalias"}
    | {"read", "ulimit", "umask", "shift", "trap", "wait", "return", "break", "continue"}
    | {"readonly", "local", ":", "type", "command", "hash", "getopts", "jobs", "fg", "bg"}
    | {"times", "let", "declare", "typeset", "builtin", "enable", "history"}
)
_GLOB_MAGIC = re.compile(r"[*?[]")
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"})
# Values meant as several arguments or a command line: as the program, they may hold a whole
# command. Any other value is split, as the program's word, as it is anywhere else.
_WHOLE_COMMANDS = frozenset({Splitting.WORDS, Splitting.LIST, Splitting.COMMAND})


@dataclass(frozen=True, slots=True)
class ArgvItem:
    """One argv element, or a starred sequence of them (`*shlex.split(x)`)."""

    value: cst.BaseExpression
    starred: bool = False


@dataclass(frozen=True, slots=True)
class Argv:
    items: tuple[ArgvItem, ...]
    imports: frozenset[str]  # modules the items use: shlex, os
    runtime: bool = False  # an item calls the vendored runtime
    deferred: bool = False  # an item is a word only the runtime's script runner expands

    def as_list(self) -> cst.List:
        return cst.List(
            [
                cst.StarredElement(item.value) if item.starred else cst.Element(item.value)
                for item in self.items
            ]
        )

    def as_args(self) -> list[cst.Arg]:
        return [cst.Arg(item.value, star="*" if item.starred else "") for item in self.items]


EmitScript = Callable[[Sequence[Token]], cst.BaseExpression]


class WordEmitter:
    """Emits words as argv elements. `environ` is where `$VAR` is looked up (`os.environ`, or
    the call's `env=`); `emit_script` gives the runtime script of a command substitution."""

    def __init__(
        self, environ: cst.BaseExpression | None, emit_script: EmitScript, runtime_module: str
    ) -> None:
        self.environ = environ
        self.emit_script = emit_script
        self.runtime_module = runtime_module
        self.imports: set[str] = set()
        self.runtime = False
        self.deferred = False
        self.environ_used = False  # a lookup reads `environ` (the call's env=)
        self.alone: list[Placeholder] = []  # values that stood alone unquoted, in order

    def argv(self, words: Sequence[Word]) -> Argv:
        """The argv for `words`, or NeedsShell when the program or a value needs sh."""
        _check_program(words)
        items = tuple(self._item(word) for word in words)
        return Argv(items, frozenset(self.imports), self.runtime, self.deferred)

    def _item(self, word: Word) -> ArgvItem:
        if is_glob(word):
            return ArgvItem(self._glob(word))
        if any(isinstance(part.piece, Substitution) for part in word):
            return ArgvItem(self._substituted(word, split=not word[0].quoted))
        if len(word) == 1 and not word[0].quoted and isinstance(word[0].piece, Variable):
            # sh splits an unquoted expansion standing alone into words, and drops it if empty.
            fields = self._runtime_call("fields", [self._expression(word[0].piece)])
            return ArgvItem(fields, starred=True)
        if len(word) == 1 and isinstance(word[0].piece, Placeholder):
            return self._placeholder(word[0].piece, quoted=word[0].quoted)
        return ArgvItem(self.text(word))

    def text(self, word: Word) -> cst.BaseExpression:
        """The expression for a word that is one argument, whatever sh would split."""
        if any(isinstance(part.piece, Substitution) for part in word):
            return self._substituted(word, split=False)
        text = literal_text(word)
        if text is not None:
            return string_literal(text)
        first = word[0].piece
        rest = literal_text(word[1:])
        if isinstance(first, Tilde) and rest is not None and self.environ is None:
            return self._expanduser("~" + first.user + rest)
        if len(word) == 1:
            return self._expression(first)
        pieces = [part.piece for part in word]
        return _joined(
            [p if isinstance(p, str | Placeholder) else self._expression(p) for p in pieces]
        )

    def _placeholder(self, value: Placeholder, *, quoted: bool) -> ArgvItem:
        if quoted:
            return ArgvItem(text_of(value))
        self.alone.append(value)
        splitting = value.splitting
        if splitting is Splitting.ONE:
            return ArgvItem(text_of(value))
        if splitting is Splitting.COMMAND:
            raise NeedsShell(
                "command from a value", f"`{value.name}` may hold shell syntax of its own"
            )
        if splitting is Splitting.WORDS:
            self.imports.add("shlex")
            split = cst.Call(
                cst.Attribute(cst.Name("shlex"), cst.Name("split")), [cst.Arg(text_of(value))]
            )
            return ArgvItem(split, starred=True)
        if splitting is Splitting.LIST:
            return ArgvItem(value.items, starred=True)
        if splitting is Splitting.FIELDS:
            return ArgvItem(self._runtime_call("fields", [text_of(value)]), starred=True)
        # words() takes any value and makes its text itself: no str(...) around it here.
        return ArgvItem(self._runtime_call("words", [text_of(value, coerce=False)]), starred=True)

    def _expression(self, piece: str | Placeholder | Expansion) -> cst.BaseExpression:
        if isinstance(piece, str):
            return string_literal(piece)
        if isinstance(piece, Placeholder):
            return text_of(piece)
        if isinstance(piece, Tilde):
            if piece.user or self.environ is None:
                return self._expanduser("~" + piece.user)
            # sh takes the home directory from the HOME it was given, and leaves `~` if none.
            self.environ_used = True
            return _get(self.environ, "HOME", string_literal("~"))
        if isinstance(piece, Variable):
            return self._variable(piece)
        return self._runtime_call("output", [cst.Arg(self.emit_script(piece.tokens))])

    def _variable(self, variable: Variable) -> cst.BaseExpression:
        environ = self.environ
        self.environ_used |= environ is not None
        if environ is None:
            self.imports.add("os")
            environ = cst.Attribute(cst.Name("os"), cst.Name("environ"))
        if variable.default is None:
            return _get(environ, variable.name, string_literal(""))
        default = self.text(variable.default)
        if not variable.if_empty:
            return _get(environ, variable.name, default)
        # `${X:-d}`: the default also when X is set but empty.
        return cst.BooleanOperation(_get(environ, variable.name), cst.Or(), default)

    def _glob(self, word: Word) -> cst.BaseExpression:
        template = ""
        values: list[cst.BaseExpression] = []
        for part in word:
            piece = part.piece
            if isinstance(piece, Substitution):
                raise NeedsShell("glob with command substitution")
            if isinstance(piece, str) and (not part.quoted or not _GLOB_MAGIC.search(piece)):
                if not part.quoted and "[:" in piece:
                    raise NeedsShell("glob with a character class", "`[:...:]`")
                # sh's `[^...]` is fnmatch's `[!...]`.
                text = piece.replace("[^", "[!") if not part.quoted else piece
                template += text.replace("{", "{{").replace("}", "}}")
            else:
                template += "{}"
                values.append(self._expression(piece))
        self.deferred = True
        return self._runtime_call("glob", [string_literal(template), *values])

    def _substituted(self, word: Word, *, split: bool) -> cst.BaseExpression:
        """A word with `$(...)`: only the runtime's script runner computes it."""
        self.deferred = True
        if len(word) == 1:
            split = split and not word[0].quoted
            script = self.emit_script(word[0].piece.tokens)  # type: ignore[union-attr]
            args = [script, *([_keyword("split", cst.Name("True"))] if split else [])]
            return self._runtime_call("output", args)
        return self._runtime_call("concat", [self._expression(part.piece) for part in word])

    def _expanduser(self, text: str) -> cst.Call:
        self.imports.add("os")
        return cst.Call(cst.parse_expression("os.path.expanduser"), [cst.Arg(string_literal(text))])

    def _runtime_call(self, name: str, args: Sequence[cst.BaseExpression | cst.Arg]) -> cst.Call:
        self.runtime = True
        return cst.Call(
            cst.Attribute(cst.Name(self.runtime_module), cst.Name(name)),
            [arg if isinstance(arg, cst.Arg) else cst.Arg(arg) for arg in args],
        )


def _get(
    mapping: cst.BaseExpression, key: str, default: cst.BaseExpression | None = None
) -> cst.Call:
    args = [cst.Arg(string_literal(key))]
    if default is not None:
        args.append(cst.Arg(default))
    return cst.Call(cst.Attribute(mapping, cst.Name("get")), args)


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def is_glob(word: Word) -> bool:
    return any(
        isinstance(part.piece, str) and not part.quoted and _GLOB_MAGIC.search(part.piece)
        for part in word
    )


def _check_program(words: Sequence[Word]) -> None:
    program = literal_text(words[0])
    if program is None:
        first = words[0]
        if len(first) == 1 and not first[0].quoted:
            value = first[0].piece
            if isinstance(value, Variable | Substitution):
                raise NeedsShell("program from an expansion", "sh splits it into words first")
            if isinstance(value, Placeholder) and value.splitting in _WHOLE_COMMANDS:
                raise NeedsShell(
                    "program from a value", f"`{value.name or 'value'}` may hold a whole command"
                )
        return
    if program in _SHELL_ONLY:
        raise NeedsShell("shell builtin", f"`{program}` exists only inside a shell")
    if program.rpartition("/")[2] in SHELLS:
        # `sh -c 'literal script' x` runs harden-readable code with inert arguments; a script
        # that comes from a value is a command line harden cannot see.
        texts = [literal_text(word) for word in words]
        if "-c" in texts and None in texts[texts.index("-c") + 1 : texts.index("-c") + 2]:
            raise NeedsShell("a shell's script from a value", f"`{program} -c` with a variable")
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


def text_of(value: Placeholder, *, coerce: bool = True) -> cst.BaseExpression:
    """The expression giving the text the source spliced in (str, repr, format spec applied);
    with `coerce=False` a plain value stays as it is, for a callee that makes its text."""
    expr: cst.BaseExpression = value.value
    if value.conversion:
        func = {"r": "repr", "s": "str", "a": "ascii"}[value.conversion]
        expr = cst.Call(cst.Name(func), [cst.Arg(expr)])
    if value.format_spec:
        return cst.Call(
            cst.Name("format"), [cst.Arg(expr), cst.Arg(string_literal(value.format_spec))]
        )
    if value.is_str or value.conversion or not coerce:
        return expr
    return cst.Call(cst.Name("str"), [cst.Arg(expr)])


Glued = str | Placeholder | cst.BaseExpression


def _joined(pieces: Sequence[Glued]) -> cst.BaseExpression:
    """Text and values glued into one word: an f-string where the syntax allows it."""
    values = [
        p.value if isinstance(p, Placeholder) else p for p in pieces if not isinstance(p, str)
    ]
    for quote in ('"', "'"):
        if all(_fits_fstring(value, quote) for value in values):
            return _fstring(pieces, quote)
    # Some expressions cannot sit in an f-string before Python 3.12: concatenate the pieces.
    items = [
        string_literal(p) if isinstance(p, str) else text_of(p) if isinstance(p, Placeholder) else p
        for p in pieces
    ]
    parenthesized = [
        item.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if isinstance(item, cst.BooleanOperation)  # `${X:-d}`: `or` binds looser than `+`
        else item
        for item in items
    ]
    expr = parenthesized[0]
    for item in parenthesized[1:]:
        expr = cst.BinaryOperation(expr, cst.Add(), item)
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


def _fstring(pieces: Sequence[Glued], quote: str) -> cst.FormattedString:
    parts: list[cst.BaseFormattedStringContent] = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(cst.FormattedStringText(_escape(piece, quote)))
        elif isinstance(piece, Placeholder):
            spec = (
                [cst.FormattedStringText(_escape(piece.format_spec, quote))]
                if piece.format_spec
                else None
            )
            value, conversion = piece.value, piece.conversion or None
            if conversion is None and spec is None and _str_call(value):
                # `{x!s}` is `{str(x)}` as ruff (RUF010) wants it written.
                value, conversion = value.args[0].value, "s"
            parts.append(
                cst.FormattedStringExpression(value, conversion=conversion, format_spec=spec)
            )
        else:
            parts.append(cst.FormattedStringExpression(piece))
    return cst.FormattedString(parts, start=f"f{quote}", end=quote)


def _str_call(value: object) -> TypeGuard[cst.Call]:
    """`str(x)`: one positional argument, nothing starred."""
    # Checked by hand, not with libcst.matchers: importing the matchers costs 0.18 s of every
    # run's start-up, scans that parse nothing included.
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "str"
        and len(value.args) == 1
        and value.args[0].keyword is None
        and value.args[0].star == ""
    )


def _escape(text: str, quote: str) -> str:
    """Text as it must be written between f-string quotes: escapes, then doubled braces."""
    body = repr(text)[1:-1]
    if repr(text)[0] != quote:
        # repr escaped for the other quote kind: undo that, escape ours.
        other = "'" if quote == '"' else '"'
        body = body.replace("\\" + other, other).replace(quote, "\\" + quote)
    return body.replace("{", "{{").replace("}", "}}")
