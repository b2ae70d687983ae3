"""Decide how many arguments a value stands for where sh would split it: standing alone, unquoted.

sh split such a value at blanks (and dropped it when empty). The decision, kept to what the code
proves:

- named like several arguments (`args`, `extra_args`, a conditional expression, a parameter
  whose default is `""`): Splitting.WORDS, `shlex.split` as before; named like a whole command
  (`cmd`): Splitting.COMMAND, never rewritten;
- provably one word, Splitting.ONE (one argument, no runtime): a number (an `int`, `float` or
  `bool` parameter, `int(...)`, `float(...)`, `len(...)`) formatted without padding, or a value
  that can only be literals (a local assigned nothing but literals, a module-level constant)
  each of which is one word of characters sh reads literally;
- provably several words, Splitting.FIELDS (`harden_runtime.fields`, exactly sh's splitting,
  never switched off): such literals with blanks between their words, a padded number, or a
  value the code shows holds several words — tested with `"reset --hard" in value`, `value ==
  "a b"`, `value.startswith("a b")`, split with `value.split()`, or a parameter whose default
  has blanks;
- anything else, Splitting.UNKNOWN: the runtime's `words()` splits as sh did, logs when that
  made other than one argument, and passes the value whole under ENFORCE_SHELL_FREE.

It never proves "one word" from a name or a guess, and never changes code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import BuiltinAssignment, FunctionScope

from harden.shell.expressions import annotated_as, code, empty_default, name_of
from harden.shell.module_names import ModuleNames
from harden.shell.tree import Tree
from harden.shell.untraceable import Untraceable
from harden.shell.words import Splitting

Verdict = tuple[Splitting, str]  # the splitting, and why (for the review note)

_WORDS_NAME = re.compile(
    r"^(args|argv|arguments|flags|options|opts|params|extra|extras)$"
    r"|_(args|argv|arguments|flags|options|opts|params)$|^(extra|additional)_"
)
_COMMAND_NAME = re.compile(
    r"^(cmd|command|cmdline|command_line|script|shell_command)$|_(cmd|command)$"
)
_NUMBER_TYPES = frozenset({"int", "float", "bool"})
_NUMBER_BUILTINS = frozenset({"int", "float", "len"})
# A format spec, or a %-format's flags and precision, that puts no blank into a number's text:
# no width (padding), no blank sign. A padded number is one word with blanks around it.
_UNPADDED_SPEC = re.compile(r"[-+]?z?#?[_,]?(?:\.\d+)?[bdeEfFgGosxX%]?")
_UNPADDED_PERCENT = re.compile(r"[#+]*(?:\.\d+)?[hlL]?")
_NUMBER_CONVERSIONS = frozenset("diouxXeEfFgG")
_PADDED = "it is a number padded with blanks, which sh dropped"
# One word sh reads literally: letters, digits and `_./:@%+=,]-` only (no quotes, `$`, `~`,
# glob or operator characters), and not an assignment (`A=1`) sh would take from the front of
# a command.
_PLAIN_WORD = re.compile(r"(?![A-Za-z_]\w*=)[\w./:@%+=,\]-]+")
_BLANK = re.compile(r"[ \t\n]")
_FIELD_SEPARATOR = re.compile(r"[ \t\n]+")


class Arity:
    """Judges the values of one module; needs Scope, Parent and Position metadata."""

    def __init__(self, tree: Tree, names: ModuleNames) -> None:
        self._tree = tree
        self._names = names

    def of(
        self, expr: cst.BaseExpression, param: cst.Param | None, conversion: str, spec: str
    ) -> Verdict:
        """The verdict for `expr` spliced as `{expr!conversion:spec}`; `param`: the parameter
        that is its only binding, if any."""
        name = name_of(expr)
        if isinstance(expr, cst.IfExp) or (param is not None and empty_default(param)):
            # An empty or multi-flag value is the point here: sh drops an empty word, so keep
            # sh's splitting exactly.
            return Splitting.WORDS, ""
        if _COMMAND_NAME.search(name):
            return Splitting.COMMAND, ""
        if _WORDS_NAME.search(name):
            return Splitting.WORDS, ""
        if self._is_number(expr, param):
            if _UNPADDED_SPEC.fullmatch(spec):
                return Splitting.ONE, ""
            return Splitting.FIELDS, _PADDED
        texts = self._possible_texts(expr, conversion, spec)
        if texts is not None:
            if all(_PLAIN_WORD.fullmatch(text) for text in texts):
                return Splitting.ONE, ""
            if all(_PLAIN_WORD.fullmatch(w) for text in texts for w in _fields(text)):
                shown = " or ".join(repr(text) for text in dict.fromkeys(texts))
                return Splitting.FIELDS, f"it can only be {shown}"
        evidence = self._several_words(expr)
        if evidence:
            return Splitting.FIELDS, evidence
        return Splitting.UNKNOWN, ""

    def of_percent(self, value: Verdict, spec: str, conversion: str) -> Verdict:
        """The verdict for `'%<spec><conversion>' % (value,)`, `value` being the value's own."""
        if conversion in _NUMBER_CONVERSIONS:  # a number's text, or a TypeError as before
            if _UNPADDED_PERCENT.fullmatch(spec):
                return Splitting.ONE, ""
            return Splitting.FIELDS, _PADDED
        if value[0] in (Splitting.ONE, Splitting.FIELDS):
            return Splitting.UNKNOWN, ""  # the spec may pad or cut what was proven
        return value

    def only_strings(self, expr: cst.BaseExpression) -> bool:
        """Whether every value `expr` can have is a string literal."""
        values = self._possible_values(expr)
        return values is not None and all(isinstance(value, str) for value in values)

    # -- one word -------------------------------------------------------------------------------

    def _is_number(self, expr: cst.BaseExpression, param: cst.Param | None) -> bool:
        if param is not None:
            return param.annotation is not None and annotated_as(
                param.annotation.annotation, _NUMBER_TYPES
            )
        return (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Name)
            and expr.func.value in _NUMBER_BUILTINS
            and self._is_builtin(expr.func)
        )

    def _is_builtin(self, name: cst.Name) -> bool:
        scope = self._tree.scope(name)
        bindings = list(scope[name.value]) if scope is not None else []
        return bool(bindings) and all(isinstance(b, BuiltinAssignment) for b in bindings)

    def _possible_texts(
        self, expr: cst.BaseExpression, conversion: str, spec: str
    ) -> list[str] | None:
        """Every text `expr` can splice in, when the code shows them all; else None."""
        values = self._possible_values(expr)
        if values is None:
            return None
        convert = {"r": repr, "a": ascii, "s": str}.get(conversion)
        try:
            return [format(convert(v) if convert else v, spec) for v in values]
        except ValueError:  # a spec the value rejects: it raises at run time as before
            return None

    def _possible_values(self, expr: cst.BaseExpression) -> list[str | int | float] | None:
        literal = _literal_value(expr)
        if literal is not None:
            return [literal]
        if not isinstance(expr, cst.Name):
            return None
        if self._names.reads_module_level(expr):
            try:
                return [self._names.constant(expr, 0)]
            except Untraceable:
                return None
        scope = self._tree.scope(expr)
        if not isinstance(scope, FunctionScope):
            return None
        values: list[str | int | float] = []
        for binding in scope[expr.value]:
            node = getattr(binding, "node", None)
            statement = (
                self._tree.simple_statement(node)
                if binding.scope is scope and isinstance(node, cst.Name)
                else None
            )
            small = statement.body[0] if statement is not None else None
            value = (
                _literal_value(small.value)
                if isinstance(small, cst.Assign | cst.AnnAssign) and small.value is not None
                else None
            )
            if value is None:
                return None
            values.append(value)
        return values or None

    # -- several words ----------------------------------------------------------------------------

    def _several_words(self, expr: cst.BaseExpression) -> str:
        """What in the code shows that `expr`, a name bound once, holds several words; or ""."""
        scope = self._tree.scope(expr) if isinstance(expr, cst.Name) else None
        if scope is None:
            return ""
        assert isinstance(expr, cst.Name)
        bindings = list(scope[expr.value])
        if len(bindings) != 1:
            return ""
        binding = bindings[0]
        node = getattr(binding, "node", None)
        if isinstance(node, cst.Param) and node.default is not None and _blank(node.default):
            return f"its default is {code(node.default)}"
        for access in binding.references:
            test = self._word_test(access.node)
            if test is not None:
                return f"the code tests `{code(test)}`"
        return ""

    def _word_test(self, read: cst.CSTNode) -> cst.CSTNode | None:
        """The expression around `read` that treats it as words with blanks between, if any."""
        parent = self._tree.parent(read)
        if isinstance(parent, cst.Attribute) and parent.value is read:
            call = self._tree.parent(parent)
            if isinstance(call, cst.Call) and call.func is parent:
                return call if _splits_at_blanks(parent.attr.value, call.args) else None
            return None
        if isinstance(parent, cst.ComparisonTarget):
            comparison = self._tree.parent(parent)
        else:
            comparison = parent
        if not isinstance(comparison, cst.Comparison):
            return None
        operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        for index, target in enumerate(comparison.comparisons):
            left, right = operands[index], operands[index + 1]
            if read is not left and read is not right:
                continue
            other = right if left is read else left
            operator = target.operator
            if isinstance(operator, cst.In | cst.NotIn | cst.Equal | cst.NotEqual) and _blank(
                other
            ):
                return comparison
        return None


