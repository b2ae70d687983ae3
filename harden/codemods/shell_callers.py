"""A private runner's command parameter (`_run(cmd)` running `cmd` through /bin/sh) whose calls
in the module pass command text harden can read — f-strings, concatenations, templates, not only
literals: the runner then takes an argument list, and each call passes its own, as sh split its
text. The values stay at the calls, evaluated where they were.

It converts only what it proves: the parameter is read by the shell call alone and annotated
`str` or not at all (origin.py proves the first, and with module_names.py who may call the
runner: it is private, only called, and named in no other module); every call passes a
string-building expression (not a variable) that is one program with plain words — no
operator, redirection, `cd`, `$VAR`, `~`, glob or substitution, since the runner's `cwd=`, `env=`
and streams stay the runner's. Otherwise it raises Untraceable with the reason, and the call
goes to the shim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from harden.codemods.base import Companion, Replacements
from harden.codemods.shell_built import plain_argv
from harden.codemods.shell_conversion import Command, EmitOptions, substituted_piece
from harden.codemods.shell_notes import value_notes
from harden.shell.argv import Argv, ArgvItem
from harden.shell.expressions import annotated_as, code
from harden.shell.origin import Traced
from harden.shell.script import Emitted
from harden.shell.untraceable import Untraceable
from harden.shell.words import NeedsShell, Piece, Placeholder


@dataclass(slots=True)
class CallersCommand(Command):
    """A runner's parameter that now holds an argument list, built at each call."""

    calls: tuple[tuple[cst.BaseExpression, Traced], ...] = ()

    def final(self, replaced: Replacements) -> Emitted:
        return self.emitted  # the runner passes its parameter on: nothing is rebuilt there

    def command(self, replaced: Replacements) -> cst.BaseExpression:
        return cst.Name(self._parameter.name.value)

    def args(self, replaced: Replacements) -> list[cst.Arg]:
        return [cst.Arg(cst.Name(self._parameter.name.value), star="*")]

    def definition_changes(self) -> tuple[Companion, ...]:
        changes: list[Companion] = [(given, self._argv_at(traced)) for given, traced in self.calls]
        if self._parameter.annotation is not None:
            annotation = cst.Annotation(cst.parse_expression("list[str]"))
            listed = self._parameter.with_changes(annotation=annotation)
            changes.append((self._parameter, lambda _replaced: listed))
        return tuple(changes)

    @property
    def _parameter(self) -> cst.Param:
        assert self.traced.parameter is not None
        return self.traced.parameter

    def _argv_at(self, traced: Traced) -> Callable[[Replacements], cst.CSTNode]:
        def build(replaced: Replacements) -> cst.CSTNode:
            pieces = [substituted_piece(piece, replaced) for piece in traced.pieces]
            return _argv(pieces, self.options)[0].as_list()

        return build


def callers_command(
    runner: str,
    traced: Traced,
    calls: list[tuple[cst.BaseExpression, Traced]],
    options: EmitOptions,
) -> Command:
    """The command of `runner` as the lists its calls pass; `calls`: what each call passes,
    traced. Untraceable, saying why, when a call's command cannot be given as a list."""
    parameter = traced.parameter
    assert parameter is not None
    name = parameter.name.value
    annotation = parameter.annotation
    if annotation is not None and not annotated_as(annotation.annotation, frozenset({"str"})):
        raise Untraceable(
            f"`{runner}` declares `{name}` as `{code(annotation.annotation)}`, not `str`"
        )
    imports: set[str] = set()
    runtime = False
    alone: list[Placeholder] = []
    notes: list[str] = []
    for given, call_traced in calls:
        try:
            argv, call_alone, call_notes = _argv(call_traced.pieces, options)
        except NeedsShell as needs:
            raise Untraceable(
                f"`{runner}` is called with `{code(given)}`, which is not one program with plain "
                f"words ({needs.feature})"
            ) from None
        imports |= argv.imports
        runtime |= argv.runtime
        alone.extend(call_alone)
        notes.extend(n for n in call_notes if n not in notes)
    argv = Argv((ArgvItem(cst.Name(name), starred=True),), frozenset(imports), runtime)
    emitted = Emitted(argv, (), None, argv.imports, runtime, (), False, tuple(alone))
    notes.insert(
        0,
        f"`{name}` now holds an argument list: each of the {len(calls)} calls in this module "
        f"passes its own, as sh split its text. A command line passed to `{runner}` from "
        "elsewhere would now fail; no other module of the project names it.",
    )
    return CallersCommand(traced, options, emitted, notes, calls=tuple(calls))


def _argv(
    pieces: list[Piece], options: EmitOptions
) -> tuple[Argv, tuple[Placeholder, ...], list[str]]:
    """One call's argument list, the values that stood alone in it, and the notes on them."""
    script, argv, alone = plain_argv(pieces, options, "operators, redirections or `cd`")
    return argv, alone, value_notes(script, alone)
