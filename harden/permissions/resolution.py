"""What a name or expression of a project module stands for, followed across the project's
modules: a function, a class, an object of a class, a module, a pathlib.Path or an object of one
of the outside classes it is asked to trace (a socket, an SSH client); and so which of the
project's functions a call runs (the static reading of handlers follows them).

Names are resolved through libcst's scopes and qualified names, never by their spelling alone:
`import subprocess as sp` and `from subprocess import run` are seen through, a local `run` is
not subprocess's. A value is traced to a Path by a Path call, a `/` join, a Path method, or a
parameter, attribute or return annotated Path; an outside object likewise, by its class. What it
cannot trace stands for nothing (a function held in a container, getattr, inheritance from
outside the project, super()), and a cycle traces to nothing. It never judges what a call does
(sinks.py does, and names the outside classes to trace), and never imports or runs the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, ImportAssignment

from harden.permissions.parsed_modules import ParsedModule, ParsedModules

DEPTH = 24  # how far an expression is traced through names, attributes and imports
PATH_CLASSES = ("Path", "PosixPath", "WindowsPath")

# What an expression's value is, where it is not a project function, class or module.
PATH = "a pathlib.Path"
_PATH_TYPES = frozenset(f"pathlib.{cls}" for cls in PATH_CLASSES)
_PATH_MAKERS = _PATH_TYPES | {
    f"pathlib.{cls}.{name}"
    for cls in PATH_CLASSES
    for name in ("home", "cwd", "resolve", "absolute", "expanduser", "joinpath")
}
_PATH_METHODS = frozenset(
    {"resolve", "absolute", "expanduser", "joinpath", "with_name", "with_suffix", "with_stem"}
)


@dataclass(frozen=True, slots=True)
class Function:
    module: ParsedModule
    node: cst.FunctionDef


@dataclass(frozen=True, slots=True)
class Class:
    module: ParsedModule
    node: cst.ClassDef
    instance: bool  # an object of the class, rather than the class itself


@dataclass(frozen=True, slots=True)
class ModuleRef:
    path: str  # a module of the project, or a namespace folder (`pkg/`)


@dataclass(frozen=True, slots=True)
class Outside:
    """An object of a class from outside the project, one of those the resolver traces."""

    cls: str  # the class's qualified name, as the resolver was given it


Target = Function | Class | ModuleRef | Outside | str  # str: PATH


class Resolver:
    """What an expression stands for (a function, class, object or module of the project, a
    Path, an object of an outside class in `outside`, by qualified name), and which project
    functions a call runs."""

    def __init__(self, modules: ParsedModules, outside: frozenset[str]) -> None:
        self.modules = modules
        self.outside = outside
        self._busy: set[object] = set()  # what is being traced: a cycle traces to nothing

    def callees(self, module: ParsedModule, call: cst.Call) -> list[Function]:
        """The project functions a call runs: a function, a class's `__init__`, an object's
        `__call__`."""
        found: list[Function] = []
        for target in self.what(module, call.func):
            if isinstance(target, Function):
                found.append(target)
            elif isinstance(target, Class):
                special = "__call__" if target.instance else "__init__"
                found += [t for t in self._member(target, special, 0) if isinstance(t, Function)]
        return found

    def what(
        self, module: ParsedModule, expression: cst.BaseExpression, depth: int = 0
    ) -> set[Target]:
        if depth > DEPTH:
            return set()
        if isinstance(expression, cst.Name):
            scope = module.scope(expression)
            if scope is None:
                return set()
            return set(self._assigned(module, scope[expression.value], expression.value, depth))
        if isinstance(expression, cst.Attribute):
            found: set[Target] = set()
            for base in self.what(module, expression.value, depth + 1):
                found |= self._member(base, expression.attr.value, depth + 1)
            return found
        if isinstance(expression, cst.Call):
            return self._made(module, expression, depth)
        if isinstance(expression, cst.BinaryOperation) and isinstance(
            expression.operator, cst.Divide
        ):
            sides = self.what(module, expression.left, depth + 1) | self.what(
                module, expression.right, depth + 1
            )
            return {PATH} if PATH in sides else set()
        return set()

    def _made(self, module: ParsedModule, call: cst.Call, depth: int) -> set[Target]:
        """What a call returns: a Path, an outside object, an object of a project class, what a
        project function's return annotation says."""
        names = module.qualified(call.func)
        if names & _PATH_MAKERS:
            return {PATH}
        if names & self.outside:
            return {Outside(name) for name in names & self.outside}
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _PATH_METHODS
            and PATH in self.what(module, func.value, depth + 1)
        ):
            return {PATH}
        found: set[Target] = set()
        for callee in self.what(module, func, depth + 1):
            if isinstance(callee, Class) and not callee.instance:
                found.add(Class(callee.module, callee.node, instance=True))
            elif isinstance(callee, Function) and callee.node.returns is not None:
                found |= self._annotated(callee.module, callee.node.returns.annotation, depth + 1)
        return found

    def _annotated(
        self, module: ParsedModule, annotation: cst.BaseExpression, depth: int
    ) -> set[Target]:
        """What a value annotated so is: `Path`, `Path | None`, `Optional[Store]`, `Store`."""
        if depth > DEPTH:
            return set()
        names = module.qualified(annotation)
        if names & _PATH_TYPES:
            return {PATH}
        if names & self.outside:
            return {Outside(name) for name in names & self.outside}
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            return self._annotated(module, annotation.left, depth + 1) | self._annotated(
                module, annotation.right, depth + 1
            )
        if isinstance(annotation, cst.Subscript):  # Optional[X], Union[X, Y]
            found: set[Target] = set()
            for element in annotation.slice:
                if isinstance(element.slice, cst.Index):
                    found |= self._annotated(module, element.slice.value, depth + 1)
            return found
        return {
            Class(t.module, t.node, instance=True)
            for t in self.what(module, annotation, depth + 1)
            if isinstance(t, Class)
        }

    def _assigned(
        self, module: ParsedModule, assignments: Iterable[BaseAssignment], name: str, depth: int
    ) -> frozenset[Target]:
        found: set[Target] = set()
        for assignment in assignments:
            if isinstance(assignment, ImportAssignment):
                found |= self._imported(module, assignment.node, name, depth)
            elif isinstance(assignment, Assignment):
                found |= self._assignment(module, assignment.node, depth)
        return frozenset(found)

    def _assignment(self, module: ParsedModule, node: cst.CSTNode, depth: int) -> set[Target]:
        if isinstance(node, cst.FunctionDef):
            return {Function(module, node)}
        if isinstance(node, cst.ClassDef):
            return {Class(module, node, instance=False)}
        if isinstance(node, cst.Param):
            return self._parameter(module, node, depth)
        binding = module.bindings.get(node) if isinstance(node, cst.Name) else None
        if binding is None or binding.augmented:
            return set()
        key = ("binding", node)
        if key in self._busy:
            return set()
        self._busy.add(key)
        try:
            found: set[Target] = set()
            if binding.value is not None:
                found |= self.what(module, binding.value, depth + 1)
            if binding.annotation is not None:
                found |= self._annotated(module, binding.annotation, depth + 1)
            return found
        finally:
            self._busy.discard(key)

    def _parameter(self, module: ParsedModule, param: cst.Param, depth: int) -> set[Target]:
        """`self` or `cls` of a method: the class; another parameter: its annotation."""
        method = module.first_params.get(param)
        if method is not None:
            function, cls = method
            decorators = {
                name for d in function.decorators for name in module.qualified(d.decorator)
            }
            if "builtins.staticmethod" not in decorators:
                instance = "builtins.classmethod" not in decorators
                return {Class(module, cls, instance=instance)}
        if param.annotation is not None:
            return self._annotated(module, param.annotation.annotation, depth + 1)
        return set()

    def _imported(
        self, module: ParsedModule, node: cst.CSTNode, name: str, depth: int
    ) -> set[Target]:
        layout = self.modules.layout
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _dotted(alias.name)
                bound = _dotted(alias.asname.name) if alias.asname is not None else None
                if bound == name or (
                    bound is None and (full == name or full.startswith(f"{name}."))
                ):
                    path = layout.resolve(module.path, full if bound else name, 0)
                    return {ModuleRef(path)} if path is not None else set()
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            source = _dotted(node.module) if node.module is not None else None
            for alias in node.names:
                imported = _dotted(alias.name)
                bound = _dotted(alias.asname.name) if alias.asname is not None else imported
                if bound == name:
                    base = layout.resolve(module.path, source, len(node.relative))
                    return self._top_level(base, imported, depth + 1) if base else set()
        return set()

    def _top_level(self, path: str, name: str, depth: int) -> set[Target]:
        """What top-level name `name` of module `path` is (a submodule, for a package)."""
        key = ("top", path, name)
        if key in self._busy or depth > DEPTH:
            return set()
        self._busy.add(key)
        try:
            module = self.modules.get(path) if not path.endswith("/") else None
            assignments = module.global_scope[name] if module is not None else set()
            if module is not None and assignments:
                return set(self._assigned(module, assignments, name, depth + 1))
            if path.endswith("/") or (module is not None and module.is_package()):
                submodule = self.modules.layout.submodule(path, name)
                if submodule is not None:
                    return {ModuleRef(submodule)}
            return set()
        finally:
            self._busy.discard(key)

    def _member(self, base: Target, name: str, depth: int) -> set[Target]:
        """What attribute `name` of `base` is: a module's name, a class's method (through the
        project's base classes), an object's attribute as its class assigns it."""
        if depth > DEPTH:
            return set()
        if isinstance(base, ModuleRef):
            return self._top_level(base.path, name, depth + 1)
        if base == PATH and name == "parent":
            return {PATH}
        if not isinstance(base, Class):
            return set()
        key = ("member", base.node, name)
        if key in self._busy:
            return set()
        self._busy.add(key)
        try:
            module, cls = base.module, base.node
            methods = module.methods.get((cls, name))
            if methods:
                return {Function(module, method) for method in methods}
            found: set[Target] = set()
            for binding in module.attributes.get((cls, name), ()):
                if binding.value is not None:
                    found |= self.what(module, binding.value, depth + 1)
                if binding.annotation is not None:
                    found |= self._annotated(module, binding.annotation, depth + 1)
            if found:
                return found
            for parent in cls.bases:
                for target in self.what(module, parent.value, depth + 1):
                    if isinstance(target, Class):
                        inherited = Class(target.module, target.node, base.instance)
                        found |= self._member(inherited, name, depth + 1)
            return found
        finally:
            self._busy.discard(key)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return node.value if isinstance(node, cst.Name) else ""
