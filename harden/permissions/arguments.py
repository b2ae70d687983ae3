"""What a call's arguments say where the code spells it out, for the rules of sinks.py and
programs.py: the argument given for a parameter, its literal text (through a name assigned once
in its scope, `+`, f-strings, `%` and `.format`), and a literal truth value.

It reads one module's text only: an argument it cannot read is None or not whole, never a
guess; it never follows a name into another module, and never imports or runs the code.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, ImportAssignment

from harden.permissions.parsed_modules import ParsedModule
from harden.permissions.resolution import DEPTH


def argument(
    call: cst.Call, position: int | None, keywords: tuple[str, ...]
) -> cst.BaseExpression | None:
    """The argument given for a parameter, by keyword or at `position` among the positional
    ones (before any `*args`)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    if position is None:
        return None
    positional = []
    for arg in call.args:
        if arg.star:
            break
        if arg.keyword is None:
            positional.append(arg.value)
    return positional[position] if position < len(positional) else None


def truth(expression: cst.BaseExpression) -> bool | None:
    if isinstance(expression, cst.Name) and expression.value in ("True", "False"):
        return expression.value == "True"
    if isinstance(expression, cst.Integer):
        return expression.evaluated_value != 0
    return None


def literal(module: ParsedModule, expression: cst.BaseExpression) -> str | None:
    text, whole = leading_text(module, expression)
    return text if whole else None


def leading_text(
    module: ParsedModule, expression: cst.BaseExpression, depth: int = 0
) -> tuple[str, bool]:
    """The literal text a string expression starts with, and whether that is all of it:
    a literal, an f-string's text before its first field, a `+` of them, the text before
    the first `%s` or `{}` filled in."""
    if depth > DEPTH:
        return "", False
    value = followed(module, expression)
    if isinstance(value, cst.SimpleString):
        evaluated = value.evaluated_value
        return (evaluated if isinstance(evaluated, str) else evaluated.decode("latin-1")), True
    if isinstance(value, cst.ConcatenatedString) or (
        isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)
    ):
        left, whole = leading_text(module, value.left, depth + 1)
        if not whole:
            return left, False
        right, whole = leading_text(module, value.right, depth + 1)
        return left + right, whole
    if isinstance(value, cst.FormattedString):
        text = ""
        for part in value.parts:
            if not isinstance(part, cst.FormattedStringText):
                return text, False
            text += part.value
        return text, True
    template, marker = None, ""
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Modulo):
        template, marker = value.left, "%"
    elif (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "format"
    ):
        template, marker = value.func.value, "{"
    if template is not None:
        text, whole = leading_text(module, template, depth + 1)
        return text.partition(marker)[0], whole and marker not in text
    return "", False


def followed(module: ParsedModule, expression: cst.BaseExpression) -> cst.BaseExpression:
    """What a name assigned once (and maybe added to: `cmd += ...`) was assigned."""
    for _ in range(DEPTH):
        if not isinstance(expression, cst.Name):
            break
        scope = module.scope(expression)
        if scope is None:
            break
        values = []
        for assignment in scope[expression.value]:
            node = assignment.node if isinstance(assignment, Assignment) else None
            binding = (
                module.bindings.get(node)
                if isinstance(node, cst.Name) and not isinstance(assignment, ImportAssignment)
                else None
            )
            if binding is None or binding.value is None:
                return expression
            if not binding.augmented:
                values.append(binding.value)
        if len(values) != 1:
            break
        expression = values[0]
    return expression
