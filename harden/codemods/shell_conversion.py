"""A command harden can run without a shell, as the planner hands it to the rewrite: where its
text came from, how it is emitted, the reviewer's notes, the variable that will hold the list.

It builds the code of the rewrite from what was planned (with the nested rewrites put in), and
checks that `shlex.split` gives the words sh gave for a literal a caller passes; it never
decides whether to rewrite a call (shell_planner.py does).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

import libcst as cst

from harden.codemods.base import Companion, Replacements, substitute
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.codemods.shell_calls import keyword_arg
from harden.shell.origin import Traced
from harden.shell.script import Emitted, Streams, emit
from harden.shell.syntax import Script, parse
from harden.shell.words import NeedsShell, Piece, Placeholder


@dataclass(frozen=True, slots=True)
class EmitOptions:
    """What the call does that decides how its command is emitted: the streams it sets,
    whether it passes `cwd=`, and its `env=` (where `$VAR` is looked up)."""

    streams: Streams
    cwd_given: bool
    environ: cst.BaseExpression | None

    def emit(self, script: Script) -> Emitted:
        return emit(
            script,
            streams=self.streams,
            cwd_given=self.cwd_given,
            environ=self.environ,
            runtime_module=RUNTIME_MODULE,
        )


@dataclass(slots=True)
class Command:
    """A command harden can run without a shell: where its text came from, how it is emitted
    (argv and keywords, or the runtime's script), notes for the reviewer, and the variable that
    will hold the argv or script (if it was only built for this call; then its definition
    becomes the list and the call keeps the name)."""

    traced: Traced
    options: EmitOptions
    emitted: Emitted
    notes: list[str]
    variable: str = ""

    def final(self, replaced: Replacements) -> Emitted:
        """Emitted again with the nested rewrites inside its values, so that its quoting
        choices (which quote an f-string takes, whether a value fits in one) see the final
        code."""
        if not replaced or self.traced.literals:  # a parameter holds no nested rewrite
            return self.emitted
        pieces = [substituted_piece(piece, replaced) for piece in self.traced.pieces]
        return self.options.emit(parse(pieces))

    def command(self, replaced: Replacements) -> cst.BaseExpression:
        """The argv list, or the runtime's script."""
        final = self.final(replaced)
        if final.script is not None:
            return final.script
        assert final.argv is not None
        if self.traced.literals:
            return final.argv.items[0].value  # shlex.split makes a new list already
        return final.argv.as_list()

    def value(self, replaced: Replacements) -> cst.BaseExpression:
        """The argv or script as the call's argument."""
        return cst.Name(self.variable) if self.variable else self.command(replaced)

    def args(self, replaced: Replacements) -> list[cst.Arg]:
        """The argv as separate arguments (`create_subprocess_exec(*argv)`)."""
        if self.variable:
            return [cst.Arg(cst.Name(self.variable), star="*")]
        argv = self.final(replaced).argv
        assert argv is not None
        return argv.as_args()

    def keywords(self, replaced: Replacements) -> list[cst.Arg]:
        """What the redirections and `cd` became: `stderr=subprocess.STDOUT`, `cwd=...`."""
        return [keyword_arg(name, value) for name, value in self.final(replaced).keywords]

    def definition_changes(self) -> tuple[Companion, ...]:
        """The variable's last definition becomes the list; the earlier ones go."""
        if not self.variable:
            return ()
        *earlier, last = self.traced.definitions

        def assign_list(replaced: Replacements) -> cst.SimpleStatementLine:
            small = last.body[0]
            value = self.command(replaced)
            if isinstance(small, cst.AnnAssign):
                kind = "list[str]" if self.emitted.script is None else "list[object]"
                annotation = cst.Annotation(cst.parse_expression(kind))
                new: cst.BaseSmallStatement = small.with_changes(annotation=annotation, value=value)
            else:
                new = cst.Assign([cst.AssignTarget(cst.Name(self.variable))], value)
            # Comments above the statements that go stay above the one that remains.
            comments = [line for statement in earlier for line in statement.leading_lines]
            return last.with_changes(body=[new], leading_lines=[*comments, *last.leading_lines])

        removals = tuple((statement, _remove) for statement in earlier)
        return (*removals, (last, assign_list))


def _remove(_replaced: Replacements) -> cst.RemovalSentinel:
    return cst.RemovalSentinel.REMOVE


def substituted_piece(piece: Piece, replaced: Replacements) -> Piece:
    if not isinstance(piece, Placeholder):
        return piece
    items = substitute(piece.items, replaced) if piece.items is not None else None
    return replace(piece, value=substitute(piece.value, replaced), items=items)


def not_split_alike(text: str, options: EmitOptions) -> str:
    """Why `shlex.split(text)` may not give the program and arguments sh ran ("" if it does):
    harden's sh model must read `text` as one program whose words are all plain text."""
    try:
        emitted = options.emit(parse([text]))
    except NeedsShell as needs:
        detail = f" ({needs.detail})" if needs.detail else ""
        return f"needs a shell: {needs.feature}{detail}"
    argv = emitted.argv
    if emitted.script is not None or emitted.keywords or argv is None or argv.imports:
        return "is more than one program with plain words"
    words = [
        item.value.evaluated_value
        if isinstance(item.value, cst.SimpleString) and not item.starred
        else None
        for item in argv.items
    ]
    try:
        split = shlex.split(text)
    except ValueError:
        split = None
    if not split:
        return "runs no program"  # sh's status 0; subprocess raises for an empty argv
    if words != split:
        return "sh splits into other words than shlex.split"
    return ""
