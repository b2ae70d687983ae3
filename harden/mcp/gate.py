"""A cheap `ast` check: can this file hold an MCP handler registration at all?

The handler finder needs libcst's scope and qualified-name metadata on the whole module, about
a millisecond per line, and a text prefilter lets through every file that merely mentions
`FastMCP` or `.tool(`. Every registration the finder resolves or reports has a shape visible
without any metadata: a registrar decorator (`@x.tool`, `@x.tool(...)`), a factory call
(`x.tool(...)(fn)`, or `t = x.tool(...)` for a later `@t` or `t(fn)`), a direct call of a
registrar that takes the function (`x.add_tool(fn)`, fastmcp's `x.tool(fn)`) or a handler
constructor keyword (`Server(on_call_tool=fn)`). This check looks for those shapes with the
standard library's `ast`, a tenth of libcst's cost, and over-approximates: it decides which
files the finder looks at, never what it finds.
"""

from __future__ import annotations

import ast

from harden.mcp.frameworks import CONSTRUCTOR_KEYWORDS, REGISTRARS, SERVER_CLASSES

# The last part of every known server class's qualified name: FastMCP, MCPServer, Server.
_SERVER_CLASS_NAMES = frozenset(name.rpartition(".")[2] for name in SERVER_CLASSES)


def may_register_handlers(module: ast.Module) -> bool:
    constructed: list[ast.expr] = []  # callees of calls with a handler constructor keyword
    for node in ast.walk(module):
        if _registration_shaped(node):
            return True
        if isinstance(node, ast.Call) and any(
            keyword.arg in CONSTRUCTOR_KEYWORDS for keyword in node.keywords
        ):
            constructed.append(node.func)
    if not constructed:
        return False
    # `tools=` is a common keyword (`ListToolsResult(tools=...)`): it registers handlers only
    # when the callee is a server class, which the finder knows by its qualified name (an
    # import of a known class) or as a class of this module deriving from one.
    classes = _server_class_spellings(module)
    return any(_callee_name(func) in classes for func in constructed)


def _registration_shaped(node: ast.AST) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return any(
            _registrar(d.func if isinstance(d, ast.Call) else d) is not None
            for d in node.decorator_list
        )
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
        factory = _registrar(node.value.func)
        return factory is not None and bool(REGISTRARS[factory].factory)  # t = x.tool(...)
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Call) and _registrar(node.func.func) is not None:
        return True  # x.tool(...)(fn)
    # x.add_tool(fn), x.tool(fn): not a client's session.call_tool(...), which registers nothing
    direct = _registrar(node.func)
    return direct is not None and bool(REGISTRARS[direct].direct)


def _registrar(expression: ast.expr) -> str | None:
    """The registrar method an expression `x.<method>` names, if it is one."""
    if isinstance(expression, ast.Attribute) and expression.attr in REGISTRARS:
        return expression.attr
    return None


def _server_class_spellings(module: ast.Module) -> set[str]:
    """Every name by which this module may call a server class: the classes' own names, what
    an import renames one to, and the classes the module defines (which may derive from one)."""
    names = set(_SERVER_CLASS_NAMES)
    for node in ast.walk(module):
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(
                alias.asname
                for alias in node.names
                if alias.asname and alias.name.rpartition(".")[2] in _SERVER_CLASS_NAMES
            )
    return names


def _callee_name(func: ast.expr) -> str | None:
    """The last name of a callee as qualified names see it: through a subscript (a generic
    class, `FastMCP[Any]`) and a call, to what they are applied to."""
    while isinstance(func, ast.Subscript | ast.Call):
        func = func.value if isinstance(func, ast.Subscript) else func.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
