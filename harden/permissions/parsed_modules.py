"""The project's modules as the static reading of handlers sees them (harden/permissions/static.py):
each parsed once, when first asked for, and walked once for its functions and the calls each
body makes, its classes' methods and attributes, and what each assignment binds.

It reads one module at a time: it never follows a name into another module (resolution.py
does), never judges a call (sinks.py does), and never imports or runs the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from harden.mcp.facts import NO_FACTS, ModuleFacts
from harden.mcp.handlers import HandlerProvider
from harden.mcp.modules import INIT, Layout


class ParsedModules:
    """The project's modules by path (relative POSIX), each parsed when first asked for."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.layout = Layout(texts)
        self._parsed: dict[str, ParsedModule | None] = {}

    def get(self, path: str, facts: ModuleFacts = NO_FACTS) -> ParsedModule | None:
        """The module at `path`, parsed once (None: not a project file, or not parsable)."""
        if path not in self._parsed:
            text = self.texts.get(path)
            self._parsed[path] = None
            if text is not None:
                try:
                    tree = cst.parse_module(text)
                except (cst.ParserSyntaxError, RecursionError):
                    return None
                wrapper = MetadataWrapper(
                    tree, unsafe_skip_copy=True, cache={HandlerProvider: facts}
                )
                self._parsed[path] = ParsedModule(path, self.layout.dotted_name(path), wrapper)
        return self._parsed[path]


@dataclass(frozen=True, slots=True)
class Binding:
    """What an assignment puts into a name or attribute."""

    value: cst.BaseExpression | None
    annotation: cst.BaseExpression | None
    augmented: bool = False  # `x += ...`: it keeps what `x` was, mostly


@dataclass(slots=True)
class Body:
    """A function: its name in its module, its class if a method, the calls its body makes
    (not those of the functions and classes it defines; those of its lambdas, yes)."""

    qualname: str
    cls: cst.ClassDef | None
    calls: list[cst.Call] = field(default_factory=list)


class ParsedModule(cst.MetadataDependent):
    """One module: its scopes and qualified names, its lines, and what one walk found."""

    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider)

    def __init__(self, path: str, dotted: str, wrapper: MetadataWrapper) -> None:
        super().__init__()
        self.path = path
        self.dotted = dotted
        self.wrapper = wrapper
        self.metadata = wrapper.resolve_many(self.METADATA_DEPENDENCIES)
        global_scope = self.get_metadata(ScopeProvider, wrapper.module)
        assert global_scope is not None  # every module has one
        self.global_scope: Scope = global_scope
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None
        walk = _Walk()
        wrapper.module.visit(walk)
        self.bodies = walk.bodies
        self.methods = walk.methods
        self.bindings = walk.bindings
        self.attributes = walk.attributes
        self.first_params = walk.first_params

    def qualified(self, node: cst.CSTNode) -> frozenset[str]:
        return frozenset(q.name for q in self.get_metadata(QualifiedNameProvider, node, set()))

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self.get_metadata(ScopeProvider, node, None)

    def line(self, node: cst.CSTNode) -> int:
        if self._positions is None:  # only modules with something to report pay for it
            self._positions = self.wrapper.resolve(PositionProvider)
        return self._positions[node].start.line

    def dotted_of(self, function: cst.FunctionDef) -> str:
        return f"{self.dotted}.{self.bodies[function].qualname}"

    def is_package(self) -> bool:
        return self.path == INIT or self.path.endswith(f"/{INIT}")


class _Walk(cst.CSTVisitor):
    """One pass over a module: its functions and the calls in each, its classes' methods and
    attributes, and what each assignment binds."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: dict[cst.FunctionDef, Body] = {}
        self.methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self.bindings: dict[cst.Name, Binding] = {}
        # `self.x = ...` in a method and `x = ...` in the class body, by (class, x)
        self.attributes: dict[tuple[cst.ClassDef, str], list[Binding]] = {}
        self.first_params: dict[cst.Param, tuple[cst.FunctionDef, cst.ClassDef]] = {}
        # Whose code the node being visited runs in: a decorator or default runs in the
        # enclosing body, not in the function it decorates. A `def` stands only in bodies, so
        # at a `def` these are also the definitions its qualname names.
        self._owners: list[cst.FunctionDef | cst.ClassDef] = []

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        self._owners.append(node)

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self._owners.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = ".".join(
            [
                outer.name.value + (".<locals>" if isinstance(outer, cst.FunctionDef) else "")
                for outer in self._owners
            ]
            + [node.name.value]
        )
        owner = self._owners[-1] if self._owners else None
        cls = owner if isinstance(owner, cst.ClassDef) else None
        self.bodies[node] = Body(qualname, cls)
        if cls is not None:
            self.methods.setdefault((cls, node.name.value), []).append(node)
            positional = (*node.params.posonly_params, *node.params.params)
            if positional:
                self.first_params[positional[0]] = (node, cls)

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._owners.append(node)

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._owners.pop()

    def visit_Call(self, node: cst.Call) -> None:
        owner = self._owners[-1] if self._owners else None
        if isinstance(owner, cst.FunctionDef):
            self.bodies[owner].calls.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, Binding(node.value, None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, Binding(node.value, node.annotation.annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, Binding(node.value, None, augmented=True))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, Binding(node.value, None))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, Binding(node.item, None))

    def _bind(self, target: cst.BaseExpression, binding: Binding) -> None:
        owner = self._owners[-1] if self._owners else None
        if isinstance(target, cst.Name):
            self.bindings[target] = binding
            if isinstance(owner, cst.ClassDef):
                self.attributes.setdefault((owner, target.value), []).append(binding)
        elif isinstance(target, cst.Attribute) and isinstance(owner, cst.FunctionDef):
            cls = self.bodies[owner].cls
            positional = (*owner.params.posonly_params, *owner.params.params)
            if (
                cls is not None
                and positional
                and isinstance(target.value, cst.Name)
                and target.value.value == positional[0].name.value
            ):
                self.attributes.setdefault((cls, target.attr.value), []).append(binding)
