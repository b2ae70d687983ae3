"""What the receiver of a registration is: a server of which frameworks, known not to be one, or
unknown (and why). The part of handler discovery (handlers.py) that answers it.

It follows a name through libcst's scopes and qualified names to its assignments: a server class
called (`FastMCP("x")`, `FastMCP[Any]("x")`, a class of the module deriving from one), a factory
called (a function returning a server), an annotation (`mcp: FastMCP`, `server: "FastMCP"`, as
written with `if TYPE_CHECKING:` imports), `self.mcp` set anywhere in its class, a parameter. What
only other modules show — what an import binds, which of the module's functions make servers,
what every caller passes a parameter — it asks the project index's facts (facts.py). It never
guesses: what it cannot follow gets a reason, which discovery reports.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    ImportAssignment,
    QualifiedNameProvider,
    ScopeProvider,
)

from harden.mcp.facts import Kind, ModuleFacts, Symbol
from harden.mcp.frameworks import SERVER_CLASSES, Framework
from harden.vendoring import RUNTIME_MODULE, RUNTIME_PUBLISHED


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an expression is: a server of `frameworks`, unknown (`reason`), or neither: known
    not to be a server."""

    frameworks: frozenset[Framework] = frozenset()
    reason: str = ""


NOT_SERVER = Verdict()


@dataclass(frozen=True, slots=True)
class Binding:
    """What an assignment binds: its value (None for a bare annotation) and annotation."""

    value: cst.BaseExpression | None
    annotation: cst.BaseExpression | None


