"""Phase 5 codemod: commands run through /bin/sh become programs run without a shell.

Handles `subprocess.run/call/check_call/check_output/Popen(..., shell=True)`, `os.system`,
`os.popen`, `subprocess.getoutput/getstatusoutput` and `asyncio.create_subprocess_shell`,
through any import alias (callees are resolved by qualified name). What the caller observes is
kept: the other keywords, `os.system`'s wait status, `getoutput`'s merged stderr and stripped
newline. One program becomes an argument list for the same call; a pipeline, a list or a
redirection to a file becomes a script for the vendored runtime's runner (harden/shell/script.py
decides which).

It never makes the popular auto-fix (`shell=False` with the string left in place), which turns
every such call into FileNotFoundError. A command using what harden does not convert, a
`shell=` that is not a literal, a command whose text cannot be traced, or a call the script
runner cannot stand in for (a Popen object, asyncio) is left alone and reported with the reason.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

from harden.codemods.base import PlannedCodemod, Replacements
from harden.codemods.catalog import shell_commands as catalog
from harden.codemods.catalog.shell_commands import (
    ASYNC_SHELL,
    GETOUTPUT,
    GETSTATUSOUTPUT,
    POPEN,
    SUBPROCESS_SHELL_KW,
    SYSTEM,
)
from harden.codemods.imports import Import
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.codemods.shell_calls import (
    as_runtime_call,
    binds_tighter,
    call_streams,
    command_position,
    find_keyword,
    first_arg,
    is_false,
    is_true,
    keyword_arg,
    recomma,
    script_runner_refusal,
    subprocess_attr,
    substituted_call,
    without,
)
from harden.codemods.shell_conversion import Command
from harden.codemods.shell_planner import ShellCallPlanner


class CommandPlanner(ShellCallPlanner):
    """One method per API: what each call becomes without a shell."""

    def visit_Call(self, node: cst.Call) -> None:
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
        if names & SUBPROCESS_SHELL_KW:
            self._subprocess(node, names)
        elif names & SYSTEM:
            self._system(node)
        elif names & POPEN:
            self._popen(node)
        elif names & GETOUTPUT:
            self._getoutput(node)
        elif names & GETSTATUSOUTPUT:
            self._getstatusoutput(node)
        elif names & ASYNC_SHELL:
            self._create_subprocess_shell(node, names)

    # -- one method per API ------------------------------------------------------------------

    def _subprocess(self, node: cst.Call, names: set[str]) -> None:
        shell = find_keyword(node, "shell")
        if shell is None or is_false(shell.value):
            return
        command_index = command_position(node)
        command = node.args[command_index].value if command_index is not None else None
        if not is_true(shell.value):
            self._shim(node, "`shell=` is not a literal True or False", command)
            return
        if command is None:
            return
        if find_keyword(node, "executable") is not None:
            self._refuse(node, "`executable=` names the shell itself when `shell=True`", command)
            return
        if isinstance(command, cst.List | cst.Tuple):
            if len(command.elements) != 1 or isinstance(command.elements[0], cst.StarredElement):
                self._refuse(
                    node, "a list with `shell=True` hands its items to sh as $0, $1, ...", command
                )
                return
            command = command.elements[0].value
        function = min(names & SUBPROCESS_SHELL_KW).rpartition(".")[2]
        streams = call_streams(node, stdout="set" if function == "check_output" else None)
        converted = self._convert(node, command, streams, call=node)
        if converted is None:
            return
        shell_index = node.args.index(shell)
        assert command_index is not None
        if converted.emitted.script is not None:
            reason = script_runner_refusal(node, function, command_index)
            if reason:
                self._refuse(node, reason, command)
                return

        def build(replaced: Replacements) -> cst.CSTNode:
            call = substituted_call(node, replaced)
            args = list(call.args)
            args[command_index] = args[command_index].with_changes(value=converted.value(replaced))
            args = [*without(args, shell_index), *converted.keywords(replaced)]
            if converted.emitted.script is None:
                return call.with_changes(args=args)
            func = cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name(function))
            return call.with_changes(func=func, args=args)

        if converted.emitted.script is None:
            self._propose(node, build, converted)
        else:
            self._propose(node, build, converted, drops=self._import_of(node), helper=function)

    def _system(self, node: cst.Call) -> None:
        converted = self._convert_first_arg(node, {})
        if converted is None:
            return
        parent = self.get_metadata(ParentNodeProvider, node)
        used = not isinstance(parent, cst.Expr)
        if converted.emitted.script is not None:
            converted.notes.append("It still returns the wait status sh gave `os.system`.")
            self._propose_runtime(node, "system", converted)
            return
        if used:
            converted.notes.append(
                "The value is still a wait status (exit status << 8), as `os.system` returned; a "
                "program killed by a signal now gives a negative number."
            )

        def build(replaced: Replacements) -> cst.CSTNode:
            call = cst.Call(
                subprocess_attr("call" if used else "run"),
                [cst.Arg(converted.value(replaced)), *converted.keywords(replaced)],
            )
            if not used:
                return call
            status = cst.BinaryOperation(call, cst.LeftShift(), cst.Integer("8"))
            if binds_tighter(parent, node):
                status = status.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return status

        self._propose(node, build, converted, drops=self._import_of(node))

    def _popen(self, node: cst.Call) -> None:
        command = first_arg(node)
        reader = self._popen_reader(node)
        if command is None:
            return
        if reader is None:
            converted = self._convert_first_arg(node, {}, keywords=False)
            if converted is not None:
                converted.notes.append(
                    "It still returns a file object whose close() gives the wait status."
                )
                self._propose_runtime(node, "popen", converted)
            return
        converted = self._convert(node, command, {"stdout": "set"})
        if converted is None:
            return
        read_call, method = reader

        def build(replaced: Replacements) -> cst.CSTNode:
            run_func = (
                subprocess_attr("run")
                if converted.emitted.script is None
                else cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name("run"))
            )
            run = cst.Call(
                run_func,
                [
                    cst.Arg(converted.value(replaced)),
                    keyword_arg("stdout", subprocess_attr("PIPE")),
                    keyword_arg("text", cst.Name("True")),
                    *converted.keywords(replaced),
                ],
            )
            stdout = cst.Attribute(run, cst.Name("stdout"))
            if method == "read":
                return stdout
            # readlines() splits at "\n" only; str.splitlines also at \f, \x1c, \u2028, ...
            lines = cst.Call(cst.Attribute(cst.Name("io"), cst.Name("StringIO")), [cst.Arg(stdout)])
            return cst.Call(cst.Attribute(lines, cst.Name("readlines")))

        adds: tuple[Import, ...] = (("io", None, None),) if method == "readlines" else ()
        drops = self._import_of(node)
        self._propose(
            read_call,
            build,
            converted,
            adds=(("subprocess", None, None), *adds),
            drops=drops,
            site=node,
        )

    def _getoutput(self, node: cst.Call) -> None:
        converted = self._convert_first_arg(node, {"stdout": "set", "stderr": "STDOUT"})
        if converted is None:
            return
        converted.notes.append(
            "stderr is still merged into the output and one trailing newline removed."
        )
        if converted.emitted.script is not None:
            self._propose_runtime(node, "getoutput", converted)
            return

        def build(replaced: Replacements) -> cst.CSTNode:
            call = substituted_call(node, replaced)
            run = cst.Call(
                subprocess_attr("run"),
                [
                    cst.Arg(converted.value(replaced)),
                    keyword_arg("stdout", subprocess_attr("PIPE")),
                    keyword_arg("stderr", subprocess_attr("STDOUT")),
                    keyword_arg("text", cst.Name("True")),
                    *[
                        keyword_arg(a.keyword.value, a.value)
                        for a in call.args[1:]
                        if a.keyword is not None
                    ],
                ],
            )
            return cst.Call(
                cst.Attribute(cst.Attribute(run, cst.Name("stdout")), cst.Name("removesuffix")),
                [cst.Arg(cst.SimpleString('"\\n"'))],
            )

        self._propose(node, build, converted, drops=self._import_of(node))

    def _getstatusoutput(self, node: cst.Call) -> None:
        converted = self._convert_first_arg(node, {}, keywords=False)
        if converted is not None:
            converted.notes.append("It still returns (status, output), stderr merged.")
            self._propose_runtime(node, "getstatusoutput", converted)

    def _propose_runtime(self, node: cst.Call, helper: str, converted: Command) -> None:
        """`helper(argv or script, ...)` from the vendored runtime, for a result stdlib cannot
        give without a shell; the call's other arguments are kept."""
        command_index = command_position(node, keyword="cmd")

        def build(replaced: Replacements) -> cst.CSTNode:
            assert command_index is not None
            call = substituted_call(node, replaced)
            return as_runtime_call(call, helper, command_index, converted.value(replaced))

        self._propose(node, build, converted, drops=self._import_of(node), helper=helper)

    def _create_subprocess_shell(self, node: cst.Call, names: set[str]) -> None:
        command_index = command_position(node, keyword="cmd")
        if command_index is None:
            return
        command = node.args[command_index].value
        converted = self._convert(node, command, call_streams(node), call=node)
        if converted is None:
            return
        if converted.emitted.script is not None:
            self._refuse(
                node,
                "needs harden's script runner, which is not asynchronous: "
                "`create_subprocess_shell` is converted for one program only",
                command,
            )
            return
        module = (
            "asyncio.subprocess"
            if "asyncio.subprocess.create_subprocess_shell" in names
            else "asyncio"
        )
        adds: tuple[Import, ...] = ()
        drops: tuple[Import, ...] = ()
        if isinstance(node.func, cst.Name):
            adds = ((module, "create_subprocess_exec", None),)
            drops = self._import_of(node)

        def build(replaced: Replacements) -> cst.CSTNode:
            call = substituted_call(node, replaced)
            func = call.func
            if isinstance(func, cst.Attribute):
                func = func.with_changes(attr=cst.Name("create_subprocess_exec"))
            else:
                func = cst.Name("create_subprocess_exec")
            rest = [a for i, a in enumerate(call.args) if i != command_index]
            args = [*converted.args(replaced), *rest, *converted.keywords(replaced)]
            return call.with_changes(func=func, args=recomma(args, call.args))

        keyword_module = (("subprocess", None, None),) if converted.emitted.keywords else ()
        self._propose(node, build, converted, adds=(*adds, *keyword_module), drops=drops)


class ShellCommands(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = CommandPlanner
