"""A command variable built statement by statement (`cmd += " -i"` under an `if`, in a loop, a
command started again in another branch) becomes an argument list built the same way: each
statement keeps its place and gives its own words, `cmd = [...]` or `cmd += [...]`.

It converts only what it proves keeps sh's words: every text a `+=` appends starts with a blank
(so it never glues onto the word before it) and, like every starting text, holds plain words
(no operator, redirection, `cd` or command substitution); every starting text names a literal
program that reads no later word as code or as an escape (no shell, no `echo`); the call is the
variable's only reader (origin.py's `built`). Nothing moves: each value is still evaluated by
its own statement. What it cannot prove raises NeedsShell, and the call goes to the shim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import libcst as cst

from harden.codemods.base import Companion, Replacements
from harden.codemods.shell_conversion import Command, EmitOptions, substituted_piece
from harden.codemods.shell_notes import value_notes
from harden.shell.argv import SHELLS, Argv, ArgvItem, is_glob
from harden.shell.origin import Fragment, Traced
from harden.shell.script import Emitted
from harden.shell.syntax import Script, parse, words_of
from harden.shell.words import NeedsShell, Piece, Placeholder, literal_text

# Programs whose later words a caller's text could turn into code or escapes: their words must
# be checked together, which a list built in pieces does not allow.
_READS_WORDS_SPECIALLY = SHELLS | {"echo"}
_STAND_IN_PROGRAM = "program"


@dataclass(slots=True)
class BuiltCommand(Command):
    """A command whose variable is built by several statements: each becomes a list."""

    fragments: tuple[Fragment, ...] = ()

    def final(self, replaced: Replacements) -> Emitted:
        return self.emitted  # the call passes the variable: nothing of it is rebuilt there

    def definition_changes(self) -> tuple[Companion, ...]:
        return tuple((f.statement, self._rebuild(f)) for f in self.fragments)

    def _rebuild(self, fragment: Fragment) -> Callable[[Replacements], cst.CSTNode]:
        def build(replaced: Replacements) -> cst.CSTNode:
            pieces = [substituted_piece(piece, replaced) for piece in fragment.pieces]
            argv = fragment_argv(pieces, fragment.starts, self.options)[0]
            items: cst.BaseExpression = argv.as_list()
            statement = fragment.statement
            if isinstance(statement, cst.AugAssign) and [i.starred for i in argv.items] == [True]:
                items = argv.items[0].value  # `cmd += shlex.split(flags)`: a list already
            if isinstance(statement, cst.AnnAssign):
                annotation = cst.Annotation(cst.parse_expression("list[str]"))
                return statement.with_changes(annotation=annotation, value=items)
            return statement.with_changes(value=items)

        return build


def built_command(fragments: list[Fragment], options: EmitOptions, variable: str) -> Command:
    """The call's command as the list the fragments build; NeedsShell when a fragment's words
    cannot be given apart from the others."""
    if not fragments or not fragments[0].starts:
        raise NeedsShell("a command extended before it is assigned")
    items: list[ArgvItem] = []
    imports: set[str] = set()
    runtime = False
    notes: list[str] = []
    alone: list[Placeholder] = []
    pieces: list[Piece] = []
    for fragment in fragments:
        argv, emitted_alone, fragment_notes = fragment_argv(
            fragment.pieces, fragment.starts, options
        )
        items.extend(argv.items)
        imports |= argv.imports
        runtime |= argv.runtime
        alone.extend(emitted_alone)
        notes.extend(n for n in fragment_notes if n not in notes)
        pieces.extend(fragment.pieces)
    argv = Argv(tuple(items), frozenset(imports), runtime)
    emitted = Emitted(argv, (), None, argv.imports, runtime, (), False, tuple(alone))
    notes.insert(
        0,
        f"`{variable}` is built by {len(fragments)} statements, each now adding its own "
        "arguments to a list, as sh split the text each one added.",
    )
    return BuiltCommand(
        Traced(pieces, variable=variable),
        options,
        emitted,
        notes,
        variable,
        fragments=tuple(fragments),
    )


def fragment_argv(
    pieces: list[Piece], starts: bool, options: EmitOptions
) -> tuple[Argv, tuple[Placeholder, ...], list[str]]:
    """The words one statement gives: its argv items, the values that stood alone, notes."""
    if not starts:
        first = pieces[0] if pieces else ""
        if not isinstance(first, str) or first[:1] not in (" ", "\t"):
            raise NeedsShell(
                "text appended to a command word", "`+=` adds text that does not start a new word"
            )
        # The appended words parse as the arguments of a stand-in program.
        pieces = [_STAND_IN_PROGRAM, *pieces]
    script, argv, alone = plain_argv(
        pieces,
        options,
        "more than plain words in a part of the command",
        "a statement adds operators, redirections or substitutions",
    )
    if starts:
        program = literal_text(script[0].pipeline[0].words[0])
        if program is None:
            raise NeedsShell("program from a value", "a statement starts the command with a value")
        if program.rpartition("/")[2] in _READS_WORDS_SPECIALLY:
            raise NeedsShell("program built in parts", f"`{program}`'s words are read together")
    else:
        argv = replace(argv, items=argv.items[1:])
    return argv, alone, value_notes(script, alone)


def plain_argv(
    pieces: list[Piece], options: EmitOptions, feature: str, detail: str = ""
) -> tuple[Script, Argv, tuple[Placeholder, ...]]:
    """The command the pieces read as, when it is one program with plain words (no operator,
    redirection, `cd`, expansion or glob): its script, argument list and the values that
    stood alone; else NeedsShell(feature, detail)."""
    script = parse(pieces)
    check_plain_words(script)
    emitted = options.emit(script)
    argv = emitted.argv
    if emitted.script is not None or emitted.keywords or argv is None or argv.deferred:
        raise NeedsShell(feature, detail)
    return script, argv, emitted.alone


def check_plain_words(script: Script) -> None:
    """Text and values only: `$VAR`, `~`, `$(...)` and globs would be expanded when the
    statement runs, not when the command does (another environment, working directory)."""
    for word in words_of(script):
        if is_glob(word) or not all(isinstance(p.piece, str | Placeholder) for p in word):
            raise NeedsShell(
                "an expansion in a part of the command",
                "a statement's `$VAR`, `~`, `$(...)` or glob would be expanded before the call",
            )
