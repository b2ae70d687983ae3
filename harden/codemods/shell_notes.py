"""What the reviewer reads about a command rewrite: the note's sentences and the finding's
message and severity.

Text only: nothing here decides what is rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harden.findings.model import Severity
from harden.shell.argv import Argv
from harden.shell.origin import Traced
from harden.shell.syntax import Script, words_of
from harden.shell.words import Part, Placeholder, Splitting, Substitution, Variable

MISSING_PROGRAM = (
    "A missing program now raises FileNotFoundError where sh reported exit status 127."
)


def literals_note(traced: Traced) -> str:
    (piece,) = traced.pieces
    assert isinstance(piece, Placeholder)
    shown = ", ".join(f"`{text}`" for text in dict.fromkeys(traced.literals))
    return (
        f"`{piece.name}` is split with shlex.split, as sh split it for every call in this "
        f"module ({shown}, each checked). A caller elsewhere passing shell syntax (a pipe, "
        "`$VAR`, `>`) would now have it passed to the program as text."
    )


def argv_intro(argv: Argv | None) -> str:
    assert argv is not None
    first = argv.items[0]
    value = first.value
    if first.starred and isinstance(value, cst.Call) and value.args:
        value = value.args[0].value  # the program's words come from a value: name the value
    program = value.evaluated_value if isinstance(value, cst.SimpleString) else _code(value)
    return (
        f"Runs `{program}` directly instead of through /bin/sh, so no value can add shell syntax."
    )


def value_notes(script: Script, alone: Sequence[Placeholder]) -> list[str]:
    """What became of the expansions and values sh split at blanks: expansions glued to text,
    the values that stood `alone` unquoted as arguments, and those that named a file or a
    directory (after `>` or `cd`)."""
    notes: list[str] = []
    unproven: list[str] = []
    seen: set[str] = set()
    for value in alone:
        code = _code(value.value)
        if code in seen:
            continue
        seen.add(code)
        if value.splitting is Splitting.UNKNOWN:
            unproven.append(f"`{code}`")
        elif value.splitting is Splitting.FIELDS:
            notes.append(f"`{code}` is split at blanks as sh split it: {value.evidence}.")
        elif value.splitting is Splitting.WORDS:
            notes.append(f"`{code}` is split into arguments with shlex.split, as sh split it.")
        elif value.splitting is Splitting.LIST:
            notes.append(f"The items of `{code}` become one argument each.")
    if unproven:
        notes.append(_unproven_note(unproven))
    for word in words_of(script):
        for part in word:
            whole = _used_whole(part, alone=len(word) == 1)
            if whole is not None and whole[0] not in seen:
                seen.add(whole[0])
                notes.append(
                    f"`{whole[0]}` {whole[1]}: sh split a value with blanks there into several "
                    "arguments."
                )
    return notes


def _used_whole(part: Part, *, alone: bool) -> tuple[str, str] | None:
    """A value sh split that the rewrite uses whole, shown, and where it stood: alone as a file
    or directory name (an argument's note is made already), or an expansion glued to text."""
    value = part.piece
    if part.quoted:
        return None
    if isinstance(value, Placeholder) and alone:
        return _code(value.value), "names one file or directory, used whole"
    if isinstance(value, Variable) and not alone:
        return f"${value.name}", "glued to text is used whole"
    if isinstance(value, Substitution) and not alone:
        return "$(...)", "glued to text is used whole"
    return None


def _unproven_note(values: list[str]) -> str:
    shown = ", ".join(values)
    return (
        f"harden_runtime.words splits {shown} at blanks as sh did, and logs CMD_VALUE_SPLIT "
        "(never the value) when that made other than one argument; once the logs show no such "
        "split, ENFORCE_SHELL_FREE=true passes each as one argument. Glob characters in a value "
        "are no longer expanded to file names."
    )


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def finding_message(call: cst.Call, has_values: bool) -> str:
    callee = _code(call.func)
    if has_values:
        return f"`{callee}` runs a shell command built from values: injectable"
    return f"`{callee}` runs a constant command through /bin/sh"


def finding_severity(has_values: bool) -> Severity:
    return Severity.HIGH if has_values else Severity.LOW
