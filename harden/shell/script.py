"""Emit the shell-free Python for a parsed command line: one stdlib call where that does the
same, else a script for the vendored runtime's runner.

One program (`cd DIR &&` before it becomes `cwd=`) whose redirections only send a stream to
/dev/null or stderr to stdout, and whose words need nothing computed when it starts, runs
through the call the source made: the redirections become `stdin=`/`stdout=`/`stderr=`
(unless the call sets that stream itself). Everything else — pipelines, lists, redirections to
files, globs, `$(...)` — becomes the runtime's script: the commands as lists of words and the
original operators between them, in the original order, which harden_runtime runs as sh did.

It never emits what it has not derived from sh's rules; what it cannot express raises
NeedsShell.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from harden.shell.argv import Argv, WordEmitter
from harden.shell.expressions import string_literal
from harden.shell.syntax import Command, Redirect, Script, Step, parse_tokens
from harden.shell.words import NeedsShell, Placeholder, Token, literal_text

STREAMS = ("stdin", "stdout", "stderr")
# What a call does with a stream: not given (None), sends stderr to stdout ("STDOUT"), or
# anything else ("set").
Streams = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Emitted:
    """The stdlib form (`argv` and the keywords to add) or the runtime's `script`."""

    argv: Argv | None
    keywords: tuple[tuple[str, cst.BaseExpression], ...]
    script: cst.List | None
    imports: frozenset[str]
    runtime: bool  # the code calls the vendored runtime
    notes: tuple[str, ...]
    environ_used: bool  # `$VAR` or `~` read the call's `env=`
    alone: tuple[Placeholder, ...] = ()  # the values that stood alone unquoted as arguments


def emit(
    script: Script,
    *,
    streams: Streams,
    cwd_given: bool,
    environ: cst.BaseExpression | None,
    runtime_module: str,
) -> Emitted:
    """How to run `script` without a shell, or NeedsShell."""
    direct = _direct(script, streams, cwd_given, environ, runtime_module)
    if direct is not None:
        return direct
    emitter = _ScriptEmitter(environ, runtime_module)
    listed = emitter.script(script)
    return Emitted(
        None,
        (),
        listed,
        frozenset(emitter.words.imports),
        True,
        (),
        emitter.words.environ_used,
        tuple(emitter.words.alone),
    )


def _direct(
    script: Script,
    streams: Streams,
    cwd_given: bool,
    environ: cst.BaseExpression | None,
    runtime_module: str,
) -> Emitted | None:
    """The stdlib form, when one program with stdlib-expressible redirections does it."""
    steps = list(script)
    directory = None
    if len(steps) == 2 and steps[1].connector == "&&" and _is_cd(steps[0]) and not cwd_given:
        directory = steps[0].pipeline[0].words[1]
        steps = steps[1:]
    if len(steps) != 1 or len(steps[0].pipeline) != 1:
        return None
    command = steps[0].pipeline[0]
    keywords = _stream_keywords(command.redirects, streams)
    if keywords is None:
        return None
    words = WordEmitter(environ, _no_scripts, runtime_module)
    argv = words.argv(command.words)
    notes: list[str] = []
    if directory is not None:
        keywords.append(("cwd", words.text(directory)))
        notes.append(
            "`cd DIR &&` became `cwd=DIR`: a missing DIR now raises FileNotFoundError where sh "
            "reported status 2."
        )
    if words.deferred:
        return None
    return Emitted(
        argv,
        tuple(keywords),
        None,
        frozenset(words.imports),
        words.runtime,
        tuple(notes),
        words.environ_used,
        tuple(words.alone),
    )


def _no_scripts(tokens: Sequence[Token]) -> cst.BaseExpression:
    # The stdlib form has no command substitutions: a word with one marks the emitter deferred
    # before it asks for the script, and the form is dropped.
    return cst.List([])


def _is_cd(step: Step) -> bool:
    command = step.pipeline[0]
    return (
        len(step.pipeline) == 1
        and literal_text(command.words[0]) == "cd"
        and len(command.words) == 2
        and not command.redirects
        and not (literal_text(command.words[1]) or "x").startswith("-")
    )


def _stream_keywords(
    redirects: Sequence[Redirect], streams: Streams
) -> list[tuple[str, cst.BaseExpression]] | None:
    """`stdin=`/`stdout=`/`stderr=` doing what the redirections did, or None if there is none."""
    table: list[int | str] = [0, 1, 2]  # a descriptor of the call's own, or "null"
    for redirect in redirects:
        if redirect.operator.endswith("&"):
            table[redirect.fd] = table[int(literal_text(redirect.target) or 0)]
        elif literal_text(redirect.target) == "/dev/null":
            table[redirect.fd] = "null"
        else:
            return None
    keywords: list[tuple[str, cst.BaseExpression]] = []
    for fd, name in enumerate(STREAMS):
        target = table[fd]
        if target == fd or (fd == 2 and target == 1 and streams.get(name) == "STDOUT"):
            continue
        if streams.get(name) is not None:
            return None  # the call sets this stream itself: sh's redirection overrode it
        if target == "null":
            keywords.append((name, _subprocess("DEVNULL")))
        elif fd == 2 and target == 1:
            keywords.append((name, _subprocess("STDOUT")))
        else:
            return None
    return keywords


def _subprocess(name: str) -> cst.Attribute:
    assert hasattr(subprocess, name)
    return cst.Attribute(cst.Name("subprocess"), cst.Name(name))


class _ScriptEmitter:
    """A script as the runtime reads it: command lists with the operators between them."""

    def __init__(self, environ: cst.BaseExpression | None, runtime_module: str) -> None:
        self.words = WordEmitter(environ, self._substitution, runtime_module)

    def script(self, script: Script) -> cst.List:
        elements: list[cst.BaseExpression] = []
        for step in script:
            if step.connector:
                elements.append(string_literal(step.connector))
            for index, command in enumerate(step.pipeline):
                if index:
                    elements.append(string_literal("|"))
                elements.extend(self._command(command, cd_allowed=len(step.pipeline) == 1))
        return cst.List([cst.Element(element) for element in elements])

    def _command(self, command: Command, *, cd_allowed: bool) -> list[cst.BaseExpression]:
        elements: list[cst.BaseExpression] = [self._words(command, cd_allowed=cd_allowed)]
        for redirect in command.redirects:
            default = 0 if redirect.operator.startswith("<") else 1
            operator = ("" if redirect.fd == default else str(redirect.fd)) + redirect.operator
            if redirect.operator.endswith("&"):
                elements.append(string_literal(operator + (literal_text(redirect.target) or "")))
            else:
                elements.extend([string_literal(operator), self.words.text(redirect.target)])
        return elements

    def _words(self, command: Command, *, cd_allowed: bool) -> cst.List:
        if literal_text(command.words[0]) != "cd":
            return self.words.argv(command.words).as_list()
        if not (cd_allowed and _is_cd(Step("", (command,)))):
            raise NeedsShell("cd", "only `cd DIR` on its own, outside a pipeline, is converted")
        # The directory is one value, as the stdlib form's `cwd=` is: never split into words.
        directory = self.words.text(command.words[1])
        return cst.List([cst.Element(string_literal("cd")), cst.Element(directory)])

    def _substitution(self, tokens: Sequence[Token]) -> cst.BaseExpression:
        return self.script(parse_tokens(tokens))
