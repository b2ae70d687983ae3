"""The folders a tool's own code says its path parameters live under: phase 2 gives them to
`@harden_runtime.validate(roots=...)`, so a path there is not `path_outside_roots`.

Found, for each path-like parameter (named as the runtime reads names: `path`, `file_name`,
`target_dir`):
- its default, when it is an absolute path other than `/` (a file's folder for a name with an
  extension): `def read(path: str = "/srv/notes/todo.md")` → `"/srv/notes"`;
- what the body joins it to: `os.path.join(ROOT, path)`, `ROOT / path`, `Path(ROOT, path)`,
  `ROOT.joinpath(path)`, `f"{ROOT}/{path}"` → `ROOT`, also `Path(__file__).parent / "data"`.

A folder given by an expression is written as that expression, evaluated where the decorator
is, when the module is imported: so it must read only module-level names bound above the
function (never rebound in it), `__file__`, literals, and path functions (`Path`, `os.path.*`,
`.parent`, `.resolve()`...). Anything else is left out: the root stays what the settings say.
It only reads code.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from harden.codemods.base import holds
from harden.runtime import _PATH, _kinds_of  # the runtime's own reading of parameter names

GetMetadata = Callable[..., object]
_PATH_CALLS = frozenset(
    {
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "os.path.join",
        "os.path.dirname",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.normpath",
        "os.fspath",
        "str",
        "builtins.str",
    }
)
_PATH_METHODS = frozenset({"resolve", "absolute", "expanduser", "joinpath", "parent"})
_JOINS = frozenset({"os.path.join", "posixpath.join"})
_PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})


def inferred_roots(
    function: cst.FunctionDef, module: cst.Module, get_metadata: GetMetadata
) -> list[tuple[str, str]]:
    """(root expression, why) for the function's path-like parameters, without repeats."""
    params = [
        p
        for p in (*function.params.posonly_params, *function.params.params)
        if _kinds_of(p.name.value) & _PATH
    ]
    if not params:
        return []
    names = {p.name.value for p in params}
    roots: dict[str, str] = {}
    for param in params:
        root = _default_root(param)
        if root is not None:
            roots.setdefault(root, f"the default of `{param.name.value}`")
    bound = _bound_above(module, function)
    rebound = _bound_in(function)
    finder = _Joins(names, get_metadata)
    function.body.visit(finder)
    for base, name in finder.found:
        if _evaluable(base, bound - rebound, get_metadata):
            code = module.code_for_node(base)
            roots.setdefault(code, f"what `{name}` is joined to")
    return list(roots.items())


def _default_root(param: cst.Param) -> str | None:
    default = param.default
    if not isinstance(default, cst.SimpleString):
        return None
    text = default.evaluated_value
    if not isinstance(text, str) or not text.startswith("/") or text.rstrip("/") == "":
        return None
    folder, _, last = text.rstrip("/").rpartition("/")
    if "." in last.lstrip("."):
        text = folder or "/"
        if text == "/":
            return None
    return json.dumps(text)


class _Joins(cst.CSTVisitor):
    """(base, parameter) for each join of a path parameter to a base folder."""

    def __init__(self, names: set[str], get_metadata: GetMetadata) -> None:
        super().__init__()
        self.names = names
        self.get_metadata = get_metadata
        self.found: list[tuple[cst.BaseExpression, str]] = []

    def _param(self, node: cst.BaseExpression) -> str | None:
        return node.value if isinstance(node, cst.Name) and node.value in self.names else None

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        name = self._param(node.right)
        if isinstance(node.operator, cst.Divide) and name:
            self.found.append((node.left, name))

    def visit_Call(self, node: cst.Call) -> None:
        qualified = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}  # type: ignore[attr-defined]
        values = [arg.value for arg in node.args if not arg.star and arg.keyword is None]
        if len(values) >= 2 and qualified & (_JOINS | _PATHS):
            for value in values[1:]:
                name = self._param(value)
                if name:
                    self.found.append((values[0], name))
        if (
            isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "joinpath"
            and values
            and self._param(values[0])
        ):
            self.found.append((node.func.value, values[0].value))  # type: ignore[attr-defined]

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        parts = node.parts
        for before, text, after in zip(parts, parts[1:], parts[2:], strict=False):
            if (
                isinstance(before, cst.FormattedStringExpression)
                and isinstance(text, cst.FormattedStringText)
                and text.value == "/"
                and isinstance(after, cst.FormattedStringExpression)
                and self._param(after.expression)
                and not before.format_spec
                and not before.conversion
            ):
                self.found.append((before.expression, after.expression.value))  # type: ignore[attr-defined]