class ReceiverResolution(cst.MetadataDependent):
    """Resolves receivers for a metadata provider that records, while visiting, the state below
    (handlers.HandlerProvider)."""

    facts: ModuleFacts
    _bindings: dict[cst.Name, Binding]  # assignment target -> what it binds
    _loops: dict[cst.Name, cst.BaseExpression]  # loop variable -> iterable
    _params: dict[cst.Param, cst.FunctionDef]
    _self_params: dict[cst.Param, cst.ClassDef]  # a method's first parameter
    _class_body: dict[tuple[cst.ClassDef, str], list[Binding]]
    _attribute_targets: list[tuple[cst.Attribute, Binding]]
    _instance_attributes: dict[tuple[cst.ClassDef, str], list[Binding]] | None
    _top_functions: dict[str, list[cst.FunctionDef]]  # module-level defs by name
    _verdicts: dict[cst.CSTNode, Verdict]

    def server(self, expression: cst.BaseExpression, seen: frozenset[cst.CSTNode]) -> Verdict:
        served = _published_server(expression)
        if served is not None:
            return self.server(served, seen)  # phase 4's wrapper returns the server itself
        if isinstance(expression, cst.Call):
            verdict = self.server_class(expression.func, seen)
            if not verdict.reason:
                return verdict
            made = self._factory_of(expression.func)
            if made:
                return Verdict(made)
            callee = code(expression.func)
            return Verdict(
                reason=f"the server comes from `{callee}(...)`, "
                "which is not a known MCP server class"
            )
        if isinstance(expression, cst.Name):
            return self._named(expression, seen)
        if isinstance(expression, cst.Attribute):
            imported = self.imported(expression)  # `s.mcp`, with `import pkg.server as s`
            return _verdict(imported) if imported else self._attribute(expression, seen)
        return Verdict(reason=f"`{code(expression)}` is not a name harden can follow")

    def imported(self, expression: cst.BaseExpression) -> Symbol | None:
        """What the project index says a name chain rooted at an import is (`mcp`, `s.mcp`,
        `create_server`); None when the index has nothing on it."""
        root = expression
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return None
        assignments = self.assignments(root)
        if not assignments or not all(isinstance(a, ImportAssignment) for a in assignments):
            return None
        return self.facts.names.get(code(expression))

    def _named(self, name: cst.Name, seen: frozenset[cst.CSTNode]) -> Verdict:
        assignments = self.assignments(name)
        if not assignments:
            return Verdict(reason=f"`{name.value}` is not defined in this module")
        verdicts = [self._assigned(a, name.value, seen) for a in assignments]
        return combine(name.value, [v for v in verdicts if v is not None])

    def _assigned(
        self, assignment: BaseAssignment, name: str, seen: frozenset[cst.CSTNode]
    ) -> Verdict | None:
        """What `assignment` binds `name` to; None for a literal None, which no registration
        can be made on."""
        if isinstance(assignment, ImportAssignment):
            symbol = self.facts.names.get(name)
            if symbol is not None:
                return _verdict(symbol)
            return Verdict(
                reason=f"`{name}` is imported from `{_import_source(assignment.node)}`; "
                "its class is not visible in this module"
            )
        if not isinstance(assignment, Assignment):
            return Verdict(reason=f"`{name}` is a builtin")
        node = assignment.node
        if node in self._verdicts:
            return self._verdicts[node]
        if node in seen:
            return Verdict(reason=f"`{name}` is defined in terms of itself")
        if isinstance(node, cst.Name) and node in self._bindings:
            binding = self._bindings[node]
            if is_none(binding.value):
                return None
            verdict = self._bound(binding, name, seen | {node})
        elif isinstance(node, cst.Name) and node in self._loops:
            verdict = Verdict(reason=f"`{name}` is a loop variable")
        elif isinstance(node, cst.Param):
            verdict = self._parameter(node, name, seen)
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            verdict = NOT_SERVER
        else:
            verdict = Verdict(reason=f"`{name}` is bound in a way harden does not follow")
        self._verdicts[node] = verdict
        return verdict

    def _bound(self, binding: Binding, name: str, seen: frozenset[cst.CSTNode]) -> Verdict:
        declared = self._declared(binding.annotation, seen)
        if declared:
            return Verdict(declared)
        if binding.value is None:
            return Verdict(reason=f"`{name}` is declared but not assigned here")
        return self.server(binding.value, seen)

    def _parameter(self, param: cst.Param, name: str, seen: frozenset[cst.CSTNode]) -> Verdict:
        annotation = param.annotation
        declared = self._declared(annotation.annotation if annotation else None, seen)
        if declared:
            return Verdict(declared)
        function = self._params.get(param)
        if function is not None and function in self._top_functions.get(function.name.value, ()):
            passed = self.facts.server_params.get((function.name.value, name))
            if passed:
                return Verdict(passed)  # every call in the project passes a server
        where = f" of `{function.name.value}()`" if function is not None else ""
        return Verdict(
            reason=f"`{name}` is a parameter{where} not annotated with a known MCP server class"
        )

    def _declared(
        self, annotation: cst.BaseExpression | None, seen: frozenset[cst.CSTNode]
    ) -> frozenset[Framework]:
        """The frameworks of a server class an annotation names: `FastMCP`, `FastMCP[Any]`,
        `FastMCP | None`, and the same as a string (`"FastMCP"`)."""
        if isinstance(annotation, cst.SimpleString | cst.ConcatenatedString):
            return self._declared_in_text(annotation)
        if isinstance(annotation, cst.Subscript):
            return self._declared(annotation.value, seen)
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            return self._declared(annotation.left, seen) | self._declared(annotation.right, seen)
        if annotation is None or is_none(annotation):
            return frozenset()
        return self.server_class(annotation, seen).frameworks

    def _declared_in_text(
        self, annotation: cst.SimpleString | cst.ConcatenatedString
    ) -> frozenset[Framework]:
        """A string annotation's server class, its names resolved in the annotation's scope (an
        import under `if TYPE_CHECKING:` binds them there as any import does)."""
        text = annotation.evaluated_value
        scope = self.get_metadata(ScopeProvider, annotation, None)
        if not isinstance(text, str) or scope is None:
            return frozenset()
        try:
            parsed = cst.parse_expression(text.strip())
        except cst.ParserSyntaxError:
            return frozenset()
        frameworks: set[Framework] = set()
        pending: list[cst.BaseExpression] = [parsed]
        while pending:
            node = pending.pop()
            if isinstance(node, cst.Subscript):
                pending.append(node.value)
            elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
                pending += [node.left, node.right]
            elif isinstance(node, cst.Name | cst.Attribute):
                written = code(node)
                names = {q.name for q in scope.get_qualified_names_for(written)}
                for name in names:
                    frameworks.update(SERVER_CLASSES.get(name, ()))
                if not frameworks:
                    symbol = self.facts.names.get(written)
                    if symbol is not None and symbol.kind is Kind.SERVER_CLASS:
                        frameworks.update(symbol.frameworks)
        return frozenset(frameworks)

    def _attribute(self, attribute: cst.Attribute, seen: frozenset[cst.CSTNode]) -> Verdict:
        """`self.mcp` (set in any method of the class, or in its body) or `Class.mcp`."""
        shown = code(attribute)
        owner = attribute.value
        classes = self.classes_of(owner) if isinstance(owner, cst.Name) else None
        if classes is None:
            return Verdict(reason=f"`{shown}` is an attribute harden cannot follow")
        bindings = [
            binding
            for cls in classes
            for binding in (
                *self._class_body.get((cls, attribute.attr.value), ()),
                *self._instance_bindings().get((cls, attribute.attr.value), ()),
            )
        ]
        if not bindings:
            return Verdict(reason=f"`{shown}` is not assigned in its class")
        verdicts: list[Verdict] = []
        for binding in bindings:
            value = binding.value
            if value is None:
                verdicts.append(self._bound(binding, shown, seen))
            elif value in seen:
                verdicts.append(Verdict(reason=f"`{shown}` is defined in terms of itself"))
            elif not is_none(value):
                if value not in self._verdicts:
                    self._verdicts[value] = self._bound(binding, shown, seen | {value})
                verdicts.append(self._verdicts[value])
        return combine(shown, verdicts)

    def server_class(self, expression: cst.BaseExpression, seen: frozenset[cst.CSTNode]) -> Verdict:
        """Whether `expression` names a server class: a known one (any of its qualified names
        matches, as for an import guarded by try/except ImportError), one the project
        re-exports, or a class of this module deriving from one."""
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, expression, set())}
        frameworks = frozenset().union(*(SERVER_CLASSES.get(n, ()) for n in names))
        if frameworks:
            return Verdict(frameworks)
        imported = self.imported(expression)
        if imported is not None and imported.kind is Kind.SERVER_CLASS:
            return Verdict(imported.frameworks)
        if isinstance(expression, cst.Name):
            assignments = self.assignments(expression)
            classes = [
                a.node
                for a in assignments
                if isinstance(a, Assignment) and isinstance(a.node, cst.ClassDef)
            ]
            if classes and len(classes) == len(assignments):
                return combine(expression.value, [self._local_class(c, seen) for c in classes])
        if names and all(_builtin_type(n) for n in names):
            return NOT_SERVER  # dict(), str(): never a server (getattr() may be anything)
        return Verdict(reason=f"`{code(expression)}` is not a known MCP server class")

    def _factory_of(self, callee: cst.BaseExpression) -> frozenset[Framework]:
        """The frameworks of the server that calling `callee` returns, when it is a factory:
        a module-level function of this module or of another (the index tells which)."""
        imported = self.imported(callee)
        if imported is not None:
            return imported.frameworks if imported.kind is Kind.FUNCTION else frozenset()
        if not isinstance(callee, cst.Name):
            return frozenset()
        assignments = self.assignments(callee)
        defined = self._top_functions.get(callee.value, [])
        if assignments and all(
            isinstance(a, Assignment) and a.node in defined for a in assignments
        ):
            return self.facts.factories.get(callee.value, frozenset())
        return frozenset()

    def _local_class(self, cls: cst.ClassDef, seen: frozenset[cst.CSTNode]) -> Verdict:
        if cls in self._verdicts:
            return self._verdicts[cls]
        if cls in seen:
            return NOT_SERVER
        bases = [self.server_class(base.value, seen | {cls}) for base in cls.bases]
        servers = frozenset().union(*(b.frameworks for b in bases))
        unknown = [b for b in bases if b.reason]
        verdict = Verdict(servers) if servers else (unknown[0] if unknown else NOT_SERVER)
        self._verdicts[cls] = verdict
        return verdict

    def classes_of(self, owner: cst.Name) -> list[cst.ClassDef] | None:
        """The class `owner` stands for: a method's first parameter (`self`), or a class of
        this module named directly."""
        classes: list[cst.ClassDef] = []
        for assignment in self.assignments(owner):
            if not isinstance(assignment, Assignment):
                return None
            if isinstance(assignment.node, cst.Param) and assignment.node in self._self_params:
                classes.append(self._self_params[assignment.node])
            elif isinstance(assignment.node, cst.ClassDef):
                classes.append(assignment.node)
            else:
                return None
        return classes or None

    def _instance_bindings(self) -> Mapping[tuple[cst.ClassDef, str], list[Binding]]:
        """`self.x = ...` in any method, by class and attribute (built on first need)."""
        if self._instance_attributes is None:
            self._instance_attributes = {}
            for target, binding in self._attribute_targets:
                assert isinstance(target.value, cst.Name)
                for cls in self.classes_of(target.value) or ():
                    key = (cls, target.attr.value)
                    self._instance_attributes.setdefault(key, []).append(binding)
        return self._instance_attributes

    def assignments(self, name: cst.Name) -> Collection[BaseAssignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        return scope[name.value] if scope is not None else ()


def _builtin_type(qualified: str) -> bool:
    module, _, name = qualified.partition(".")
    return module == "builtins" and isinstance(getattr(builtins, name, None), type)


def _verdict(symbol: Symbol) -> Verdict:
    """What a name the project index resolved is, as a receiver."""
    if symbol.kind is Kind.SERVER:
        return Verdict(symbol.frameworks)
    if symbol.kind is Kind.UNKNOWN:
        return Verdict(reason=symbol.reason)
    return NOT_SERVER


def combine(name: str, verdicts: Sequence[Verdict]) -> Verdict:
    if not verdicts:
        return Verdict(reason=f"`{name}` is only ever None")
    unknown = [v for v in verdicts if v.reason]
    if unknown:
        return unknown[0]
    servers = [v for v in verdicts if v.frameworks]
    if not servers:
        return NOT_SERVER
    if len(servers) < len(verdicts):
        return Verdict(reason=f"`{name}` is bound both to a server and to something else")
    return Verdict(frozenset().union(*(v.frameworks for v in servers)))


def is_none(expression: cst.BaseExpression | None) -> bool:
    return isinstance(expression, cst.Name) and expression.value == "None"


def _import_source(node: cst.CSTNode) -> str:
    if isinstance(node, cst.ImportFrom):
        module = code(node.module) if node.module is not None else ""
        return "." * len(node.relative) + module
    return code(node)


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _published_server(expression: cst.BaseExpression) -> cst.BaseExpression | None:
    """The server given to `harden_runtime.published(...)`, when `expression` is that call."""
    if not isinstance(expression, cst.Call) or len(expression.args) != 1:
        return None
    func, (arg,) = expression.func, expression.args
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == RUNTIME_PUBLISHED
        and isinstance(func.value, cst.Name)
        and func.value.value == RUNTIME_MODULE
        and arg.keyword is None
        and not arg.star
    ):
        return arg.value
    return None
