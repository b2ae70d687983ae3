"""Which of a handler's return values hand the process environment, or a secret variable, to
its client.

`exposures(function, qualified)` reads the function's own `return` values (not those of the
functions it defines) and follows a local name assigned once to what was put into it. It finds
`os.environ` and what copies it whole (`dict(os.environ)`, `os.environ.copy()`, `{**os.environ}`,
an unfiltered comprehension over it, `json.dumps(...)` or `str(...)` of any of those), and the
value of a variable named like a secret (`os.getenv("API_KEY")`, `os.environ["DB_PASSWORD"]`,
`os.environ.get(...)`), inside the dicts, lists, tuples, f-strings and concatenations a result is
built of. It only reads code; deciding what a client may see is the author's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst
import libcst.matchers as m

from harden.codemods.base import Qualified

# The runtime's rule for a secret's variable name (harden/runtime.py `_SECRET_NAME` and
# `_NOT_SECRET_NAMES`; the runtime is one standalone file, so the rule is written twice and a
# test holds the two equal).
SECRET_NAME = re.compile(
    # Not where a name only says where or which a secret is (PASSWORD_STORE_DIR,
    # AWS_ACCESS_KEY_ID, DB_PASSWORD_FILE).
    r"^(?!.*_(?:DIR|PATH|FILE|HOME|ID|NAME|URL|URI|HOST|PORT|USER|USERNAME|REGION"
    r"|TYPE|MODE)$)"
    r"(?:.*(?:^|_)(?:KEY|KEYS|APIKEY|TOKEN|TOKENS|SECRET|SECRETS|PASS|PASSWD|PWD|DSN"
    r"|CREDENTIAL|CREDENTIALS|COOKIE|AUTH)$|.*PASSWORD|.*SECRET)"
)
NOT_SECRET_NAMES = frozenset(
    # The shell's working directories; the public key id of official Python images;
    # harden's own allow-list.
    {"PWD", "OLDPWD", "GPG_KEY", "HARDEN_SECRET_ALLOW"}
)

ENVIRONMENT = "the process environment (os.environ)"
_ENVIRON = frozenset({"os.environ"})
_GETTERS = frozenset({"os.getenv", "os.environ.get"})
_COPIES = frozenset({"copy", "items", "values"})  # os.environ.copy() and what iterates it whole
# Calls whose result shows their arguments' values: dict(os.environ), json.dumps(...), str(...).
# (list(os.environ) and sorted(os.environ) show the names alone.)
_SHOWING = frozenset(
    {f"builtins.{name}" for name in ("dict", "str", "repr", "format")}
    | {"json.dumps", "pprint.pformat"}
)
# Calls that show the names of a mapping (list(os.environ)), or its items' values when given them.
_LISTING = frozenset(f"builtins.{name}" for name in ("list", "tuple", "sorted", "set"))
_FOLLOW_DEPTH = 4  # local names followed through one another


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return upper not in NOT_SECRET_NAMES and SECRET_NAME.search(upper) is not None


def exposures(
    function: cst.FunctionDef, qualified: Qualified
) -> Iterator[tuple[cst.BaseExpression, str]]:
    """(returned value, what of the environment it shows) for each return of `function` that
    shows some."""
    body = _Body()
    function.body.visit(body)
    for value in body.returns:
        shown = _shown(value, body, qualified, 0)
        if shown:
            yield value, shown


class _Body(cst.CSTVisitor):
    """A function's return values and what each local name is assigned, not descending into
    the functions, classes and lambdas it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.returns: list[cst.BaseExpression] = []
        self.bindings: dict[str, list[cst.BaseExpression]] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.returns.append(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node.value)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.bindings.setdefault(target.value, []).append(value)


def _shown(node: cst.BaseExpression, body: _Body, qualified: Qualified, depth: int) -> str:
    """What of the environment `node`'s value shows ("": nothing harden can see)."""
    names = qualified(node) if isinstance(node, (cst.Name, cst.Attribute)) else set()
    if names & _ENVIRON:
        return ENVIRONMENT
    parts: list[cst.BaseExpression] = []
    if isinstance(node, cst.Name):
        bound = body.bindings.get(node.value, [])
        if len(bound) == 1 and depth < _FOLLOW_DEPTH:
            return _shown(bound[0], body, qualified, depth + 1)
    elif isinstance(node, cst.Subscript):
        if qualified(node.value) & _ENVIRON and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                return _secret(index.value)
    elif isinstance(node, cst.Call):
        func = node.func
        callee = qualified(func) if isinstance(func, (cst.Name, cst.Attribute)) else set()
        if callee & _GETTERS:
            return _secret(node.args[0].value) if node.args else ""
        copies = isinstance(func, cst.Attribute) and func.attr.value in _COPIES
        if copies and qualified(func.value) & _ENVIRON:  # type: ignore[union-attr]
            return ENVIRONMENT
        if callee & _SHOWING or (isinstance(func, cst.Attribute) and func.attr.value == "format"):
            parts = [arg.value for arg in node.args]
        elif callee & _LISTING:
            parts = [arg.value for arg in node.args if not qualified(arg.value) & _ENVIRON]
    elif isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        parts = [element.value for element in node.elements]
    elif isinstance(node, (cst.DictComp, cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        comprehension = node.for_in
        if comprehension.inner_for_in is None and not comprehension.ifs:
            if qualified(comprehension.iter) & _ENVIRON:  # its names: values only if read
                shown = node.value if isinstance(node, cst.DictComp) else node.elt
                return ENVIRONMENT if _reads_environ(shown, qualified) else ""
            parts = [comprehension.iter]
    elif isinstance(node, cst.FormattedString):
        parts = [p.expression for p in node.parts if isinstance(p, cst.FormattedStringExpression)]
    elif isinstance(node, (cst.BinaryOperation, cst.ConcatenatedString)):
        parts = [node.left, node.right]
    for part in parts:
        shown = _shown(part, body, qualified, depth)
        if shown:
            return shown
    return ""


def _reads_environ(node: cst.BaseExpression, qualified: Qualified) -> bool:
    """Whether `node` reads a variable's value: `os.environ[...]`, `os.getenv(...)`."""
    subscripts = m.findall(node, m.Subscript())
    calls = m.findall(node, m.Call())
    return any(
        isinstance(s, cst.Subscript) and qualified(s.value) & _ENVIRON for s in subscripts
    ) or any(
        isinstance(c, cst.Call)
        and isinstance(c.func, (cst.Name, cst.Attribute))
        and qualified(c.func) & _GETTERS
        for c in calls
    )


def _secret(name: cst.BaseExpression) -> str:
    """`the secret variable NAME` for a literal name that says it holds a secret."""
    if isinstance(name, cst.SimpleString):
        text = name.evaluated_value
        if isinstance(text, str) and is_secret_name(text):
            return f"the secret variable {text}"
    return ""
