"""Which program a command starts, when literal text names it: the first word of an argument
list, of each list of a script, or of a command line a shell would otherwise run ("sh" for
anything a shell runs; None for a program no literal names). sinks.py says which calls run
commands; this says what they run.

A hint, like the rest of the static reading: it never guesses a name from what is not literal
text, never parses shell syntax (a pipeline or redirection is a shell's), and never imports or
runs the code.
"""

from __future__ import annotations

import re

import libcst as cst

from harden.permissions.arguments import argument, followed, leading_text, literal, truth
from harden.permissions.parsed_modules import ParsedModule

SHELL = "sh"  # the program of anything a shell runs

# The first word of a command line that can name a program (no shell syntax, no assignment),
# and words that name none: sh's own.
_PROGRAM_WORD = re.compile(r"[\w.+@%/:,-]+")
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`\\\"'*?\[\]#~\n]")
_NOT_PROGRAMS = frozenset(
    {"cd", "exec", "eval", "export", "set", "unset", "source", "if", "for", "while", "until"}
    | {"case", "time", "."}
)


def subprocess_programs(module: ParsedModule, call: cst.Call) -> list[str | None]:
    """What a subprocess call runs: its argument list, or a shell (`shell=True`)."""
    shell = argument(call, None, ("shell",))
    if shell is not None:
        is_shell = truth(shell)
        if is_shell is None:
            return [None]
        if is_shell:
            return [SHELL]
    return command_programs(module, argument(call, 0, ("args",)))


def command_programs(module: ParsedModule, command: cst.BaseExpression | None) -> list[str | None]:
    """The programs an argument list, a script or a command line starts (None: one
    that no literal names)."""
    if command is None:
        return [None]
    value = followed(module, command)
    if isinstance(value, cst.List | cst.Tuple):
        commands = [e.value for e in value.elements if isinstance(e.value, cst.List | cst.Tuple)]
        if not commands:
            return [_argv_program(module, value)]
        programs = [_argv_program(module, c) for c in commands]
        return [p for p in programs if p not in _NOT_PROGRAMS] or [None]
    return [_line_program(module, value)]


def named_program(module: ParsedModule, path: cst.BaseExpression | None) -> str | None:
    """The program a path names, when it is literal text (its basename)."""
    text = literal(module, path) if path is not None else None
    return _basename(text) if text is not None else None


def _argv_program(module: ParsedModule, argv: cst.List | cst.Tuple) -> str | None:
    first = argv.elements[0] if argv.elements else None
    if first is None or isinstance(first, cst.StarredElement):
        return None
    return named_program(module, first.value)


def _line_program(module: ParsedModule, line: cst.BaseExpression) -> str | None:
    """The first word of a command line, when literal text says it and it is a program's
    name (a line read when it runs starts its first word, or a shell)."""
    text, whole = leading_text(module, line)
    if _SHELL_SYNTAX.search(text):
        return None  # a pipeline, a list, a redirection...: a script, or a shell
    stripped = text.lstrip()
    words = stripped.split(maxsplit=1)
    if not words or (not whole and len(words) == 1 and stripped == words[0]):
        return None  # the word may go on in what is not literal
    first = words[0]
    if not _PROGRAM_WORD.fullmatch(first) or first in _NOT_PROGRAMS:
        return None
    return _basename(first)


def _basename(path: str) -> str | None:
    return path.strip().rpartition("/")[2] or None