def _literal_value(expr: cst.BaseExpression) -> str | int | float | None:
    """The value of a string or number literal (not bytes, not an f-string)."""
    if isinstance(expr, cst.SimpleString | cst.ConcatenatedString | cst.Integer | cst.Float):
        value = expr.evaluated_value
        return value if isinstance(value, str | int | float) else None
    return None


def _blank(expr: cst.BaseExpression) -> bool:
    """A string literal with a blank, or a literal list, tuple or set holding one."""
    if isinstance(expr, cst.List | cst.Tuple | cst.Set):
        return any(
            isinstance(element, cst.Element) and _blank(element.value) for element in expr.elements
        )
    text = _literal_value(expr)
    return isinstance(text, str) and _BLANK.search(text) is not None


def _splits_at_blanks(method: str, args: Sequence[cst.Arg]) -> bool:
    """`value.split()`, `.split(" ")`, or `.startswith("a b")`: words with blanks between."""
    positional = [arg.value for arg in args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg.value for arg in args if arg.keyword is not None}
    if method in ("split", "rsplit"):
        separator = positional[0] if positional else keywords.get("sep")
        return (
            separator is None
            or (isinstance(separator, cst.Name) and separator.value == "None")
            or _blank(separator)
        )
    if method in ("startswith", "endswith"):
        return bool(positional) and _blank(positional[0])
    return False


def _fields(text: str) -> list[str]:
    return [field for field in _FIELD_SEPARATOR.split(text) if field]
