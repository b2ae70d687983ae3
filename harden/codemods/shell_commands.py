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

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from harden.codemods.base import (
    CodemodInfo,
    Companion,
    Example,
    PlannedCodemod,
    Planner,
    Proposal,
    Refusal,
    Replacements,
    substitute,
)
from harden.codemods.call_sites import Sink
from harden.codemods.imports import Import, import_of
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.findings.model import Severity
from harden.shell.argv import Argv, ArgvItem
from harden.shell.origin import NeedsWholeModule, OriginTracer, Traced, Untraceable
from harden.shell.script import STREAMS, Emitted, Streams, emit
from harden.shell.syntax import Script, parse, words_of
from harden.shell.words import NeedsShell, Piece, Placeholder, Splitting, Substitution, Variable

_SUBPROCESS_SHELL_KW = frozenset(
    f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output", "Popen")
)
_SYSTEM = frozenset({"os.system", "posix.system"})
_POPEN = frozenset({"os.popen"})
_GETOUTPUT = frozenset({"subprocess.getoutput"})
_GETSTATUSOUTPUT = frozenset({"subprocess.getstatusoutput"})
_ASYNC_SHELL = frozenset(
    {"asyncio.create_subprocess_shell", "asyncio.subprocess.create_subprocess_shell"}
)


