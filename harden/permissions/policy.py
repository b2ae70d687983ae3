"""A tool's phase 6 policy as the code holds it: `@harden_runtime.permissions(uses=(...))`.

Reads the literal policy off a handler's decorators, and builds the decorator phase 6 writes.
For a low-level server's call_tool handler `uses=` maps each tool's name to its uses. It never
reads a policy that is not literal strings (that is the user's code, judged at run time).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import libcst as cst

from harden.codemods.base import Qualified
from harden.codemods.handler_decorators import tuple_literal
from harden.codemods.runtime_import import RUNTIME_MODULE, runtime_function

DECORATOR = "permissions"
Policy = tuple[str, ...] | Mapping[str, tuple[str, ...]]


def policy_decorator(function: cst.FunctionDef, qualified: Qualified) -> cst.Decorator | None:
    """The handler's `@harden_runtime.permissions(...)`, if it has one."""
    for decorator in function.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if runtime_function(qualified(expression)) == DECORATOR:
            return decorator
    return None


def read_policy(decorator: cst.Decorator) -> Policy | None:
    """The uses the decorator allows, when written as literals (else None)."""
    call = decorator.decorator
    if not isinstance(call, cst.Call):
        return None
    value = next((a.value for a in call.args if a.keyword and a.keyword.value == "uses"), None)
    if isinstance(value, cst.Dict):
        policy: dict[str, tuple[str, ...]] = {}
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key, uses = _string(element.key), _strings(element.value)
            if key is None or uses is None:
                return None
            policy[key] = uses
        return policy
    return None if value is None else _strings(value)


def build_decorator(
    policy: Policy, tool: str | None = None, *, lowlevel: bool = False
) -> cst.Decorator:
    """`@harden_runtime.permissions(uses=...)`, naming the tool when its function does not."""
    if isinstance(policy, Mapping):
        served = policy.items()
        entries = ", ".join(f"{_quoted(name)}: {_literal(uses)}" for name, uses in served)
        arguments = [f"uses={{{entries}}}"]
    else:
        arguments = [f"uses={_literal(policy)}"]
    if tool is not None:
        arguments.append(f"tool={_quoted(tool)}")
    if lowlevel:
        arguments.append("lowlevel=True")
    code = f"{RUNTIME_MODULE}.{DECORATOR}({', '.join(arguments)})"
    return cst.Decorator(decorator=cst.parse_expression(code))


def _literal(uses: Sequence[str]) -> str:
    return tuple_literal(_quoted(use) for use in uses) if uses else "()"


def _quoted(text: str) -> str:
    # As written, not escaped: a reviewer reads the folder's own name (a JSON string is a
    # Python string literal).
    return json.dumps(text, ensure_ascii=False)


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _strings(node: cst.BaseExpression) -> tuple[str, ...] | None:
    if not isinstance(node, (cst.Tuple, cst.List)):
        return None
    found = []
    for element in node.elements:
        text = _string(element.value) if isinstance(element, cst.Element) else None
        if text is None:
            return None
        found.append(text)
    return tuple(found)
