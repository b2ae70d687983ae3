"""Which names of a module hold an exception wherever they are read: a mixin of the
error-messages planner (error_leaks.py).

An `except ... as e` name holds one; a parameter does when annotated with an exception class,
or when every call in the module passes one. The planner records, while it visits, the state
read here. Nothing here looks at messages or changes the module.
"""

from __future__ import annotations

import re
from collections import defaultdict

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, QualifiedNameProvider, ScopeProvider

from harden.codemods.base import Planner
from harden.codemods.error_parts import Verdict, combine

_EXCEPTION_CLASS = re.compile(r"(?:^|\.)(?:\w*Error|\w*Exception|BaseException)$")


class ExceptionNames(Planner):
    """What the planner records for it: the names `except` binds, the names bound to None,
    the methods of each class, each method's `self` parameter, static methods, and what
    every call of the module's functions passes to each parameter."""

    def __init__(self) -> None:
        super().__init__()
        self._except_names: set[cst.Name] = set()
        self._none_bound: set[cst.Name] = set()  # `x = None`: no value a message would show
        self._methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self._self_params: dict[cst.Param, cst.ClassDef] = {}
        self._static: set[cst.FunctionDef] = set()
        self._sites: defaultdict[cst.Param, list[cst.BaseExpression]] = defaultdict(list)
        self._verdicts: dict[cst.CSTNode, Verdict] = {}

    def _verdict(self, name: cst.Name) -> Verdict:
        if name in self._verdicts:
            return self._verdicts[name]
        self._verdicts[name] = Verdict.NO  # a cycle through helpers proves nothing
        found: set[Verdict] = set()
        for assignment in self._assignments(name):
            node = assignment.node if isinstance(assignment, Assignment) else None
            if node in self._except_names:
                found.add(Verdict.YES)
            elif isinstance(node, cst.Param):
                found.add(self._param_verdict(node))
            elif node not in self._none_bound:
                found.add(Verdict.NO)
        verdict = combine(found)
        self._verdicts[name] = verdict
        return verdict

    def _param_verdict(self, param: cst.Param) -> Verdict:
        if param in self._verdicts:
            return self._verdicts[param]
        self._verdicts[param] = Verdict.NO
        if param.annotation is not None:
            verdict = (
                Verdict.YES if self._names_exception(param.annotation.annotation) else Verdict.NO
            )
        else:
            # Unannotated: an exception if every call in this module passes one.
            sites = self._sites.get(param, [])
            verdict = combine(
                {self._verdict(arg) if isinstance(arg, cst.Name) else Verdict.NO for arg in sites}
            )
        self._verdicts[param] = verdict
        return verdict

    def _names_exception(self, annotation: cst.BaseExpression) -> bool:
        """`Exception`, `OSError | None`, `Optional[httpx.HTTPError]`, never `type[...]`."""
        if isinstance(annotation, cst.BinaryOperation):
            return self._names_exception(annotation.left) or self._names_exception(annotation.right)
        if isinstance(annotation, cst.Subscript):
            if not self._qualified(annotation.value) & {"typing.Optional", "typing.Union"}:
                return False
            return any(
                isinstance(element.slice, cst.Index) and self._names_exception(element.slice.value)
                for element in annotation.slice
            )
        return any(_EXCEPTION_CLASS.search(name) for name in self._qualified(annotation))

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

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _assignments(self, name: cst.Name) -> list[BaseAssignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        return list(scope[name.value]) if scope is not None else []
