"""Host parameters a tool only shows or resolves: phase 2 names them in
`@harden_runtime.validate(names_only=...)`, so `host="localhost"` is not reported as SSRF in a
tool that never connects anywhere.

A parameter named like a host (`host`, `hostname`, `domain`) qualifies when every call in the
tool's body is one that cannot open a connection: builtins (but eval, exec, compile and
__import__), name resolution (`socket.gethostbyname`, `getaddrinfo`, ...), the standard
library's text and address modules (ipaddress, re, json, logging, datetime, string,
textwrap), and string and container methods (`strip`, `split`, `format`, `append`, ...). Any
other call — a client, a subprocess, a helper harden cannot see into — may connect, and the
parameter keeps its SSRF checks. It only reads code.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from harden.runtime import _NAME_WORD  # the runtime's own splitting of parameter names

GetMetadata = Callable[..., object]
_HOST_WORDS = frozenset({"host", "hostname", "domain"})
_UNSAFE_BUILTINS = frozenset({"eval", "exec", "compile", "__import__"})
_RESOLVERS = frozenset(
    f"socket.{name}"
    for name in (
        "gethostbyname",
        "gethostbyname_ex",
        "gethostbyaddr",
        "getaddrinfo",
        "getnameinfo",
        "getfqdn",
        "inet_aton",
        "inet_pton",
        "inet_ntoa",
        "inet_ntop",
    )
)
_PURE_MODULES = ("ipaddress.", "re.", "json.", "logging.", "datetime.", "string.", "textwrap.")
_SAFE_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold", "replace", "join"}
    | {"format", "removeprefix", "removesuffix", "split", "rsplit", "splitlines", "partition"}
    | {"startswith", "endswith", "encode", "decode", "count", "find", "isdigit", "isalnum"}
    | {"append", "extend", "items", "keys", "values", "copy", "sort"}
)


def shown_hosts(function: cst.FunctionDef, get_metadata: GetMetadata) -> list[str]:
    """The function's host parameters, when its body cannot connect anywhere."""
    hosts = [
        p.name.value
        for p in (*function.params.posonly_params, *function.params.params)
        if {w.lower() for w in _NAME_WORD.findall(p.name.value)} & _HOST_WORDS
    ]
    if not hosts:
        return []
    checker = _Calls(get_metadata)
    function.body.visit(checker)
    return [] if checker.may_connect else hosts


class _Calls(cst.CSTVisitor):
    def __init__(self, get_metadata: GetMetadata) -> None:
        super().__init__()
        self.get_metadata = get_metadata
        self.may_connect = False

    def visit_Call(self, node: cst.Call) -> None:
        qualified = {
            q.name
            for q in self.get_metadata(QualifiedNameProvider, node.func, set())  # type: ignore[attr-defined]
        }
        if not _harmless(node.func, qualified):
            self.may_connect = True


def _harmless(func: cst.BaseExpression, qualified: set[str]) -> bool:
    # libcst names a method of a literal (`", ".join`) `builtins.None`.
    qualified = qualified - {"builtins.None"}
    for name in qualified:
        if name.startswith("builtins."):
            return name.removeprefix("builtins.") not in _UNSAFE_BUILTINS
        if name in _RESOLVERS or name.startswith(_PURE_MODULES):
            return True
    # Else only a known harmless method of a local value or a literal (a string, a list, a
    # dict): not a function or object of a module, which may be a client.
    local = all("<locals>" in name for name in qualified)
    return local and isinstance(func, cst.Attribute) and func.attr.value in _SAFE_METHODS
