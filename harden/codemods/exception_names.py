"""Which names of a module hold an exception whose text is not meant for the client, wherever
they are read: a mixin of the error-messages planner (error_leaks.py).

An `except ... as e` name holds one; a parameter does when annotated with an exception class,
or when every call in the module passes one. An exception provably written for the client does
not count, and says why (`kept`): pydantic's ValidationError (it names the invalid argument),
the project's own exception classes whose every message is built from literals and the raising
function's arguments (the project index proves them: harden.mcp.client_errors), and what a
`try` body raises itself, with literal messages, when it calls nothing else. The planner
records, while it visits, the state read here. Nothing here looks at messages or changes the
module.
"""

from __future__ import annotations

import re
from collections import defaultdict

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, ScopeProvider

from harden.codemods.base import Planner
from harden.codemods.error_parts import Verdict, code, combine

ExceptClause = cst.ExceptHandler | cst.ExceptStarHandler
_VALIDATION_ERRORS = frozenset(
    {
        "pydantic.ValidationError",
        "pydantic_core.ValidationError",
        "pydantic_core._pydantic_core.ValidationError",
        "pydantic.error_wrappers.ValidationError",
    }
)
_EXCEPTION_CLASS = re.compile(r"(?:^|\.)(?:\w*Error|\w*Exception|BaseException)$")