def _bound_above(module: cst.Module, function: cst.FunctionDef) -> set[str]:
    """Names the module binds at its top level before the statement holding `function`."""
    bound: set[str] = set()
    for statement in module.body:
        if holds(statement, function):
            break
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            bound.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                bound |= _small_binds(small)
    return bound


def _small_binds(small: cst.BaseSmallStatement) -> set[str]:
    if isinstance(small, cst.Assign):
        return {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return {small.target.value} if isinstance(small.target, cst.Name) else set()
    if isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
        small.names, cst.ImportStar
    ):
        found = set()
        for alias in small.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                found.add(alias.asname.name.value)
            else:
                found.add(cst.Module([]).code_for_node(alias.name).split(".")[0])
        return found
    return set()


def _bound_in(function: cst.FunctionDef) -> set[str]:
    """Every name the function binds itself (parameters, assignments, loops, imports...)."""
    names = {p.name.value for p in _all_params(function.params)}

    class Binder(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            names.update(n.value for n in _names(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            names.update(n.value for n in _names(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            names.update(n.value for n in _names(node.target))

        def visit_For(self, node: cst.For) -> None:
            names.update(n.value for n in _names(node.target))

        def visit_AsName(self, node: cst.AsName) -> None:
            names.update(n.value for n in _names(node.name))

        def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
            names.update(n.value for n in _names(node.target))

        def visit_Global(self, node: cst.Global) -> None:
            names.update(item.name.value for item in node.names)

        def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
            names.update(item.name.value for item in node.names)

    function.body.visit(Binder())
    return names


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwarg = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwarg]


def _names(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collector(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.append(name)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            return False  # `self.x = ...` binds no name

        def visit_Subscript(self, subscript: cst.Subscript) -> bool:
            return False

    node.visit(Collector())
    return found


def _evaluable(base: cst.BaseExpression, names: set[str], get_metadata: GetMetadata) -> bool:
    """Whether `base` can be evaluated where the decorator is, at import, to the same value."""
    if isinstance(base, cst.Name):
        return base.value in names or base.value == "__file__"
    if isinstance(base, cst.SimpleString | cst.ConcatenatedString):
        return True
    if isinstance(base, cst.BinaryOperation) and isinstance(base.operator, cst.Divide):
        return _evaluable(base.left, names, get_metadata) and _evaluable(
            base.right, names, get_metadata
        )
    if isinstance(base, cst.Attribute):
        return base.attr.value in _PATH_METHODS and _evaluable(base.value, names, get_metadata)
    if isinstance(base, cst.Call):
        if any(arg.star or arg.keyword is not None for arg in base.args):
            return False
        arguments = all(_evaluable(arg.value, names, get_metadata) for arg in base.args)
        if isinstance(base.func, cst.Attribute) and base.func.attr.value in _PATH_METHODS:
            return arguments and _evaluable(base.func.value, names, get_metadata)
        qualified = {q.name for q in get_metadata(QualifiedNameProvider, base.func, set())}  # type: ignore[attr-defined]
        head = base.func
        while isinstance(head, cst.Attribute):
            head = head.value
        reachable = not isinstance(head, cst.Name) or head.value in names or head.value == "str"
        return arguments and bool(qualified & _PATH_CALLS) and reachable
    return False
