"""How to read and edit the arguments of the calls the shell-commands codemod handles (their
qualified names are in harden/codemods/catalog/shell_commands.py).

What is here only looks at or rebuilds a call's arguments (its keywords, the command's place,
the streams it sets, the layout of its commas); it never decides whether a command can run
without a shell (shell_planner.py and harden/shell/ do).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harden.codemods.base import Replacements, substitute
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.shell.script import STREAMS


def find_keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def command_position(call: cst.Call, keyword: str = "args") -> int | None:
    for index, arg in enumerate(call.args):
        if (arg.keyword is None and not arg.star and index == 0) or (
            arg.keyword is not None and arg.keyword.value == keyword
        ):
            return index
    return None


def first_arg(call: cst.Call) -> cst.BaseExpression | None:
    index = command_position(call, keyword="cmd")
    return call.args[index].value if index is not None else None


def is_true(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"


def is_false(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value in ("False", "None")


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def subprocess_attr(name: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("subprocess"), cst.Name(name))


def call_streams(call: cst.Call, *, stdout: str | None = None) -> dict[str, str | None]:
    """What the call's keywords do with stdin, stdout and stderr (see script.Streams)."""
    streams: dict[str, str | None] = {"stdin": None, "stdout": stdout, "stderr": None}
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else ""
        if is_false(arg.value):
            continue
        if name == "capture_output":
            streams["stdout"] = streams["stderr"] = "set"
        elif name == "input":
            streams["stdin"] = "set"
        elif name in STREAMS:
            is_stdout = isinstance(arg.value, cst.Attribute) and arg.value.attr.value == "STDOUT"
            streams[name] = "STDOUT" if is_stdout else "set"
    return streams


# What harden_runtime.run takes besides the script: subprocess.run's own arguments.
_RUNNER_KEYWORDS = frozenset(
    {"stdin", "input", "stdout", "stderr", "capture_output", "check", "timeout", "cwd", "env"}
    | {"text", "encoding", "errors", "universal_newlines", "shell"}
)


def script_runner_refusal(call: cst.Call, function: str, command_index: int) -> str:
    """Why the runtime's script runner cannot stand in for this call ("" if it can)."""
    if function == "Popen":
        return (
            "needs harden's script runner, and a Popen object stands for one process: "
            "`Popen` is converted for one program only"
        )
    for index, arg in enumerate(call.args):
        if index != command_index and (arg.keyword is None or arg.star):
            return "an argument the script runner does not take is passed by position"
        if arg.keyword is not None and arg.keyword.value not in _RUNNER_KEYWORDS:
            return f"`{arg.keyword.value}=` is not taken by harden's script runner"
    return ""


def is_stable(expr: cst.BaseExpression) -> bool:
    """A name or an attribute of one: the same value however often it is read."""
    if isinstance(expr, cst.Attribute):
        return is_stable(expr.value)
    return isinstance(expr, cst.Name)


def substituted_call(node: cst.Call, replaced: Replacements) -> cst.Call:
    call = substitute(node, replaced)
    assert isinstance(call, cst.Call)
    return call


def without(args: list[cst.Arg], index: int) -> list[cst.Arg]:
    """Drop args[index]; the comma after the last argument keeps the call's layout."""
    kept = [a for i, a in enumerate(args) if i != index]
    if index == len(args) - 1 and kept:
        kept[-1] = kept[-1].with_changes(comma=args[index].comma)
    return kept


def recomma(args: list[cst.Arg], original: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Separate new arguments with `, ` and end them as the original call ended."""
    out = [
        a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in args
    ]
    if out:
        out[-1] = out[-1].with_changes(
            comma=original[-1].comma if original else cst.MaybeSentinel.DEFAULT
        )
    return out


def as_runtime_call(
    call: cst.Call, helper: str, command_index: int, command: cst.BaseExpression | None = None
) -> cst.Call:
    """`call` made the vendored runtime's `helper`: its command (or `command` instead) the
    first argument, positional, the others kept in their order (`cmd=` given after another
    keyword must move: a positional argument cannot follow one)."""
    args = list(call.args)
    moved = args.pop(command_index)
    moved = moved.with_changes(
        value=moved.value if command is None else command,
        keyword=None,
        equal=cst.MaybeSentinel.DEFAULT,
    )
    args.insert(0, moved)
    func = cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name(helper))
    return call.with_changes(func=func, args=recomma(args, call.args) if command_index else args)


def binds_tighter(parent: cst.CSTNode | None, node: cst.CSTNode) -> bool:
    """Whether `node`'s parent would bind tighter than `<<`, so the rewrite needs parentheses."""
    if isinstance(parent, cst.BinaryOperation | cst.Attribute | cst.Subscript | cst.Await):
        return True
    if isinstance(parent, cst.UnaryOperation):
        return not isinstance(parent.operator, cst.Not)
