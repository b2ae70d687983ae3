"""Handler discovery: the functions of a module that an MCP server calls for a client's request.

`HandlerProvider` is libcst metadata. Resolved once per module, in one pass over it (batched with
the scope and qualified-name providers it depends on), it attaches a `Discovery` to the Module
node: every handler registration it can prove, and every registration-like place it cannot.
A codemod's planner declares it in METADATA_DEPENDENCIES and reads it in `visit_Module`;
anything else calls `find_handlers(wrapper)`. What the receiver of a registration is comes from
receivers.py; what only other modules show (a server imported, a function of this module that
another module registers) from the project index's facts, given as the provider's cache.

Servers and functions are traced through libcst's scopes and qualified names, never by
spelling, and never guessed: a registration whose server cannot be traced to a known server
class (frameworks.SERVER_CLASSES), or whose function to a function of the project, is reported
as `Unresolved` with the reason and is never returned as a handler. It never changes the module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import (
    Assignment,
    BatchableMetadataProvider,
    MetadataWrapper,
    QualifiedNameProvider,
    ScopeProvider,
)

from harden.mcp.facts import NO_FACTS, ModuleFacts, Remote
from harden.mcp.frameworks import (
    CONSTRUCTOR_KEYWORDS,
    REGISTRARS,
    STANDALONE_TOOL_DECORATORS,
    TOOL_CLASSES,
    Framework,
    HandlerKind,
    Registrar,
)
from harden.mcp.project import index_project
from harden.mcp.receivers import Binding, ReceiverResolution, Verdict, code


@dataclass(frozen=True, slots=True)
class Handler:
    """One registration of `function` as a handler.

    `decorator_index` is the index in `function.decorators` of the registering decorator, the one
    hardening decorators go directly below. None means the function is registered by a call
    elsewhere (`s.tool()(fn)`, `s.add_tool(fn)`, `Server(on_call_tool=fn)`, a loop over methods,
    another module), which registers whatever `function`'s name is bound to: hardening
    decorators then go at the bottom of the list, directly above `def`, so that every
    registration and every direct caller sees the same function.
    """

    function: cst.FunctionDef
    kind: HandlerKind
    # The name clients call it by, when statically known: `name=` or the positional name, else
    # the function's name. None when given by a non-literal, and for low-level call_tool handlers.
    name: str | None
    frameworks: frozenset[Framework]  # those whose registration rules this registration obeys
    # the Decorator, the registering Call, or the constructor's Arg; None when another module
    # registers it (`elsewhere` then says where: `pkg/server.py:14`)
    registration: cst.CSTNode | None
    decorator_index: int | None
    elsewhere: str = ""


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A place that looks like a handler registration but cannot be proven to be one."""

    node: cst.CSTNode  # the Decorator, the Call, or the constructor's Arg
    reason: str
    function: cst.FunctionDef | None = None  # the decorated function, for a decorator


@dataclass(frozen=True, slots=True)
class Discovery:
    handlers: tuple[Handler, ...]  # in source order of their functions
    unresolved: tuple[Unresolved, ...]  # decorators, then calls, then keywords; each in order
    by_function: Mapping[cst.FunctionDef, tuple[Handler, ...]] = field(repr=False)
    # Functions registered at a place harden cannot prove is a registration (here, or in
    # another module), with the reason: what they return may still reach a client.
    unproven: Mapping[cst.FunctionDef, str] = field(default_factory=dict, repr=False)
    # Names of the project's exception classes whose messages are written for the client, as
    # this module's `except` clauses catch them (from the project index).
    client_errors: frozenset[str] = frozenset()
    # Those classes, by path (`src.pkg.errors.PolicyError`), that this module's handlers may
    # let out: mask_errors is told to let their text through.
    kept_errors: frozenset[str] = frozenset()

    def insertion_index(self, function: cst.FunctionDef) -> int:
        """Where in `function.decorators` hardening decorators go: directly below the lowest
        registering decorator, or at the bottom when any registration is by a call."""
        handlers = self.by_function[function]
        indices = [h.decorator_index for h in handlers]
        if None in indices:
            return len(function.decorators)
        return max(i for i in indices if i is not None) + 1


def find_handlers(wrapper: MetadataWrapper) -> Discovery:
    """The handlers of the wrapper's module (resolving the metadata it needs, if not yet)."""
    return wrapper.resolve(HandlerProvider)[wrapper.module]


