"""Where a node sits in the module, from libcst metadata: its scope, parent and position, the
blocks and loops around it, the statement that assigns a name, the parameter a name reads.

It only answers questions about the tree it was given metadata for; it never decides whether a
command can be followed (origin.py and its helpers do) and never changes code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, ParentNodeProvider, PositionProvider, Scope, ScopeProvider

GetMetadata = Callable[..., Any]


class Tree:
    """Answers from a codemod's metadata; needs Scope, Parent and Position metadata."""

    def __init__(self, get_metadata: GetMetadata) -> None:
        self._meta = get_metadata

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self._meta(ScopeProvider, node, None)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._meta(ParentNodeProvider, node, None)

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        position: CodeRange = self._meta(PositionProvider, node)
        return (position.start.line, position.start.column)

    def end(self, node: cst.CSTNode) -> tuple[int, int]:
        position: CodeRange = self._meta(PositionProvider, node)
        return (position.end.line, position.end.column)

    def parameter(self, name: cst.Name) -> cst.Param | None:
        """The parameter `name` reads, when that parameter is the name's only binding."""
        scope = self.scope(name)
        if scope is None:
            return None
        params = [
            a.node for a in scope[name.value] if isinstance(getattr(a, "node", None), cst.Param)
        ]
        return params[0] if len(params) == 1 and len(scope[name.value]) == 1 else None

    def simple_statement(self, target: cst.Name) -> cst.SimpleStatementLine | None:
        """The one-statement line `target = ...`, `target: T = ...` or `target += ...`."""
        parent = self.parent(target)
        if isinstance(parent, cst.AssignTarget):
            assign = self.parent(parent)
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                return None
        elif (isinstance(parent, cst.AnnAssign) and parent.value is not None) or (
            isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign)
        ):
            assign = parent
        else:
            return None
        line = self.parent(assign)
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            return line
        return None

    def top_level(self, node: cst.CSTNode) -> tuple[cst.Module, cst.CSTNode]:
        """The module holding `node`, and its top-level statement that holds `node`."""
        child, parent = node, self.parent(node)
        while not isinstance(parent, cst.Module):
            assert parent is not None
            child, parent = parent, self.parent(parent)
        return parent, child

    def suites_of(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The blocks enclosing `node`, innermost first, up to its function's body."""
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.IndentedBlock | cst.SimpleStatementSuite | cst.Module):
                yield current
            if isinstance(current, cst.FunctionDef | cst.Lambda):
                return
            current = self.parent(current)

    def repeating_apart(self, site: cst.CSTNode, definition: cst.CSTNode) -> list[cst.CSTNode]:
        """The loops that run `site` again without running `definition` again."""
        around_definition = list(self._loops_around(definition))
        return [loop for loop in self._loops_around(site) if loop not in around_definition]

    def within(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None and current is not ancestor:
            current = self.parent(current)
        return current is ancestor

    def _loops_around(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The loops whose repeated part (body, while-test) holds `node`, within its function."""
        child, current = node, self.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef | cst.Lambda):
            if (isinstance(current, cst.For) and child is current.body) or (
                isinstance(current, cst.While) and child in (current.body, current.test)
            ):
                yield current
            child, current = current, self.parent(current)
