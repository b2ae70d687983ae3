"""Whether a value taken from a variable's definition may be evaluated at the call instead.

When a command variable becomes an argument list, the values it spliced in are read where the
command runs, not where it was built: that is the same only if they are free of side effects
and nothing the code shows changes them in between. This module only checks; it raises
Untraceable with the reason, and never changes code.
"""

from __future__ import annotations

import libcst as cst

from harden.shell.expressions import code, is_pure, names_in
from harden.shell.tree import Tree
from harden.shell.untraceable import Untraceable


def check_movable(
    tree: Tree, expr: cst.BaseExpression, definition: cst.CSTNode, site: cst.CSTNode
) -> None:
    """`expr`, from `definition`, gives the same value when evaluated at `site` instead."""
    if not is_pure(expr):
        raise Untraceable(
            f"the command includes `{code(expr)}`, which harden would have to move to the call"
        )
    begin, end = tree.start(definition), tree.start(site)
    built = tree.end(definition)
    loops = tree.repeating_apart(site, definition)

    def in_between(node: cst.CSTNode, after: tuple[int, int]) -> bool:
        # Between the definition and the call, or anywhere in a loop that runs the call
        # again without building the command again.
        return after < tree.start(node) < end or any(tree.within(node, loop) for loop in loops)

    for name in names_in(expr):
        scope = tree.scope(name)
        if scope is None:
            continue
        if any(
            assignment.scope is scope
            and (node := getattr(assignment, "node", None)) is not None
            and not isinstance(node, cst.Param)
            and in_between(node, begin)
            for assignment in scope[name.value]
        ):
            raise Untraceable(
                f"`{name.value}` changes between where the command is built and where it runs"
            )
        for access in scope.accesses[name.value]:
            if in_between(access.node, built) and (change := _mutation(tree, access.node)):
                raise Untraceable(
                    f"`{code(change)}` may change `{name.value}` between where the command "
                    "is built and where it runs"
                )


def _mutation(tree: Tree, name: cst.CSTNode) -> cst.CSTNode | None:
    """The statement part that changes the object `name` refers to: `d[k] = v`, `xs.append(v)`.

    Only what the code shows: a function the object is passed to may change it unseen.
    """
    node, parent = name, tree.parent(name)
    while isinstance(parent, cst.Attribute | cst.Subscript) and parent.value is node:
        node, parent = parent, tree.parent(parent)
    if node is name:
        return None  # a plain read; rebinding the name is an assignment, checked apart
    if isinstance(parent, cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.Del):
        return node if parent.target is node else None
    if isinstance(parent, cst.Call) and parent.func is node:
        return parent
    return None