@dataclass(frozen=True, slots=True)
class _Decorated:
    function: cst.FunctionDef
    index: int
    decorator: cst.Decorator
    receiver: cst.BaseExpression
    method: str
    call: cst.Call | None  # None for a bare decorator


@dataclass(frozen=True, slots=True)
class _Registering:
    """A call that registers functions: `s.tool(...)(fn)`, `s.add_tool(fn)`, `s.tool(fn)`."""

    call: cst.Call
    receiver: cst.BaseExpression
    method: str
    factory: bool  # `s.tool(...)(fn)`, rather than a direct `s.add_tool(fn)`
    functions: cst.BaseExpression
    arguments: Sequence[cst.Arg]  # those that may name the handler


class HandlerProvider(ReceiverResolution, BatchableMetadataProvider[Discovery]):
    """Sets a `Discovery` on the Module node. Its cache is the module's `ModuleFacts` from the
    project index (none: the module is looked at alone).

    The pass only records what resolution needs (registration-shaped decorators and calls,
    assignments, loop targets, methods); everything is resolved when the module is left, so a
    server may be assigned below the functions that use it, as in a method defined above
    `__init__`.
    """

    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider)

    @classmethod
    def gen_cache(
        cls, root_path: Path, paths: list[str], timeout: int | None = None, **kwargs: Any
    ) -> Mapping[str, object]:
        """The facts of `paths` (relative to `root_path`), for libcst's FullRepoManager: the
        project index over those files. The engine builds the index itself from the files it
        read and gives each wrapper its module's facts."""
        files = [(path, (root_path / path).read_text(encoding="utf-8")) for path in paths]
        facts = index_project(files)
        return {path: facts.get(path, NO_FACTS) for path in paths}

    def __init__(self, cache: object = None) -> None:
        # Without a cache (a module looked at alone) there are no facts from other modules.
        super().__init__(NO_FACTS if cache is None else cache)
        self.facts = cache if isinstance(cache, ModuleFacts) else NO_FACTS
        self._top_functions: dict[str, list[cst.FunctionDef]] = {}
        self._owners: list[cst.ClassDef | cst.FunctionDef] = []
        self._order: dict[cst.FunctionDef, int] = {}
        self._decorated: list[_Decorated] = []
        self._registering: list[_Registering] = []
        self._constructed: list[tuple[cst.Call, cst.Arg]] = []
        self._factories: set[cst.Call] = set()  # calls whose result is a decorator
        # `t = s.tool(...)`, then `@t` or `t(fn)`: names bound to such a call, and their uses.
        self._decorator_names: set[str] = set()
        self._named_decorators: list[tuple[cst.FunctionDef, int, cst.Decorator]] = []
        self._named_calls: list[cst.Call] = []
        self._bindings: dict[cst.Name, Binding] = {}  # assignment target -> what it binds
        self._loops: dict[cst.Name, cst.BaseExpression] = {}  # loop variable -> iterable
        self._params: dict[cst.Param, cst.FunctionDef] = {}
        self._self_params: dict[cst.Param, cst.ClassDef] = {}  # a method's first parameter
        self._methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self._class_body: dict[tuple[cst.ClassDef, str], list[Binding]] = {}
        self._attribute_targets: list[tuple[cst.Attribute, Binding]] = []
        self._instance_attributes: dict[tuple[cst.ClassDef, str], list[Binding]] | None = None
        self._verdicts: dict[cst.CSTNode, Verdict] = {}

    # -- the pass: record ----------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._owners.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._owners.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._order[node] = len(self._order)
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self._params[param] = node
        owner = self._owners[-1] if self._owners else None
        if owner is None:
            self._top_functions.setdefault(node.name.value, []).append(node)
        if isinstance(owner, cst.ClassDef):
            self._methods.setdefault((owner, node.name.value), []).append(node)
            positional = (*params.posonly_params, *params.params)
            if positional and not self._is_staticmethod(node):
                self._self_params[positional[0]] = owner
        for index, decorator in enumerate(node.decorators):
            self._record_decorator(node, index, decorator)
        self._owners.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._owners.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record_target(target.target, Binding(node.value, None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._record_target(node.target, Binding(node.value, node.annotation.annotation))

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self._loops[node.target] = node.iter

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        factory = _factory(func)
        if factory is not None:
            assert isinstance(func, cst.Call)
            self._factories.add(func)
            if _one_positional(node.args):
                registering = _Registering(
                    node, factory.value, factory.attr.value, True, node.args[0].value, func.args
                )
                self._registering.append(registering)
        elif (
            node not in self._factories
            and isinstance(func, cst.Attribute)
            and func.attr.value in REGISTRARS
            and REGISTRARS[func.attr.value].direct
            and node.args
            and node.args[0].keyword is None
            and not node.args[0].star
            and not isinstance(node.args[0].value, cst.SimpleString | cst.ConcatenatedString)
        ):
            self._registering.append(
                _Registering(
                    node, func.value, func.attr.value, False, node.args[0].value, node.args[1:]
                )
            )
        elif isinstance(func, cst.Name) and _one_positional(node.args):
            self._named_calls.append(node)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in CONSTRUCTOR_KEYWORDS:
                self._constructed.append((node, arg))

    def _record_decorator(
        self, function: cst.FunctionDef, index: int, decorator: cst.Decorator
    ) -> None:
        expression = decorator.decorator
        factory = _factory(expression)
        if factory is not None:
            assert isinstance(expression, cst.Call)
            self._factories.add(expression)
            attribute, call = factory, expression
        elif isinstance(expression, cst.Attribute) and expression.attr.value in REGISTRARS:
            attribute, call = expression, None
        else:
            if isinstance(expression, cst.Name):
                self._named_decorators.append((function, index, decorator))
            return
        self._decorated.append(
            _Decorated(function, index, decorator, attribute.value, attribute.attr.value, call)
        )

    def _record_target(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self._bindings[target] = binding
            if binding.value is not None and _factory(binding.value) is not None:
                self._decorator_names.add(target.value)
            owner = self._owners[-1] if self._owners else None
            if isinstance(owner, cst.ClassDef):
                self._class_body.setdefault((owner, target.value), []).append(binding)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            self._attribute_targets.append((target, binding))

    def _is_staticmethod(self, function: cst.FunctionDef) -> bool:
        return any(
            q.name == "builtins.staticmethod"
            for d in function.decorators
            for q in self.get_metadata(QualifiedNameProvider, d.decorator, set())
        )

    # -- the end: resolve ----------------------------------------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        found: list[tuple[int, Handler]] = []
        unresolved: list[Unresolved] = []
        self._resolve_named_decorators()
        for decorated in self._decorated:
            handler, problem = self._resolve_decorator(decorated)
            if handler is not None:
                found.append((self._order[handler.function], handler))
            if problem is not None:
                unresolved.append(problem)
        for registering in self._registering:
            self._resolve_call(registering, found, unresolved)
        for call, arg in self._constructed:
            self._resolve_keyword(call, arg, found, unresolved)
        for name, remotes in self.facts.registered.items():
            for function in self._top_functions.get(name, ())[-1:]:  # the last `def` wins
                found += [(self._order[function], self._remote(function, r)) for r in remotes]
        # Stable: a function's registrations keep the order in which they were found.
        handlers = tuple(h for _, h in sorted(found, key=lambda pair: pair[0]))
        by_function: dict[cst.FunctionDef, tuple[Handler, ...]] = {}
        for handler in handlers:
            by_function[handler.function] = (*by_function.get(handler.function, ()), handler)
        unproven = {u.function: u.reason for u in unresolved if u.function is not None}
        for name, reason in self.facts.unproven.items():
            for function in self._top_functions.get(name, ())[-1:]:
                unproven.setdefault(function, reason)
        facts = self.facts
        discovery = Discovery(
            handlers,
            tuple(unresolved),
            by_function,
            unproven,
            facts.client_errors,
            facts.kept_at_run_time,
        )
        self.set_metadata(original_node, discovery)

    def _resolve_named_decorators(self) -> None:
        """Add what a decorator held in a variable registers: `t = s.tool()` then `@t`, or
        `deco = s.tool(name="n")` then `deco(fn)`, as if `s.tool(...)` were written there."""
        for function, index, decorator in self._named_decorators:
            assert isinstance(decorator.decorator, cst.Name)
            bound = self._decorator_bound_to(decorator.decorator)
            if bound is not None:
                call, factory = bound
                self._decorated.append(
                    _Decorated(function, index, decorator, factory.value, factory.attr.value, call)
                )
        for node in self._named_calls:
            assert isinstance(node.func, cst.Name)
            bound = self._decorator_bound_to(node.func)
            if bound is not None:
                call, factory = bound
                self._registering.append(
                    _Registering(
                        node, factory.value, factory.attr.value, True, node.args[0].value, call.args
                    )
                )

    def _decorator_bound_to(self, name: cst.Name) -> tuple[cst.Call, cst.Attribute] | None:
        """The registrar factory call `s.tool(...)` a name is bound to, once and only there."""
        if name.value not in self._decorator_names:
            return None
        assignments = list(self.assignments(name))
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        binding = self._bindings.get(assignments[0].node)
        value = binding.value if binding is not None else None
        factory = _factory(value) if value is not None else None
        if factory is None:
            return None
        assert isinstance(value, cst.Call)
        return value, factory

    def _remote(self, function: cst.FunctionDef, remote: Remote) -> Handler:
        """The handler another module's registration makes of `function`."""
        name = remote.name
        if not remote.named and remote.kind is not HandlerKind.LOWLEVEL_CALL_TOOL:
            name = self._standalone_name(function) or function.name.value
        return Handler(
            function, remote.kind, name, remote.frameworks, None, None, elsewhere=remote.where
        )

    def _resolve_decorator(self, d: _Decorated) -> tuple[Handler | None, Unresolved | None]:
        registrar = REGISTRARS[d.method]
        forms = registrar.factory if d.call is not None else registrar.direct
        if not forms:
            return None, None
        verdict = self.server(d.receiver, frozenset())
        if verdict.reason:
            return None, Unresolved(d.decorator, verdict.reason, d.function)
        frameworks = verdict.frameworks & forms
        if not frameworks:
            return None, None
        arguments = d.call.args if d.call is not None else ()
        name = _registered_name(registrar, arguments, d.function)
        return Handler(d.function, registrar.kind, name, frameworks, d.decorator, d.index), None

    def _resolve_call(
        self, r: _Registering, found: list[tuple[int, Handler]], unresolved: list[Unresolved]
    ) -> None:
        registrar = REGISTRARS[r.method]
        forms = registrar.factory if r.factory else registrar.direct
        verdict = self.server(r.receiver, frozenset())
        if verdict.reason:
            # `s.tool(x)` may be a factory call with a name in a variable: report only a call
            # whose form is certain.
            if r.factory or not registrar.factory:
                unresolved.append(Unresolved(r.call, verdict.reason))
            return
        frameworks = verdict.frameworks & forms
        if not frameworks:
            return
        functions, arguments = r.functions, r.arguments
        wrapped = self._tool_from_function(functions)
        if wrapped is not None:
            functions, arguments = wrapped
        for function in self._functions(functions):
            if isinstance(function, str):
                unresolved.append(Unresolved(r.call, function))
                continue
            name = _registered_name(registrar, arguments, function)
            if r.method == "add_tool" and not _names_it(arguments):
                name = self._standalone_name(function) or name
            found.append(
                (
                    self._order[function],
                    Handler(function, registrar.kind, name, frameworks, r.call, None),
                )
            )

    def _resolve_keyword(
        self,
        call: cst.Call,
        arg: cst.Arg,
        found: list[tuple[int, Handler]],
        unresolved: list[Unresolved],
    ) -> None:
        assert arg.keyword is not None
        keyword = CONSTRUCTOR_KEYWORDS[arg.keyword.value]
        frameworks = self.server_class(call.func, frozenset()).frameworks & keyword.frameworks
        if not frameworks:
            return
        for function in self._functions(arg.value):
            if isinstance(function, str):
                unresolved.append(Unresolved(arg, function))
                continue
            name = (
                function.name.value if keyword.kind is not HandlerKind.LOWLEVEL_CALL_TOOL else None
            )
            found.append(
                (
                    self._order[function],
                    Handler(function, keyword.kind, name, frameworks, arg, None),
                )
            )

    # -- which functions a registration names --------------------------------------------------

    def _tool_from_function(
        self, expression: cst.BaseExpression
    ) -> tuple[cst.BaseExpression, Sequence[cst.Arg]] | None:
        """For `Tool.from_function(fn, name=...)`: the function and the arguments naming it."""
        if not (
            isinstance(expression, cst.Call)
            and isinstance(expression.func, cst.Attribute)
            and expression.func.attr.value == "from_function"
            and expression.args
            and expression.args[0].keyword is None
        ):
            return None
        classes = self.get_metadata(QualifiedNameProvider, expression.func.value, set())
        if not {q.name for q in classes} & TOOL_CLASSES:
            return None
        return expression.args[0].value, expression.args[1:]

    def _standalone_name(self, function: cst.FunctionDef) -> str | None:
        """The name fastmcp's standalone `@tool("n")` / `@tool(name="n")` gives `function`."""
        for decorator in function.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            names = self.get_metadata(QualifiedNameProvider, call.func, set())
            if {q.name for q in names} & STANDALONE_TOOL_DECORATORS:
                return _registered_name(REGISTRARS["tool"], call.args, function)
        return None

    def _functions(self, expression: cst.BaseExpression) -> Iterable[cst.FunctionDef | str]:
        """The functions defined in this module that `expression` refers to (a name, `self.m`,
        a literal list of them, or a loop variable over one); a reason for each it cannot. A
        function another module defines is hardened there, when the project index proved this
        registration (nothing is yielded for it)."""
        if isinstance(expression, cst.List | cst.Tuple | cst.Set):
            for element in expression.elements:
                if isinstance(element, cst.StarredElement):
                    yield f"`{code(element)}` is not a function defined in this module"
                else:
                    yield from self._functions(element.value)
            return
        elsewhere = self.facts.registers.get(code(expression))
        if elsewhere is not None and self.imported(expression) is not None:
            if elsewhere:
                yield f"`{code(expression)}` is defined in another module, and {elsewhere}"
            return
        if isinstance(expression, cst.Name):
            listed = self._listed(expression)
            if isinstance(listed, cst.FunctionDef):
                yield listed
                return
            if listed is not None:
                yield from self._functions(listed)
                return
        elif isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
            methods = [
                method
                for cls in self.classes_of(expression.value) or ()
                for method in self._methods.get((cls, expression.attr.value), ())
            ]
            if len(methods) == 1:
                yield methods[0]
                return
        yield f"`{code(expression)}` is not a function defined in this module"

    def _listed(self, name: cst.Name) -> cst.FunctionDef | cst.List | cst.Tuple | cst.Set | None:
        """What a name bound once stands for among registered things: a function of this
        module, or the literal list a loop variable goes over (`for fn in [a, b]`; a list
        held in a variable may be filled at run time)."""
        assignments = list(self.assignments(name))
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        node = assignments[0].node
        if isinstance(node, cst.FunctionDef):
            return node
        iterable = self._loops.get(node) if isinstance(node, cst.Name) else None
        return iterable if isinstance(iterable, cst.List | cst.Tuple | cst.Set) else None


def _factory(expression: cst.BaseExpression) -> cst.Attribute | None:
    """The `s.m` of a call `s.m(...)` that returns a registering decorator."""
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
        registrar = REGISTRARS.get(expression.func.attr.value)
        if registrar is not None and registrar.factory:
            return expression.func
    return None


def _one_positional(arguments: Sequence[cst.Arg]) -> bool:
    return len(arguments) == 1 and arguments[0].keyword is None and not arguments[0].star


def _registered_name(
    registrar: Registrar, arguments: Sequence[cst.Arg], function: cst.FunctionDef
) -> str | None:
    if registrar.kind is HandlerKind.LOWLEVEL_CALL_TOOL:
        return None
    for arg in arguments:
        if arg.keyword is not None and arg.keyword.value == "name":
            return _literal(arg.value)
    positional = [arg for arg in arguments if arg.keyword is None and not arg.star]
    if registrar.name_index is not None and len(positional) > registrar.name_index:
        return _literal(positional[registrar.name_index].value)
    return function.name.value


def _names_it(arguments: Sequence[cst.Arg]) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == "name" for arg in arguments)


def _literal(expression: cst.BaseExpression) -> str | None:
    if isinstance(expression, cst.SimpleString | cst.ConcatenatedString):
        value = expression.evaluated_value
        return value if isinstance(value, str) else None
    return None
