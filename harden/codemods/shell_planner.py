"""The steps every shell-running call shares: trace its command, convert it, propose the
rewrite with its note, or refuse with the reason. shell_commands.py adds one method per API.

It plans; the edit itself is made by the codemod base from the proposals, and only for the
rewrites the run accepts.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from harden.codemods.base import Planner, Proposal, Refusal, Replacements
from harden.codemods.catalog.shell_commands import ASYNC_SHELL, SUBPROCESS_SHELL_KW
from harden.codemods.imports import Import, import_of
from harden.codemods.shell_built import built_command
from harden.codemods.shell_callers import callers_command
from harden.codemods.shell_calls import find_keyword, first_arg, is_stable
from harden.codemods.shell_conversion import Command, EmitOptions, not_split_alike
from harden.codemods.shell_notes import (
    MISSING_PROGRAM,
    argv_intro,
    finding_message,
    finding_severity,
    literals_note,
    value_notes,
)
from harden.codemods.shell_shim import shim_builder, shim_note
from harden.findings.model import Severity
from harden.shell.argv import Argv, ArgvItem
from harden.shell.expressions import code
from harden.shell.origin import OriginTracer, Traced
from harden.shell.script import STREAMS, Emitted, Streams
from harden.shell.syntax import parse
from harden.shell.untraceable import NeedsWholeModule, Untraceable
from harden.shell.words import NeedsShell, Placeholder


class ShellCallPlanner(Planner):
    """Finds shell-running calls and plans each one's rewrite, or says why not."""

    METADATA_DEPENDENCIES = (
        QualifiedNameProvider,
        ScopeProvider,
        ParentNodeProvider,
        PositionProvider,
    )

    tracer: OriginTracer

    def visit_Module(self, node: cst.Module) -> None:
        # Made here, not in __init__: the codemod sets `whole_module` after construction.
        self.tracer = OriginTracer(
            self.get_metadata,
            whole_module=self.whole_module,
            named_elsewhere=self.named_elsewhere,
        )

    def _convert(
        self,
        node: cst.Call,
        command: cst.BaseExpression,
        streams: Streams,
        *,
        call: cst.Call | None = None,
        keywords: bool = True,
    ) -> Command | None:
        """Trace, parse and emit the command; on failure record a refusal and return None.
        `call`: the call whose `cwd=` and `env=` the command runs with; `keywords`: whether
        the rewritten call takes `cwd=` and stream keywords (the runtime's helpers do not)."""
        env = find_keyword(call, "env") if call is not None else None
        options = EmitOptions(
            streams if keywords else dict.fromkeys(STREAMS, "set"),
            cwd_given=not keywords or (call is not None and find_keyword(call, "cwd") is not None),
            environ=env.value if env is not None else None,
        )
        try:
            try:
                traced = self.tracer.trace(command)
            except Untraceable as reason:
                built = self._built(command, options)
                if built is None:
                    self._shim(node, str(reason), command)
                return built
            if traced.callers:
                return self._from_callers(node, command, traced, options)
        except NeedsWholeModule:
            self.needs_whole_module = True
            return None
        has_values = any(isinstance(p, Placeholder) for p in traced.pieces)
        if traced.literals:
            emitted = self._split_at_run_time(node, command, traced, options)
            if emitted is None:
                return None
            return Command(traced, options, emitted, [literals_note(traced)])
        try:
            script = parse(traced.pieces)
            emitted = options.emit(script)
        except NeedsShell as needs:
            detail = f" ({needs.detail})" if needs.detail else ""
            self._refuse(
                node,
                f"needs a shell: {needs.feature}{detail}",
                command,
                finding_severity(has_values),
            )
            return None
        if emitted.environ_used and env is not None and not is_stable(env.value):
            self._refuse(
                node,
                "`$VAR` or `~` would read `env=`, an expression harden would evaluate twice",
                command,
            )
            return None
        variable = traced.variable if self._only_use_is_here(traced) else ""
        notes = [*emitted.notes, *value_notes(script, emitted.alone)]
        if traced.variable and not traced.definitions:
            notes.append(
                f"Module-level `{traced.variable}` is written out here: setting it from outside "
                "the module (a test's monkeypatch) no longer changes the command."
            )
        return Command(traced, options, emitted, notes, variable)

    def _built(self, command: cst.BaseExpression, options: EmitOptions) -> Command | None:
        """The command as a list built where its variable was (shell_built.py), or None."""
        if not isinstance(command, cst.Name):
            return None
        try:
            return built_command(self.tracer.built(command), options, command.value)
        except (Untraceable, NeedsShell):
            return None

    def _from_callers(
        self, node: cst.Call, command: cst.BaseExpression, traced: Traced, options: EmitOptions
    ) -> Command | None:
        """The runner's parameter as the argument list each call passes (shell_callers.py);
        else the shim, with the reason."""
        runner = self.get_metadata(ScopeProvider, command).node.name.value  # type: ignore[union-attr]
        try:
            calls = []
            for given in traced.callers:
                if isinstance(given, cst.Name):
                    raise Untraceable(f"`{runner}` is called with `{given.value}`")
                try:
                    calls.append((given, self.tracer.trace(given)))
                except Untraceable as why:
                    raise Untraceable(f"`{runner}` is called with `{code(given)}`: {why}") from None
            return callers_command(runner, traced, calls, options)
        except Untraceable as why:
            self._shim(
                node, f"the command comes from parameter `{code(command)}`, and {why}", command
            )
            return None

    def _split_at_run_time(
        self,
        node: cst.Call,
        command: cst.BaseExpression,
        traced: Traced,
        options: EmitOptions,
    ) -> Emitted | None:
        """`shlex.split(param)` as the argv, when every literal the callers pass is one program
        with plain words that shlex.split gives exactly as sh did; else a refusal and None."""
        (piece,) = traced.pieces
        assert isinstance(piece, Placeholder)
        for text in traced.literals:
            why = not_split_alike(text, options)
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
    ) -> Command | None:
        command = first_arg(node)
        if command is None:
            return None
        return self._convert(node, command, streams, keywords=keywords)

    def _propose(
        self,
        node: cst.CSTNode,
        build: Callable[[Replacements], cst.CSTNode],
        command: Command,
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
        alias = self._subprocess_alias(call)
        if alias:
            # `sp.run(...)` of `import subprocess as sp`: its keywords say `sp.STDOUT`.
            build = _renaming_subprocess(build, alias)
        elif emitted.keywords or (not helper and self._needs_subprocess(node)):
            adds = (("subprocess", None, None), *adds)
        adds = (*adds, *((module, None, None) for module in sorted(emitted.imports)))
        if command.traced.literals:
            intro = "Runs the program directly instead of through /bin/sh."
            notes.append(MISSING_PROGRAM)
        elif emitted.script is None:
            intro = argv_intro(emitted.argv)
            if helper != "getstatusoutput":
                notes.append(MISSING_PROGRAM)
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
                severity=finding_severity(has_values),
                message=finding_message(call, has_values),
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

    def _shim(self, node: cst.Call, why: str, command: cst.BaseExpression | None) -> None:
        """Route the call through the runtime's shim (shell_shim.py), which reads the command
        when it runs; refuse with `why` when the call's arguments do not allow it."""
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
        build = shim_builder(node, names)
        if isinstance(build, str):
            self._refuse(node, f"{why}; {build}", command)
            return
        self.plans.append(
            Proposal(
                node=node,
                build=build,
                note=shim_note(why),
                severity=finding_severity(True),
                message=finding_message(node, True),
                drop_imports=self._import_of(node),
                uses_runtime=True,
                runs_callers_command=self.tracer.taking(command),
            )
        )

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
                severity=severity or finding_severity(has_values),
                message=finding_message(node, has_values),
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

    def _subprocess_alias(self, call: cst.Call) -> str:
        """`sp` when the call is `sp.<function>` of `import subprocess as sp`, else ""."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return ""
        qualified = self.get_metadata(QualifiedNameProvider, func.value, set())
        if {q.name for q in qualified} != {"subprocess"} or func.value.value == "subprocess":
            return ""
        return func.value.value

    def _needs_subprocess(self, node: cst.CSTNode) -> bool:
        return not (
            isinstance(node, cst.Call)
            and {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
            & (SUBPROCESS_SHELL_KW | ASYNC_SHELL)
        )


def _renaming_subprocess(
    build: Callable[[Replacements], cst.CSTNode], alias: str
) -> Callable[[Replacements], cst.CSTNode]:
    """`build`, with the `subprocess.X` harden writes (`subprocess.STDOUT`) as `alias.X`: a
    module importing subprocess under another name has no `subprocess` to read."""

    class Rename(cst.CSTTransformer):
        def leave_Attribute(
            self, original_node: cst.Attribute, updated_node: cst.Attribute
        ) -> cst.Attribute:
            if (
                isinstance(updated_node.value, cst.Name)
                and updated_node.value.value == "subprocess"
            ):
                return updated_node.with_changes(value=cst.Name(alias))
            return updated_node

    return lambda replaced: build(replaced).visit(Rename())  # type: ignore[return-value]