INFO = CodemodInfo(
    id="shell-commands",
    phase=5,
    title="Commands run without a shell",
    rule="shell-command",
    rationale=(
        "A command string handed to /bin/sh lets any value spliced into it add commands of its "
        "own (`; rm -rf ~`, `$(curl ...)`). Running the program directly with an argument list "
        "makes every value one inert argument. The conversion follows sh's quoting rules word by "
        "word, so the program receives exactly the arguments it received before for every input "
        "without shell syntax in it. Pipelines, redirections, lists, variables, `~`, globs and "
        "`$(...)` keep their meaning: one program runs through the same stdlib call (`cd DIR &&` "
        "becomes `cwd=`, `2>&1` `stderr=subprocess.STDOUT`), anything more through the vendored "
        "runtime's script runner; what neither can express (heredocs, loops, functions) is "
        "reported, never half-converted."
    ),
    prefilter=tuple(
        re.compile(pattern)
        for pattern in (
            # shell= with anything but a literal False/None (those run no shell)
            r"shell\s*=(?!=)\s*(?!False\b|None\b)",
            # a call of the function, or an import that renames it (`from os import system as
            # run`); subprocess.Popen matters only with shell=, matched above
            r"popen(?:\s*\(|\s+as\s)",
            r"getoutput(?:\s*\(|\s+as\s)",
            r"getstatusoutput(?:\s*\(|\s+as\s)",
            r"create_subprocess_shell(?:\s*\(|\s+as\s)",
            # ... but not platform.system() or subsystem()
            r"system(?:\s*\((?<!platform\.system\()(?<!\wsystem\()|\s+as\s)",
        )
    ),
    sinks=(
        *(Sink(name, keyword="shell") for name in sorted(_SUBPROCESS_SHELL_KW)),
        *(
            Sink(name)
            for name in sorted(_SYSTEM | _POPEN | _GETOUTPUT | _GETSTATUSOUTPUT | _ASYNC_SHELL)
        ),
    ),
    examples=(
        Example(
            before=(
                "import subprocess\n\n"
                "def log(repo: str, n: int) -> str:\n"
                "    cmd = f\"git -C {repo} log -n {n} --format='%h %s'\"\n"
                "    return subprocess.run(cmd, shell=True, capture_output=True, "
                "text=True).stdout\n"
            ),
            after=(
                "import subprocess\n\n"
                "def log(repo: str, n: int) -> str:\n"
                '    cmd = ["git", "-C", repo, "log", "-n", str(n), "--format=%h %s"]\n'
                "    return subprocess.run(cmd, capture_output=True, text=True).stdout\n"
            ),
        ),
        Example(
            before="import os\n\ndef clean(path):\n    os.system('rm -rf ' + path)\n",
            after=(
                "import subprocess\n\ndef clean(path):\n"
                '    subprocess.run(["rm", "-rf", str(path)])\n'
            ),
        ),
        Example(
            before=(
                "import os\n\ndef ok(host: str) -> bool:\n"
                "    return os.system(f'ping -c 1 {host}') == 0\n"
            ),
            after=(
                "import subprocess\n\ndef ok(host: str) -> bool:\n"
                '    return subprocess.call(["ping", "-c", "1", host]) << 8 == 0\n'
            ),
        ),
        Example(
            before="import os\n\ndef who() -> str:\n    return os.popen('whoami').read()\n",
            after=(
                "import subprocess\n\ndef who() -> str:\n"
                '    return subprocess.run(["whoami"], stdout=subprocess.PIPE, text=True).stdout\n'
            ),
        ),
        Example(
            before=(
                "from subprocess import getoutput\n\n"
                "def kernel() -> str:\n    return getoutput('uname -r')\n"
            ),
            after=(
                "import subprocess\n\ndef kernel() -> str:\n"
                '    return subprocess.run(["uname", "-r"], stdout=subprocess.PIPE, '
                'stderr=subprocess.STDOUT, text=True).stdout.removesuffix("\\n")\n'
            ),
        ),
        Example(
            before=(
                "import asyncio\n\nasync def tail(path: str, extra_args: str = ''):\n"
                "    return await asyncio.create_subprocess_shell(\n"
                "        f'tail {extra_args} \"{path}\"', stdout=asyncio.subprocess.PIPE\n    )\n"
            ),
            after=(
                "import asyncio\nimport shlex\n\nasync def tail(path: str, extra_args: str = ''):\n"
                "    return await asyncio.create_subprocess_exec(\n"
                '        "tail", *shlex.split(extra_args), path, '
                "stdout=asyncio.subprocess.PIPE\n    )\n"
            ),
        ),
        Example(
            before=(
                "import subprocess\n\ndef pods(name: str) -> str:\n"
                "    return subprocess.check_output("
                "f'kubectl get pods -A | grep {name}', shell=True, text=True)\n"
            ),
            after=(
                "import harden_runtime\n\ndef pods(name: str) -> str:\n"
                '    return harden_runtime.check_output([["kubectl", "get", "pods", "-A"], "|", '
                '["grep", name]], text=True)\n'
            ),
        ),
        Example(
            before=(
                "import subprocess\n\ndef history(repo: str, path: str) -> str:\n"
                "    cmd = f'cd {repo} && git log --oneline -- {path} 2>&1'\n"
                "    return subprocess.check_output(cmd, shell=True, text=True)\n"
            ),
            after=(
                "import subprocess\n\ndef history(repo: str, path: str) -> str:\n"
                '    cmd = ["git", "log", "--oneline", "--", path]\n'
                "    return subprocess.check_output(cmd, text=True, stderr=subprocess.STDOUT, "
                "cwd=repo)\n"
            ),
        ),
        Example(
            before=(
                "import os\n\ndef index() -> int:\n"
                "    return os.system('ls -1t ~/notes/*.md > $TMPDIR/index.txt')\n"
            ),
            after=(
                "import os\nimport harden_runtime\n\ndef index() -> int:\n"
                '    return harden_runtime.system([["ls", "-1t", harden_runtime.glob('
                '"{}/notes/*.md", os.path.expanduser("~"))], ">", '
                'f\'{os.environ.get("TMPDIR", "")}/index.txt\'])\n'
            ),
        ),
        Example(
            before=(
                'import subprocess\n\nDISK_USAGE = "df -h"\n\ndef disk() -> str:\n'
                "    return subprocess.check_output(DISK_USAGE, shell=True, text=True)\n"
            ),
            after=(
                'import subprocess\n\nDISK_USAGE = "df -h"\n\ndef disk() -> str:\n'
                '    return subprocess.check_output(["df", "-h"], text=True)\n'
            ),
        ),
        Example(
            before=(
                "import subprocess\n\ndef ping_command(host: str, count: int) -> str:\n"
                '    return f"ping -c {count} {host}"\n\n'
                "def ping(host: str) -> int:\n"
                "    return subprocess.call(ping_command(host, 3), shell=True)\n"
            ),
            after=(
                "import subprocess\n\ndef ping_command(host: str, count: int) -> str:\n"
                '    return f"ping -c {count} {host}"\n\n'
                "def ping(host: str) -> int:\n"
                '    return subprocess.call(["ping", "-c", "3", host])\n'
            ),
        ),
        Example(
            before=(
                "import subprocess\n\ndef _run(cmd: str) -> str:\n"
                "    return subprocess.check_output(cmd, shell=True, text=True)\n\n"
                'def disk() -> str:\n    return _run("df -h")\n\n'
                'def uptime() -> str:\n    return _run("uptime -p")\n'
            ),
            after=(
                "import subprocess\nimport shlex\n\ndef _run(cmd: str) -> str:\n"
                "    return subprocess.check_output(shlex.split(cmd), text=True)\n\n"
                'def disk() -> str:\n    return _run("df -h")\n\n'
                'def uptime() -> str:\n    return _run("uptime -p")\n'
            ),
        ),
        Example(
            before=(
                "import subprocess\n\ndef write(path: str, text: str):\n"
                '    subprocess.run(f"cat > {path} <<EOF\\n{text}\\nEOF", shell=True)\n'
            ),
            after=(
                "import subprocess\n\ndef write(path: str, text: str):\n"
                '    subprocess.run(f"cat > {path} <<EOF\\n{text}\\nEOF", shell=True)\n'
            ),
            unfixed="needs a shell: heredoc",
        ),
        Example(
            before=(
                "import subprocess\n\ndef run(command: str):\n"
                "    subprocess.run(command, shell=True)\n"
            ),
            after=(
                "import subprocess\n\ndef run(command: str):\n"
                "    subprocess.run(command, shell=True)\n"
            ),
            unfixed="comes from parameter `command`",
        ),
        Example(
            before="import subprocess\n\ndef run(flag):\n    subprocess.run('ls', shell=flag)\n",
            after="import subprocess\n\ndef run(flag):\n    subprocess.run('ls', shell=flag)\n",
            unfixed="`shell=` is not a literal",
        ),
    ),
)