class ExceptionNames(Planner):
    """What the planner records for it: the names `except` binds, the names bound to None,
    the methods of each class, each method's `self` parameter, static methods, and what
    every call of the module's functions passes to each parameter."""

    def __init__(self) -> None:
        super().__init__()
        self._except_names: dict[cst.Name, ExceptClause] = {}  # `as` name -> its clause
        self._tries: dict[ExceptClause, cst.Try | cst.TryStar] = {}
        self._client_errors: frozenset[str] = frozenset()  # the planner sets it from discovery
        self._meant: dict[ExceptClause, str | None] = {}
        # Reads of an `except ... as e` name in its own clause: that clause's exception, even
        # when other clauses of the function bind the same name (Python unbinds it after each).
        self._read_in_clause: dict[cst.Name, ExceptClause] = {}
        self._none_bound: set[cst.Name] = set()  # `x = None`: no value a message would show
        self._methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self._self_params: dict[cst.Param, cst.ClassDef] = {}
        self._static: set[cst.FunctionDef] = set()
        self._sites: defaultdict[cst.Param, list[cst.BaseExpression]] = defaultdict(list)
        self._verdicts: dict[cst.CSTNode, Verdict] = {}

    def _record_reads(self, clause: ExceptClause, name: str) -> None:
        reads: list[cst.Name] = []
        rebound = False

        class Reads(cst.CSTVisitor):
            def visit_Name(self, node: cst.Name) -> None:
                if node.value == name:
                    reads.append(node)

            def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                nonlocal rebound
                rebound |= any(n.value == name for n in _target_names(node.target))

        clause.body.visit(Reads())
        if not rebound:
            self._read_in_clause.update(dict.fromkeys(reads, clause))

    def _verdict(self, name: cst.Name) -> Verdict:
        if name in self._verdicts:
            return self._verdicts[name]
        clause = self._read_in_clause.get(name)
        if clause is not None:
            return Verdict.NO if self._meant_for_client(clause) else Verdict.YES
        self._verdicts[name] = Verdict.NO  # a cycle through helpers proves nothing
        found: set[Verdict] = set()
        for assignment in self._assignments(name):
            node = assignment.node if isinstance(assignment, Assignment) else None
            clause = self._except_names.get(node) if isinstance(node, cst.Name) else None
            if clause is not None:
                found.add(Verdict.NO if self._meant_for_client(clause) else Verdict.YES)
            elif isinstance(node, cst.Param):
                found.add(self._param_verdict(node))
            elif node not in self._none_bound:
                found.add(Verdict.NO)
        verdict = combine(found)
        self._verdicts[name] = verdict
        return verdict

    def _kept(self, name: cst.Name) -> str | None:
        """Why the exception `name` holds is meant for the client, when it is wherever the
        name is read (every binding an `except` clause catching only such exceptions)."""
        clause = self._read_in_clause.get(name)
        if clause is not None:
            return self._meant_for_client(clause)
        reasons: list[str] = []
        for assignment in self._assignments(name):
            node = assignment.node if isinstance(assignment, Assignment) else None
            clause = self._except_names.get(node) if isinstance(node, cst.Name) else None
            reason = self._meant_for_client(clause) if clause is not None else None
            if reason is None:
                return None
            reasons.append(reason)
        return "; ".join(dict.fromkeys(reasons)) or None

    def _meant_for_client(self, clause: ExceptClause) -> str | None:
        if clause not in self._meant:
            self._meant[clause] = self._caught_for_client(clause)
        return self._meant[clause]

    def _caught_for_client(self, clause: ExceptClause) -> str | None:
        caught = clause.type
        if caught is None:
            return None
        types = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
        reasons = []
        for kind in types:
            if self._qualified(kind) & _VALIDATION_ERRORS:
                reasons.append(
                    f"`{code(kind)}` is pydantic's validation error, which names the invalid "
                    "argument"
                )
            elif isinstance(kind, cst.Name) and kind.value in self._client_errors:
                reasons.append(
                    f"`{kind.value}` is the project's own exception, raised everywhere with "
                    "messages built only from literals and the raising function's arguments"
                )
            else:
                break
        else:
            return "kept the exception's text: " + "; ".join(reasons)
        body = self._tries.get(clause)
        if body is not None and _raises_only_literals(body.body):
            return (
                "kept the exception's text: the `try` block raises it itself with a literal "
                "message, and calls nothing else"
            )
        return None

    def _param_verdict(self, param: cst.Param) -> Verdict:
        if param in self._verdicts:
            return self._verdicts[param]
        self._verdicts[param] = Verdict.NO
        if param.annotation is not None:
            verdict = self._annotation_verdict(param.annotation.annotation) or Verdict.NO
        else:
            # Unannotated: an exception if every call in this module passes one.
            sites = self._sites.get(param, [])
            verdict = combine(
                {self._verdict(arg) if isinstance(arg, cst.Name) else Verdict.NO for arg in sites}
            )
        self._verdicts[param] = verdict
        return verdict

    def _annotation_verdict(self, annotation: cst.BaseExpression) -> Verdict | None:
        """YES for `Exception`, `OSError | None`, `Optional[httpx.HTTPError]`; MIXED for a
        union with anything else (`Exception | str`: some callers pass a message written for
        the client); NO for the rest, `type[...]` included; None for `None` itself."""
        if isinstance(annotation, cst.BinaryOperation):
            sides = (annotation.left, annotation.right)
        elif isinstance(annotation, cst.Subscript) and self._qualified(annotation.value) & {
            "typing.Optional",
            "typing.Union",
        }:
            sides = tuple(
                element.slice.value
                for element in annotation.slice
                if isinstance(element.slice, cst.Index)
            )
        elif isinstance(annotation, cst.Name) and annotation.value == "None":
            return None
        else:
            names = self._qualified(annotation)
            return Verdict.YES if any(map(_EXCEPTION_CLASS.search, names)) else Verdict.NO
        found = {self._annotation_verdict(side) for side in sides} - {None}
        return combine({v for v in found if v is not None}) if found else None

    def _record_sites(self, call: cst.Call) -> None:
        """What each call of one of this module's functions passes to each parameter."""
        for function, skip in self._callees(call):
            params = function.params
            positional = [*params.posonly_params, *params.params][skip:]
            by_name = {p.name.value: p for p in (*positional, *params.kwonly_params)}
            for index, arg in enumerate(call.args):
                if arg.star:
                    break
                if arg.keyword is not None:
                    param = by_name.get(arg.keyword.value)
                else:
                    param = positional[index] if index < len(positional) else None
                if param is not None:
                    self._sites[param].append(arg.value)

    def _callees(self, call: cst.Call) -> list[tuple[cst.FunctionDef, int]]:
        """The functions of this module a call may run, each with the number of leading
        parameters the call does not pass (1 for `self`)."""
        func = call.func
        if isinstance(func, cst.Name):
            return [
                (a.node, 0)
                for a in self._assignments(func)
                if isinstance(a, Assignment) and isinstance(a.node, cst.FunctionDef)
            ]
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            classes = {
                self._self_params[a.node]
                for a in self._assignments(func.value)
                if isinstance(a, Assignment)
                and isinstance(a.node, cst.Param)
                and a.node in self._self_params
            }
            return [
                (method, 0 if method in self._static else 1)
                for cls in classes
                for method in self._methods.get((cls, func.attr.value), ())
            ]
        return []

    def _assignments(self, name: cst.Name) -> list[BaseAssignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        return list(scope[name.value]) if scope is not None else []


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, cst.Tuple | cst.List):
        return [n for e in target.elements for n in _target_names(e.value)]
    return []


def _raises_only_literals(block: cst.BaseSuite) -> bool:
    """Whether a block raises at least once, each time an exception built from literals, and
    calls nothing else (a call could raise a library's exception of the same class)."""
    raised = False

    class Check(cst.CSTVisitor):
        clean = True

        def visit_Raise(self, node: cst.Raise) -> bool:
            nonlocal raised
            raised = True
            exc = node.exc
            if isinstance(exc, cst.Call):
                self.clean &= all(_literal(arg.value) and not arg.star for arg in exc.args)
            elif not isinstance(exc, cst.Name | cst.Attribute):
                self.clean = False
            return False

        def visit_Call(self, node: cst.Call) -> None:
            self.clean = False

        def visit_Await(self, node: cst.Await) -> None:
            self.clean = False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False  # defined here, not called here

    check = Check()
    block.visit(check)
    return check.clean and raised


def _literal(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.SimpleString | cst.Integer | cst.Float):
        return True
    if isinstance(value, cst.ConcatenatedString):
        return _literal(value.left) and _literal(value.right)
    return isinstance(value, cst.FormattedString) and not any(
        isinstance(part, cst.FormattedStringExpression) for part in value.parts
    )
