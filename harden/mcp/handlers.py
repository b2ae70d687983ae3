"""Handler discovery: the functions of a module that an MCP server calls for a client's request.

`HandlerProvider` is libcst metadata. Resolved once per module, in one pass over it (batched with
the scope and qualified-name providers it depends on), it attaches a `Discovery` to the Module
node: every handler registration it can prove, and every registration-like place it cannot.
A codemod's planner declares it in METADATA_DEPENDENCIES and reads it in `visit_Module`;
anything else calls `find_handlers(wrapper)`.

Servers and functions are traced through libcst's scopes and qualified names, never by
spelling, and never guessed: a registration whose server cannot be traced to a known server
class (frameworks.SERVER_CLASSES), or whose function to a function defined in this module, is
reported as `Unresolved` with the reason and is never returned as a handler. It never changes
the module.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    BatchableMetadataProvider,
    ImportAssignment,
    MetadataWrapper,
    QualifiedNameProvider,
    ScopeProvider,
)

from harden.mcp.frameworks import (
    CONSTRUCTOR_KEYWORDS,
    REGISTRARS,
    SERVER_CLASSES,
    STANDALONE_TOOL_DECORATORS,
    TOOL_CLASSES,
    Framework,
    HandlerKind,
    Registrar,
)


@dataclass(frozen=True, slots=True)
class Handler:
    """One registration of `function` as a handler.

    `decorator_index` is the index in `function.decorators` of the registering decorator, the one
    hardening decorators go directly below. None means the function is registered by a call
    elsewhere (`s.tool()(fn)`, `s.add_tool(fn)`, `Server(on_call_tool=fn)`, a loop over methods),
    which registers whatever `function`'s name is bound to: hardening decorators then go at the
    bottom of the list, directly above `def`.
    """

    function: cst.FunctionDef
    kind: HandlerKind
    # The name clients call it by, when statically known: `name=` or the positional name, else
    # the function's name. None when given by a non-literal, and for low-level call_tool handlers.
    name: str | None
    frameworks: frozenset[Framework]  # those whose registration rules this registration obeys
    registration: cst.CSTNode  # the Decorator, the registering Call, or the constructor's Arg
    decorator_index: int | None


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
class _Verdict:
    """What an expression is: a server of `frameworks`, unknown (`reason`), or neither: known
    not to be a server."""

    frameworks: frozenset[Framework] = frozenset()
    reason: str = ""


_NOT_SERVER = _Verdict()


@dataclass(frozen=True, slots=True)
class _Binding:
    """What an assignment binds: its value (None for a bare annotation) and annotation."""

    value: cst.BaseExpression | None
    annotation: cst.BaseExpression | None


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


class HandlerProvider(BatchableMetadataProvider[Discovery]):
    """Sets a `Discovery` on the Module node.

    The pass only records what resolution needs (registration-shaped decorators and calls,
    assignments, loop targets, methods); everything is resolved when the module is left, so a
    server may be assigned below the functions that use it, as in a method defined above
    `__init__`.
    """

    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider)

    def __init__(self, cache: object = None) -> None:
        super().__init__(cache)
        self._owners: list[cst.ClassDef | cst.FunctionDef] = []
        self._order: dict[cst.FunctionDef, int] = {}
        self._decorated: list[_Decorated] = []
        self._registering: list[_Registering] = []
        self._constructed: list[tuple[cst.Call, cst.Arg]] = []
        self._factories: set[cst.Call] = set()  # calls whose result is a decorator
        self._bindings: dict[cst.Name, _Binding] = {}  # assignment target -> what it binds
        self._loops: dict[cst.Name, cst.BaseExpression] = {}  # loop variable -> iterable
        self._params: dict[cst.Param, cst.FunctionDef] = {}
        self._self_params: dict[cst.Param, cst.ClassDef] = {}  # a method's first parameter
        self._methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self._class_body: dict[tuple[cst.ClassDef, str], list[_Binding]] = {}
        self._attribute_targets: list[tuple[cst.Attribute, _Binding]] = []
        self._instance_attributes: dict[tuple[cst.ClassDef, str], list[_Binding]] | None = None
        self._verdicts: dict[cst.CSTNode, _Verdict] = {}

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
            self._record_target(target.target, _Binding(node.value, None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._record_target(node.target, _Binding(node.value, node.annotation.annotation))

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self._loops[node.target] = node.iter

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        factory = _factory(func)
        if factory is not None:
            assert isinstance(func, cst.Call)
            self._factories.add(func)
            if len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
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
            return
        self._decorated.append(
            _Decorated(function, index, decorator, attribute.value, attribute.attr.value, call)
        )

    def _record_target(self, target: cst.BaseExpression, binding: _Binding) -> None:
        if isinstance(target, cst.Name):
            self._bindings[target] = binding
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
        # Stable: a function's registrations keep the order in which they were found.
        handlers = tuple(h for _, h in sorted(found, key=lambda pair: pair[0]))
        by_function: dict[cst.FunctionDef, tuple[Handler, ...]] = {}
        for handler in handlers:
            by_function[handler.function] = (*by_function.get(handler.function, ()), handler)
        self.set_metadata(original_node, Discovery(handlers, tuple(unresolved), by_function))

    def _resolve_decorator(self, d: _Decorated) -> tuple[Handler | None, Unresolved | None]:
        registrar = REGISTRARS[d.method]
        forms = registrar.factory if d.call is not None else registrar.direct
        if not forms:
            return None, None
        verdict = self._server(d.receiver, frozenset())
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
        verdict = self._server(r.receiver, frozenset())
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
        frameworks = self._class(call.func, frozenset()).frameworks & keyword.frameworks
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

    # -- what a receiver is --------------------------------------------------------------------

    def _server(self, expression: cst.BaseExpression, seen: frozenset[cst.CSTNode]) -> _Verdict:
        if isinstance(expression, cst.Call):
            verdict = self._class(expression.func, seen)
            if verdict.reason:
                callee = _code(expression.func)
                return _Verdict(
                    reason=f"the server comes from `{callee}(...)`, "
                    "which is not a known MCP server class"
                )
            return verdict
        if isinstance(expression, cst.Name):
            return self._named(expression, seen)
        if isinstance(expression, cst.Attribute):
            return self._attribute(expression, seen)
        return _Verdict(reason=f"`{_code(expression)}` is not a name harden can follow")

    def _named(self, name: cst.Name, seen: frozenset[cst.CSTNode]) -> _Verdict:
        assignments = self._assignments(name)
        if not assignments:
            return _Verdict(reason=f"`{name.value}` is not defined in this module")
        verdicts = [self._assigned(a, name.value, seen) for a in assignments]
        return _combine(name.value, [v for v in verdicts if v is not None])

    def _assigned(
        self, assignment: BaseAssignment, name: str, seen: frozenset[cst.CSTNode]
    ) -> _Verdict | None:
        """What `assignment` binds `name` to; None for a literal None, which no registration
        can be made on."""
        if isinstance(assignment, ImportAssignment):
            return _Verdict(
                reason=f"`{name}` is imported from `{_import_source(assignment.node)}`; "
                "its class is not visible in this module"
            )
        if not isinstance(assignment, Assignment):
            return _Verdict(reason=f"`{name}` is a builtin")
        node = assignment.node
        if node in self._verdicts:
            return self._verdicts[node]
        if node in seen:
            return _Verdict(reason=f"`{name}` is defined in terms of itself")
        if isinstance(node, cst.Name) and node in self._bindings:
            binding = self._bindings[node]
            if _is_none(binding.value):
                return None
            verdict = self._bound(binding, name, seen | {node})
        elif isinstance(node, cst.Name) and node in self._loops:
            verdict = _Verdict(reason=f"`{name}` is a loop variable")
        elif isinstance(node, cst.Param):
            verdict = self._parameter(node, name, seen)
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            verdict = _NOT_SERVER
        else:
            verdict = _Verdict(reason=f"`{name}` is bound in a way harden does not follow")
        self._verdicts[node] = verdict
        return verdict

    def _bound(self, binding: _Binding, name: str, seen: frozenset[cst.CSTNode]) -> _Verdict:
        declared = self._declared(binding.annotation, seen)
        if declared:
            return _Verdict(declared)
        if binding.value is None:
            return _Verdict(reason=f"`{name}` is declared but not assigned here")
        return self._server(binding.value, seen)

    def _parameter(self, param: cst.Param, name: str, seen: frozenset[cst.CSTNode]) -> _Verdict:
        annotation = param.annotation
        declared = self._declared(annotation.annotation if annotation else None, seen)
        if declared:
            return _Verdict(declared)
        function = self._params.get(param)
        where = f" of `{function.name.value}()`" if function is not None else ""
        return _Verdict(
            reason=f"`{name}` is a parameter{where} not annotated with a known MCP server class"
        )

    def _declared(
        self, annotation: cst.BaseExpression | None, seen: frozenset[cst.CSTNode]
    ) -> frozenset[Framework]:
        """The frameworks of a server class an annotation names: `FastMCP`, `FastMCP[Any]`,
        `FastMCP | None`."""
        if isinstance(annotation, cst.Subscript):
            return self._declared(annotation.value, seen)
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            return self._declared(annotation.left, seen) | self._declared(annotation.right, seen)
        if annotation is None or _is_none(annotation):
            return frozenset()
        return self._class(annotation, seen).frameworks

    def _attribute(self, attribute: cst.Attribute, seen: frozenset[cst.CSTNode]) -> _Verdict:
        """`self.mcp` (set in any method of the class, or in its body) or `Class.mcp`."""
        shown = _code(attribute)
        owner = attribute.value
        classes = self._classes_of(owner) if isinstance(owner, cst.Name) else None
        if classes is None:
            return _Verdict(reason=f"`{shown}` is an attribute harden cannot follow")
        bindings = [
            binding
            for cls in classes
            for binding in (
                *self._class_body.get((cls, attribute.attr.value), ()),
                *self._instance_bindings().get((cls, attribute.attr.value), ()),
            )
        ]
        if not bindings:
            return _Verdict(reason=f"`{shown}` is not assigned in its class")
        verdicts: list[_Verdict] = []
        for binding in bindings:
            value = binding.value
            if value is None:
                verdicts.append(self._bound(binding, shown, seen))
            elif value in seen:
                verdicts.append(_Verdict(reason=f"`{shown}` is defined in terms of itself"))
            elif not _is_none(value):
                if value not in self._verdicts:
                    self._verdicts[value] = self._bound(binding, shown, seen | {value})
                verdicts.append(self._verdicts[value])
        return _combine(shown, verdicts)

    def _class(self, expression: cst.BaseExpression, seen: frozenset[cst.CSTNode]) -> _Verdict:
        """Whether `expression` names a server class: a known one (any of its qualified names
        matches, as for an import guarded by try/except ImportError), or a class of this module
        deriving from one."""
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, expression, set())}
        frameworks = frozenset().union(*(SERVER_CLASSES.get(n, ()) for n in names))
        if frameworks:
            return _Verdict(frameworks)
        if isinstance(expression, cst.Name):
            assignments = self._assignments(expression)
            classes = [
                a.node
                for a in assignments
                if isinstance(a, Assignment) and isinstance(a.node, cst.ClassDef)
            ]
            if classes and len(classes) == len(assignments):
                return _combine(expression.value, [self._local_class(c, seen) for c in classes])
        if names and all(n.startswith("builtins.") for n in names):
            return _NOT_SERVER
        return _Verdict(reason=f"`{_code(expression)}` is not a known MCP server class")

    def _local_class(self, cls: cst.ClassDef, seen: frozenset[cst.CSTNode]) -> _Verdict:
        if cls in self._verdicts:
            return self._verdicts[cls]
        if cls in seen:
            return _NOT_SERVER
        bases = [self._class(base.value, seen | {cls}) for base in cls.bases]
        servers = frozenset().union(*(b.frameworks for b in bases))
        unknown = [b for b in bases if b.reason]
        verdict = _Verdict(servers) if servers else (unknown[0] if unknown else _NOT_SERVER)
        self._verdicts[cls] = verdict
        return verdict

    def _classes_of(self, owner: cst.Name) -> list[cst.ClassDef] | None:
        """The class `owner` stands for: a method's first parameter (`self`), or a class of
        this module named directly."""
        classes: list[cst.ClassDef] = []
        for assignment in self._assignments(owner):
            if not isinstance(assignment, Assignment):
                return None
            if isinstance(assignment.node, cst.Param) and assignment.node in self._self_params:
                classes.append(self._self_params[assignment.node])
            elif isinstance(assignment.node, cst.ClassDef):
                classes.append(assignment.node)
            else:
                return None
        return classes or None

    def _instance_bindings(self) -> Mapping[tuple[cst.ClassDef, str], list[_Binding]]:
        """`self.x = ...` in any method, by class and attribute (built on first need)."""
        if self._instance_attributes is None:
            self._instance_attributes = {}
            for target, binding in self._attribute_targets:
                assert isinstance(target.value, cst.Name)
                for cls in self._classes_of(target.value) or ():
                    key = (cls, target.attr.value)
                    self._instance_attributes.setdefault(key, []).append(binding)
        return self._instance_attributes

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
        a literal list of them, or a loop variable over one); a reason for each it cannot."""
        if isinstance(expression, cst.List | cst.Tuple | cst.Set):
            for element in expression.elements:
                if isinstance(element, cst.StarredElement):
                    yield f"`{_code(element)}` is not a function defined in this module"
                else:
                    yield from self._functions(element.value)
            return
        if isinstance(expression, cst.Name):
            assignments = self._assignments(expression)
            if len(assignments) == 1:
                (assignment,) = assignments
                node = assignment.node if isinstance(assignment, Assignment) else None
                if isinstance(node, cst.FunctionDef):
                    yield node
                    return
                if isinstance(node, cst.Name) and node in self._loops:
                    iterable = self._loops[node]
                    if isinstance(iterable, cst.List | cst.Tuple | cst.Set):
                        yield from self._functions(iterable)
                        return
        elif isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
            methods = [
                method
                for cls in self._classes_of(expression.value) or ()
                for method in self._methods.get((cls, expression.attr.value), ())
            ]
            if len(methods) == 1:
                yield methods[0]
                return
        yield f"`{_code(expression)}` is not a function defined in this module"

    def _assignments(self, name: cst.Name) -> Collection[BaseAssignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        return scope[name.value] if scope is not None else ()


def _factory(expression: cst.BaseExpression) -> cst.Attribute | None:
    """The `s.m` of a call `s.m(...)` that returns a registering decorator."""
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
        registrar = REGISTRARS.get(expression.func.attr.value)
        if registrar is not None and registrar.factory:
            return expression.func
    return None


def _is_none(expression: cst.BaseExpression | None) -> bool:
    return isinstance(expression, cst.Name) and expression.value == "None"


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


def _combine(name: str, verdicts: Sequence[_Verdict]) -> _Verdict:
    if not verdicts:
        return _Verdict(reason=f"`{name}` is only ever None")
    unknown = [v for v in verdicts if v.reason]
    if unknown:
        return unknown[0]
    servers = [v for v in verdicts if v.frameworks]
    if not servers:
        return _NOT_SERVER
    if len(servers) < len(verdicts):
        return _Verdict(reason=f"`{name}` is bound both to a server and to something else")
    return _Verdict(frozenset().union(*(v.frameworks for v in servers)))


def _literal(expression: cst.BaseExpression) -> str | None:
    if isinstance(expression, cst.SimpleString | cst.ConcatenatedString):
        value = expression.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _import_source(node: cst.CSTNode) -> str:
    if isinstance(node, cst.ImportFrom):
        module = _code(node.module) if node.module is not None else ""
        return "." * len(node.relative) + module
    return _code(node)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