class CommandPlanner(Planner):
    """Finds shell-running calls and plans each one's argv rewrite, or says why not."""

    METADATA_DEPENDENCIES = (
        QualifiedNameProvider,
        ScopeProvider,
        ParentNodeProvider,
        PositionProvider,
    )

    tracer: OriginTracer

    def visit_Module(self, node: cst.Module) -> None:
        # Made here, not in __init__: the codemod sets `whole_module` after construction.
        self.tracer = OriginTracer(self.get_metadata, whole_module=self.whole_module)

    def visit_Call(self, node: cst.Call) -> None:
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
        if names & _SUBPROCESS_SHELL_KW:
            self._subprocess(node, names)
        elif names & _SYSTEM:
            self._system(node)
        elif names & _POPEN:
            self._popen(node)
        elif names & _GETOUTPUT:
            self._getoutput(node)
        elif names & _GETSTATUSOUTPUT:
            self._getstatusoutput(node)
        elif names & _ASYNC_SHELL:
            self._create_subprocess_shell(node, names)

    # -- one method per API ------------------------------------------------------------------

    def _subprocess(self, node: cst.Call, names: set[str]) -> None:
        shell = _keyword(node, "shell")
        if shell is None or _is_false(shell.value):
            return
        command_index = _command_index(node)
        command = node.args[command_index].value if command_index is not None else None
        if not _is_true(shell.value):
            self._refuse(node, "`shell=` is not a literal True or False", command, Severity.MEDIUM)
            return
        if command is None:
            return
        if _keyword(node, "executable") is not None:
            self._refuse(node, "`executable=` names the shell itself when `shell=True`", command)
            return
        if isinstance(command, cst.List | cst.Tuple):
            if len(command.elements) != 1 or isinstance(command.elements[0], cst.StarredElement):
                self._refuse(
                    node, "a list with `shell=True` hands its items to sh as $0, $1, ...", command
                )
                return
            command = command.elements[0].value
        function = min(names & _SUBPROCESS_SHELL_KW).rpartition(".")[2]
        streams = _call_streams(node, stdout="set" if function == "check_output" else None)
        converted = self._convert(node, command, streams, call=node)
        if converted is None:
            return
        shell_index = node.args.index(shell)
        assert command_index is not None
        if converted.emitted.script is not None:
            reason = _script_runner_refusal(node, function, command_index)
            if reason:
                self._refuse(node, reason, command)
                return

        def build(replaced: Replacements) -> cst.CSTNode:
            call = _substituted_call(node, replaced)
            args = list(call.args)
            args[command_index] = args[command_index].with_changes(value=converted.value(replaced))
            args = [*_without(args, shell_index), *converted.keywords(replaced)]
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
                _subprocess_attr("call" if used else "run"),
                [cst.Arg(converted.value(replaced)), *converted.keywords(replaced)],
            )
            if not used:
                return call
            status = cst.BinaryOperation(call, cst.LeftShift(), cst.Integer("8"))
            if _binds_tighter(parent, node):
                status = status.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return status

        self._propose(node, build, converted, drops=self._import_of(node))

    def _popen(self, node: cst.Call) -> None:
        command = _first_arg(node)
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
                _subprocess_attr("run")
                if converted.emitted.script is None
                else cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name("run"))
            )
            run = cst.Call(
                run_func,
                [
                    cst.Arg(converted.value(replaced)),
                    _kw("stdout", _subprocess_attr("PIPE")),
                    _kw("text", cst.Name("True")),
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
            call = _substituted_call(node, replaced)
            run = cst.Call(
                _subprocess_attr("run"),
                [
                    cst.Arg(converted.value(replaced)),
                    _kw("stdout", _subprocess_attr("PIPE")),
                    _kw("stderr", _subprocess_attr("STDOUT")),
                    _kw("text", cst.Name("True")),
                    *[
                        _kw(a.keyword.value, a.value)
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

    def _propose_runtime(self, node: cst.Call, helper: str, converted: _Command) -> None:
        """`helper(argv or script, ...)` from the vendored runtime, for a result stdlib cannot
        give without a shell; the call's other arguments are kept."""
        command_index = _command_index(node, keyword="cmd")

        def build(replaced: Replacements) -> cst.CSTNode:
            call = _substituted_call(node, replaced)
            args = list(call.args)
            assert command_index is not None
            args[command_index] = args[command_index].with_changes(
                value=converted.value(replaced), keyword=None, equal=cst.MaybeSentinel.DEFAULT
            )
            func = cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name(helper))
            return call.with_changes(func=func, args=args)

        self._propose(node, build, converted, drops=self._import_of(node), helper=helper)

    def _create_subprocess_shell(self, node: cst.Call, names: set[str]) -> None:
        command_index = _command_index(node, keyword="cmd")
        if command_index is None:
            return
        command = node.args[command_index].value
        converted = self._convert(node, command, _call_streams(node), call=node)
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
            call = _substituted_call(node, replaced)
            func = call.func
            if isinstance(func, cst.Attribute):
                func = func.with_changes(attr=cst.Name("create_subprocess_exec"))
            else:
                func = cst.Name("create_subprocess_exec")
            rest = [a for i, a in enumerate(call.args) if i != command_index]
            args = [*converted.args(replaced), *rest, *converted.keywords(replaced)]
            return call.with_changes(func=func, args=_recomma(args, call.args))

        keyword_module = (("subprocess", None, None),) if converted.emitted.keywords else ()
        self._propose(node, build, converted, adds=(*adds, *keyword_module), drops=drops)

    # -- shared steps ------------------------------------------------------------------------

    def _convert(
        self,
        node: cst.Call,
        command: cst.BaseExpression,
        streams: Streams,
        *,
        call: cst.Call | None = None,
        keywords: bool = True,
    ) -> _Command | None:
        """Trace, parse and emit the command; on failure record a refusal and return None.
        `call`: the call whose `cwd=` and `env=` the command runs with; `keywords`: whether
        the rewritten call takes `cwd=` and stream keywords (the runtime's helpers do not)."""
        try:
            traced = self.tracer.trace(command)
        except Untraceable as reason:
            self._refuse(node, str(reason), command)
            return None
        except NeedsWholeModule:
            self.needs_whole_module = True
            return None
        has_values = any(isinstance(p, Placeholder) for p in traced.pieces)
        env = _keyword(call, "env") if call is not None else None
        options = _EmitOptions(
            streams if keywords else dict.fromkeys(STREAMS, "set"),
            cwd_given=not keywords or (call is not None and _keyword(call, "cwd") is not None),
            environ=env.value if env is not None else None,
        )
        if traced.literals:
            emitted = self._split_at_run_time(node, command, traced, options)
            if emitted is None:
                return None
            return _Command(traced, options, emitted, [_literals_note(traced)])
        try:
            script = parse(traced.pieces)
            emitted = options.emit(script)
        except NeedsShell as needs:
            detail = f" ({needs.detail})" if needs.detail else ""
            self._refuse(
                node, f"needs a shell: {needs.feature}{detail}", command, _severity(has_values)
            )
            return None
        if emitted.environ_used and env is not None and not _is_stable(env.value):
            self._refuse(
                node,
                "`$VAR` or `~` would read `env=`, an expression harden would evaluate twice",
                command,
            )
            return None
        variable = traced.variable if self._only_use_is_here(traced) else ""
        notes = [*emitted.notes, *_value_notes(script)]
        if traced.variable and not traced.definitions:
            notes.append(
                f"Module-level `{traced.variable}` is written out here: setting it from outside "
                "the module (a test's monkeypatch) no longer changes the command."
            )
        return _Command(traced, options, emitted, notes, variable)

    def _split_at_run_time(
        self,
        node: cst.Call,
        command: cst.BaseExpression,
        traced: Traced,
        options: _EmitOptions,
    ) -> Emitted | None:
        """`shlex.split(param)` as the argv, when every literal the callers pass is one program
        with plain words that shlex.split gives exactly as sh did; else a refusal and None."""
        (piece,) = traced.pieces
        assert isinstance(piece, Placeholder)
        for text in traced.literals:
            why = _not_split_alike(text, options)
            if why:
                self._refuse(
                    node,
                    f"the command comes from parameter `{piece.name}`, and a call passes "
                    f"{text!r}, which {why}",
                    command,
                )
                return None
        split = cst.Call(
            cst.Attribute(cst.Name("shlex"), cst.Name("split")), [cst.Arg(piece.value)]
        )
        argv = Argv((ArgvItem(split, starred=True),), frozenset({"shlex"}))
        return Emitted(argv, (), None, argv.imports, False, (), False)

    def _convert_first_arg(
        self, node: cst.Call, streams: Streams, *, keywords: bool = True
    ) -> _Command | None:
        command = _first_arg(node)
        if command is None:
            return None
        return self._convert(node, command, streams, keywords=keywords)

    def _propose(
        self,
        node: cst.CSTNode,
        build: Callable[[Replacements], cst.CSTNode],
        command: _Command,
        *,
        adds: tuple[Import, ...] = (),
        drops: tuple[Import, ...] = (),
        site: cst.Call | None = None,
        helper: str = "",
    ) -> None:
        """Plan the rewrite; `helper`: the call becomes that function of the vendored runtime."""
        call = site or node
        assert isinstance(call, cst.Call)
        # Before Python 3.12 an f-string's {...} can hold neither its quote nor a backslash:
        # such a rewrite is made only together with the one that rebuilds that f-string.
        fstring = self._enclosing_fstring(node)
        needs = None
        if fstring is not None:
            code = cst.Module([]).code_for_node(build({}))
            if fstring.quote[0] in code or "\\" in code:
                needs = fstring
        emitted = command.emitted
        notes = command.notes
        if command.variable:
            held = "argument list" if emitted.script is None else "script"
            notes.append(f"`{command.variable}` now holds the {held}, not a command line.")
        if emitted.keywords or (not helper and self._needs_subprocess(node)):
            adds = (("subprocess", None, None), *adds)
        adds = (*adds, *((module, None, None) for module in sorted(emitted.imports)))
        if command.traced.literals:
            intro = "Runs the program directly instead of through /bin/sh."
            notes.append(_MISSING_PROGRAM)
        elif emitted.script is None:
            intro = _intro(emitted.argv)
            if helper != "getstatusoutput":
                notes.append(_MISSING_PROGRAM)
        else:
            intro = (
                "Runs the command line without /bin/sh: harden_runtime starts each program "
                "directly, so no value can add shell syntax."
            )
        has_values = not command.traced.literals and any(
            isinstance(p, Placeholder) for p in command.traced.pieces
        )
        self.plans.append(
            Proposal(
                node=node,
                build=build,
                note=" ".join([intro, *notes]),
                severity=_severity(has_values),
                message=_message(call, has_values),
                companions=command.definition_changes(),
                add_imports=adds,
                drop_imports=drops,
                uses_runtime=bool(helper) or emitted.runtime,
                needs=needs,
            )
        )

    def _enclosing_fstring(self, node: cst.CSTNode) -> cst.FormattedString | None:
        """The f-string whose `{...}` holds `node`, if one does."""
        parent = self.get_metadata(ParentNodeProvider, node, None)
        while parent is not None:
            if isinstance(parent, cst.FormattedString):
                return parent
            parent = self.get_metadata(ParentNodeProvider, parent, None)
        return None

    def _refuse(
        self,
        node: cst.Call,
        reason: str,
        command: cst.BaseExpression | None,
        severity: Severity | None = None,
    ) -> None:
        literal = isinstance(command, cst.SimpleString | cst.ConcatenatedString)
        has_values = not literal
        self.plans.append(
            Refusal(
                node=node,
                reason=reason,
                severity=severity or _severity(has_values),
                message=_message(node, has_values),
            )
        )

    def _popen_reader(self, node: cst.Call) -> tuple[cst.Call, str] | None:
        """`os.popen(cmd).read()` (or `.readlines()`): the read call and the method's name."""
        if len(node.args) > 1 and not (
            isinstance(node.args[1].value, cst.SimpleString)
            and node.args[1].value.evaluated_value == "r"
        ):
            return None
        attribute = self.get_metadata(ParentNodeProvider, node)
        if not isinstance(attribute, cst.Attribute) or attribute.attr.value not in (
            "read",
            "readlines",
        ):
            return None
        call = self.get_metadata(ParentNodeProvider, attribute)
        if not isinstance(call, cst.Call) or call.func is not attribute or call.args:
            return None
        return call, attribute.attr.value

    def _only_use_is_here(self, traced: Traced) -> bool:
        """Whether the command's variable is read nowhere but at this call."""
        if not traced.definitions:
            return False
        # Every definition is in the same function scope; ask it once.
        target = traced.definitions[0].body[0]
        name = target.targets[0].target if isinstance(target, cst.Assign) else target.target  # type: ignore[attr-defined]
        scope = self.get_metadata(ScopeProvider, name)
        return all(len(assignment.references) <= 1 for assignment in scope[traced.variable])

    def _import_of(self, node: cst.Call) -> tuple[Import, ...]:
        """The import that named the callee, to drop if the rewrite leaves it unused."""
        qualified = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
        return import_of(node.func, qualified)

    def _needs_subprocess(self, node: cst.CSTNode) -> bool:
        return not (
            isinstance(node, cst.Call)
            and {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
            & (_SUBPROCESS_SHELL_KW | _ASYNC_SHELL)
        )


class ShellCommands(PlannedCodemod):
    INFO = INFO
    PLANNER = CommandPlanner


@dataclass(frozen=True, slots=True)
class _EmitOptions:
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
class _Command:
    """A command harden can run without a shell: where its text came from, how it is emitted
    (argv and keywords, or the runtime's script), notes for the reviewer, and the variable that
    will hold the argv or script (if it was only built for this call; then its definition
    becomes the list and the call keeps the name)."""

    traced: Traced
    options: _EmitOptions
    emitted: Emitted
    notes: list[str]
    variable: str = ""

    def final(self, replaced: Replacements) -> Emitted:
        """Emitted again with the nested rewrites inside its values, so that its quoting
        choices (which quote an f-string takes, whether a value fits in one) see the final
        code."""
        if not replaced or self.traced.literals:  # a parameter holds no nested rewrite
            return self.emitted
        pieces = [_substituted_piece(piece, replaced) for piece in self.traced.pieces]
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
        return [_kw(name, value) for name, value in self.final(replaced).keywords]

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


_MISSING_PROGRAM = (
    "A missing program now raises FileNotFoundError where sh reported exit status 127."
)


def _not_split_alike(text: str, options: _EmitOptions) -> str:
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


def _literals_note(traced: Traced) -> str:
    (piece,) = traced.pieces
    assert isinstance(piece, Placeholder)
    shown = ", ".join(f"`{text}`" for text in dict.fromkeys(traced.literals))
    return (
        f"`{piece.name}` is split with shlex.split, as sh split it for every call in this "
        f"module ({shown}, each checked). A caller elsewhere passing shell syntax (a pipe, "
        "`$VAR`, `>`) would now have it passed to the program as text."
    )


def _intro(argv: Argv | None) -> str:
    assert argv is not None
    first = argv.items[0].value
    program = (
        first.evaluated_value
        if isinstance(first, cst.SimpleString)
        else cst.Module([]).code_for_node(first)
    )
    return (
        f"Runs `{program}` directly instead of through /bin/sh, so no value can add shell syntax."
    )


def _value_notes(script: Script) -> list[str]:
    notes: list[str] = []
    seen: set[str] = set()
    for word in words_of(script):
        for part in word:
            value = part.piece
            if isinstance(value, Variable | Substitution) and not part.quoted and len(word) > 1:
                shown = f"${value.name}" if isinstance(value, Variable) else "$(...)"
                if shown not in seen:
                    seen.add(shown)
                    notes.append(
                        f"`{shown}` glued to text is used whole: sh split a value with blanks "
                        "there into several arguments."
                    )
            if not isinstance(value, Placeholder):
                continue
            code = cst.Module([]).code_for_node(value.value)
            if code in seen:
                continue
            seen.add(code)
            alone = len(word) == 1 and not part.quoted
            if alone and value.splitting is Splitting.ONE:
                notes.append(
                    f"`{code}` is passed as one argument (sh split it at blanks and dropped it "
                    "when empty)."
                )
            elif alone and value.splitting is Splitting.WORDS:
                notes.append(f"`{code}` is split into arguments with shlex.split, as sh split it.")
            elif alone and value.splitting is Splitting.LIST:
                notes.append(f"The items of `{code}` become one argument each.")
    return notes


def _message(call: cst.Call, has_values: bool) -> str:
    callee = cst.Module([]).code_for_node(call.func)
    if has_values:
        return f"`{callee}` runs a shell command built from values: injectable"
    return f"`{callee}` runs a constant command through /bin/sh"


def _severity(has_values: bool) -> Severity:
    return Severity.HIGH if has_values else Severity.LOW


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _command_index(call: cst.Call, keyword: str = "args") -> int | None:
    for index, arg in enumerate(call.args):
        if (arg.keyword is None and not arg.star and index == 0) or (
            arg.keyword is not None and arg.keyword.value == keyword
        ):
            return index
    return None


def _first_arg(call: cst.Call) -> cst.BaseExpression | None:
    index = _command_index(call, keyword="cmd")
    return call.args[index].value if index is not None else None


def _is_true(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"


def _is_false(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value in ("False", "None")


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _subprocess_attr(name: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("subprocess"), cst.Name(name))


def _substituted_piece(piece: Piece, replaced: Replacements) -> Piece:
    if not isinstance(piece, Placeholder):
        return piece
    items = substitute(piece.items, replaced) if piece.items is not None else None
    return replace(piece, value=substitute(piece.value, replaced), items=items)


def _call_streams(call: cst.Call, *, stdout: str | None = None) -> dict[str, str | None]:
    """What the call's keywords do with stdin, stdout and stderr (see script.Streams)."""
    streams: dict[str, str | None] = {"stdin": None, "stdout": stdout, "stderr": None}
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else ""
        if _is_false(arg.value):
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


def _script_runner_refusal(call: cst.Call, function: str, command_index: int) -> str:
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


def _is_stable(expr: cst.BaseExpression) -> bool:
    """A name or an attribute of one: the same value however often it is read."""
    if isinstance(expr, cst.Attribute):
        return _is_stable(expr.value)
    return isinstance(expr, cst.Name)


def _substituted_call(node: cst.Call, replaced: Replacements) -> cst.Call:
    call = substitute(node, replaced)
    assert isinstance(call, cst.Call)
    return call


def _without(args: list[cst.Arg], index: int) -> list[cst.Arg]:
    """Drop args[index]; the comma after the last argument keeps the call's layout."""
    kept = [a for i, a in enumerate(args) if i != index]
    if index == len(args) - 1 and kept:
        kept[-1] = kept[-1].with_changes(comma=args[index].comma)
    return kept


def _recomma(args: list[cst.Arg], original: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Separate new arguments with `, ` and end them as the original call ended."""
    out = [
        a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in args
    ]
    if out:
        out[-1] = out[-1].with_changes(
            comma=original[-1].comma if original else cst.MaybeSentinel.DEFAULT
        )
    return out


def _binds_tighter(parent: cst.CSTNode | None, node: cst.CSTNode) -> bool:
    """Whether `node`'s parent would bind tighter than `<<`, so the rewrite needs parentheses."""
    if isinstance(parent, cst.BinaryOperation | cst.Attribute | cst.Subscript | cst.Await):
        return True
    if isinstance(parent, cst.UnaryOperation):
        return not isinstance(parent.operator, cst.Not)
    return isinstance(parent, cst.Call) and parent.func is node
