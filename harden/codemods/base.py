"""What every harden codemod is, and how its plans become reviewed Rewrites.

A codemod module defines a `CodemodInfo` (info.py: id, phase, title, the rule it reports,
rationale, a text prefilter, and BEFORE/AFTER examples the tests run) and a planner: a libcst
visitor that, for every place it cares about, records either a Proposal (how to rewrite the
node) or a Refusal (why it will not). `PlannedCodemod` then, per file:

1. runs the planner once over the module with the metadata it declares (on a focus module,
   see focus.py; again on the whole module if the planner asks for it);
2. matches input findings to plans (with `--findings`, only named places are acted on);
3. turns each Proposal into a Rewrite and asks `decide` (auto, interactive, dry-run);
4. applies only the accepted ones with a transformer that consults those decisions.

A codemod never touches files or git, and never patches text after the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
)
from libcst.metadata.base_provider import ProviderT

from harden.changes import Rewrite, Span, Unfixed, Verdict
from harden.codemods.focus import Focus, focus
from harden.codemods.info import CodemodInfo
from harden.codemods.runtime_import import add_runtime_import
from harden.findings.model import Finding, Severity
from harden.findings.rules import codemod_for
from harden.permissions.scoping import Scoping
from harden.suppressions import suppression

Replacements = Mapping[cst.CSTNode, cst.CSTNode]
# A node's qualified names (QualifiedNameProvider's): a planner's `_qualified`, or a parsed
# module's outside a planner.
Qualified = Callable[[cst.CSTNode], AbstractSet[str]]
Companion = tuple[cst.CSTNode, Callable[[Replacements], cst.CSTNode | cst.RemovalSentinel]]


@dataclass(slots=True)
class Proposal:
    """How to rewrite `node`. `build` receives the replacements made inside it (nested plans)."""

    node: cst.CSTNode
    build: Callable[[Replacements], cst.CSTNode]
    note: str
    severity: Severity
    message: str
    # other nodes this rewrite changes (a command's variable definitions): each with the
    # builder of its replacement, or of RemovalSentinel.REMOVE
    companions: tuple[Companion, ...] = ()
    # (module, name, alias) imports to add when accepted / to drop if the rewrite leaves them unused
    add_imports: tuple[tuple[str, str | None, str | None], ...] = ()
    drop_imports: tuple[tuple[str, str | None, str | None], ...] = ()
    uses_runtime: bool = False  # the rewrite calls the vendored harden_runtime module
    # A node that an accepted rewrite must rebuild for this one to be valid code (the f-string
    # whose {...} this rewrite sits in); None: it stands on its own.
    needs: cst.CSTNode | None = None
    # The function whose parameter is the command line this rewrite still hands to a shell
    # when it needs one (the shim): it runs its caller's commands, which `harden plan` lists.
    runs_callers_command: str = ""


@dataclass(slots=True)
class Refusal:
    """A place the codemod will not rewrite, and why."""

    node: cst.CSTNode
    reason: str
    severity: Severity
    message: str
    rule: str = ""  # the rule harden's scan reports it under, when not the codemod's own


Plan = Proposal | Refusal


@dataclass(slots=True)
class FileRun:
    """One file's run of a phase: what came in (findings, decisions) and what came out."""

    path: str
    decide: Callable[[Rewrite], bool | Verdict]
    requested: Sequence[Finding] | None = None  # None: act on every place the codemods find
    text: str = ""  # the whole file's text ("": the module given is the whole file)
    # Resolve metadata only on the statements holding the codemod's sinks (see focus.py);
    # off when the module given is already an excerpt of the file.
    focus_metadata: bool = True
    below_root: bool = False  # the file lies in a folder below the tree's root
    # Its private top-level functions that other modules of the project name (named_elsewhere.py)
    named_elsewhere: frozenset[str] = frozenset()
    # The file's line number (as read) of each line of the module given, when they differ: the
    # lines of an excerpt, or of a module an earlier codemod of the run rewrote.
    line_map: Sequence[int] | None = None
    excerpt: bool = False  # only some of the file's lines were parsed (a scan)
    # Metadata already resolved on a module, shared by the codemods run on the same file: while
    # none of them changes the module (a scan), each provider is resolved once, not per codemod.
    wrappers: dict[cst.Module, MetadataWrapper] = field(default_factory=dict)
    # What metadata providers are given as their cache (the project index's facts for handler
    # discovery), for every wrapper made for this file.
    metadata_cache: Mapping[ProviderT, object] = field(default_factory=dict)
    uses_runtime: bool = False  # an accepted rewrite needs the vendored runtime
    scoping: Scoping | None = None  # phase 6: what the logs say each tool may do
    # A planner needed the whole file and was given an excerpt: this run's results are
    # incomplete, and the file must be run again parsed whole.
    needs_whole_module: bool = False
    accepted: list[Rewrite] = field(default_factory=list)
    proposed: list[Rewrite] = field(default_factory=list)
    unfixed: list[Unfixed] = field(default_factory=list)
    matched: set[Finding] = field(default_factory=set)
    # Places a codemod looked at and deliberately left as they are, with why: "path:line: why".
    kept: list[str] = field(default_factory=list)
    # The findings of rewrites that run a caller's command line: the function whose it is.
    caller_commands: dict[Finding, str] = field(default_factory=dict)

    def detected(self) -> list[Finding]:
        """What harden's own scan reports: every place proposed or refused."""
        found = [f for r in self.proposed for f in r.fixes] + [u.finding for u in self.unfixed]
        return sorted(found, key=Finding.sort_key)


class Planner(cst.CSTVisitor):
    """Base of codemod planners: collects plans while visiting with metadata."""

    def __init__(self) -> None:
        super().__init__()
        self.plans: list[Plan] = []
        # Nodes that look like what the codemod rewrites but are left alone on purpose: why.
        self.kept: dict[cst.CSTNode, str] = {}
        # Whether the module visited is the whole file, not a focus module or an excerpt. A
        # planner that needs what only the whole file shows sets `needs_whole_module` instead
        # of answering; its plans are then dropped and it runs again on the whole file.
        self.whole_module = True
        self.needs_whole_module = False
        # The module's private functions other modules name: their calls are not all here.
        self.named_elsewhere: frozenset[str] = frozenset()
        self.path = ""  # the file's, relative to the tree's root
        self.scoping: Scoping | None = None  # phase 6: what the logs say each tool may do

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        """The qualified names of `node` (for a planner that declares QualifiedNameProvider)."""
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}


class PlannedCodemod:
    """Runs a planner, decides each proposal, applies the accepted ones."""

    INFO: ClassVar[CodemodInfo]
    PLANNER: ClassVar[type[Planner]]

    def __init__(self, run: FileRun) -> None:
        self.run = run
        self.focus: Focus | None = None
        self.wrapper: MetadataWrapper | None = None
        self.add_imports: list[tuple[str, str | None, str | None]] = []
        self.drop_imports: list[tuple[str, str | None, str | None]] = []

    def transform_module(self, tree: cst.Module) -> cst.Module:
        focusing = self.run.focus_metadata and self.run.text
        self.focus = focus(tree, self.run.text, self.INFO.sinks) if focusing else None
        planner = self._plan(tree)
        if planner.needs_whole_module:
            if self.run.excerpt:
                self.run.needs_whole_module = True
                return tree
            self.focus = None
            planner = self._plan(tree)
        new = self._plan_and_apply(tree, planner)
        if self.add_imports or self.drop_imports:
            new = _fix_imports(new, self.run.path, self.add_imports, self.drop_imports)
        if self.run.uses_runtime:
            new = add_runtime_import(new, below_root=self.run.below_root)
        return _without_blank_lines_on_top(new) if new is not tree else tree

    def _plan(self, tree: cst.Module) -> Planner:
        """The planner, run over the focus module if there is one, else over `tree`."""
        target = self.focus.module if self.focus else tree
        if target not in self.run.wrappers:
            # libcst's default deep-copies the module for metadata; ours is fresh, so skip that.
            self.run.wrappers[target] = MetadataWrapper(
                target, unsafe_skip_copy=True, cache=self.run.metadata_cache
            )
        self.wrapper = self.run.wrappers[target]
        planner = self.PLANNER()
        planner.whole_module = self.focus is None and not self.run.excerpt
        planner.named_elsewhere = self.run.named_elsewhere
        planner.path = self.run.path
        planner.scoping = self.run.scoping
        self.wrapper.visit(planner)
        return planner

    def _plan_and_apply(self, tree: cst.Module, planner: Planner) -> cst.Module:
        assert self.wrapper is not None
        for node, why in planner.kept.items():
            self.run.kept.append(f"{self.run.path}:{self._span(node).line}: {why}")
        spans = {plan.node: self._span(plan.node) for plan in planner.plans}
        claims = self._claim_findings(planner.plans, spans)
        accepted: dict[cst.CSTNode, Proposal] = {}
        suppressed: dict[cst.CSTNode, str] = {}  # node -> codemod id for `# harden: ignore[...]`
        lines = (self.run.text or tree.code).splitlines() if planner.plans else []
        in_order = sorted(planner.plans, key=lambda p: (spans[p.node].line, spans[p.node].column))
        # A rewrite that needs another one is decided after all the others, when it is known
        # whether the node it needs gets rebuilt.
        in_order.sort(key=lambda p: isinstance(p, Proposal) and p.needs is not None)
        for plan in in_order:
            fixes = claims.get(plan.node)
            if fixes is None:
                continue
            marked = (lines[n - 1] for n in self._marked_lines(plan.node, spans[plan.node]))
            comment = suppression(marked, self.INFO.id)
            if comment is not None:
                # Left out of a scan; a scanner's finding that names the place is answered.
                reason = f"suppressed by `{comment}`"
                self.run.unfixed.extend(Unfixed(f, reason) for f in fixes)
                continue
            if not fixes:
                fixes = (self._own_finding(plan, spans[plan.node]),)
            if isinstance(plan, Refusal):
                self.run.unfixed.extend(Unfixed(f, plan.reason) for f in fixes)
                continue
            if plan.needs is not None and not _rebuilt(plan.needs, accepted.values()):
                reason = (
                    "inside an f-string's {...} that stays as it is, where this rewrite's quotes "
                    "or backslashes are allowed only from Python 3.12"
                )
                self.run.unfixed.extend(Unfixed(f, reason) for f in fixes)
                continue
            rewrite = Rewrite(
                path=self.run.path,
                span=spans[plan.node],
                codemod=self.INFO.id,
                before="\n".join(
                    tree.code_for_node(n).strip() for n, _ in (*plan.companions, (plan.node, None))
                ),
                after="\n".join(
                    tree.code_for_node(new).strip()
                    for new in (*(b({}) for _, b in plan.companions), plan.build({}))
                    if isinstance(new, cst.CSTNode)
                ),
                note=plan.note,
                fixes=fixes,
            )
            self.run.proposed.append(rewrite)
            if isinstance(plan, Proposal) and plan.runs_callers_command:
                self.run.caller_commands.update(dict.fromkeys(fixes, plan.runs_callers_command))
            verdict = self.run.decide(rewrite)
            if verdict is Verdict.SUPPRESS:
                suppressed[plan.node] = self.INFO.id
            elif verdict is True or verdict is Verdict.ACCEPT:
                self.run.accepted.append(rewrite)
                accepted[plan.node] = plan
                self.add_imports.extend(plan.add_imports)
                self.drop_imports.extend(plan.drop_imports)
                self.run.uses_runtime |= plan.uses_runtime
        if not accepted and not suppressed:
            return tree
        # Planned on a focus module: every place it rewrites lies in the top-level statements
        # the focus kept (the same nodes as the tree's), so the rest need not be walked. A
        # class it kept is a copy holding only some of its members: classes are walked.
        kept = set(self.focus.module.body) if self.focus is not None else None
        outside = frozenset(
            s
            for s in tree.body
            if kept is not None and s not in kept and not isinstance(s, cst.ClassDef)
        )
        return tree.visit(_Applier(accepted, suppressed, outside))

    def _marked_lines(self, node: cst.CSTNode, span: Span) -> range | list[int]:
        """The lines where a suppression comment counts for `node`: all of a call's, but only
        the decorator and signature lines of a function (not its body's)."""
        if isinstance(node, cst.FunctionDef):
            colon = self._span(node.body).line  # a one-line body: on the `def` line
            if isinstance(node.body, cst.IndentedBlock):
                # The block's position is its first statement's, below the blank and comment
                # lines that lead it and the line that ends with the colon.
                colon -= 1 + len(node.body.body[0].leading_lines)
            return [self._span(d).line for d in node.decorators] + list(range(span.line, colon + 1))
        return range(span.line, span.end_line + 1)

    def _span(self, node: cst.CSTNode) -> Span:
        """Where `node` is in the file (metadata may come from a focus module)."""
        wrapper = self.wrapper
        assert wrapper is not None
        positions = wrapper.resolve(PositionProvider)
        position = positions[node]
        shift = 0
        if self.focus is not None:
            # Map back through the nearest kept statement, whose line in the file is known.
            parents = wrapper.resolve(ParentNodeProvider)
            anchor = node
            while anchor not in self.focus.real_start:
                anchor = parents[anchor]
            shift = self.focus.real_start[anchor] - positions[anchor].start.line
        line, end_line = position.start.line + shift, position.end.line + shift
        if self.run.line_map is not None:
            line, end_line = self.run.line_map[line - 1], self.run.line_map[end_line - 1]
        # libcst columns are 0-based; ours are 1-based like SARIF's.
        return Span(
            line=line,
            column=position.start.column + 1,
            end_line=end_line,
            end_column=position.end.column + 1,
        )

    def _claim_findings(
        self, plans: Sequence[Plan], spans: Mapping[cst.CSTNode, Span]
    ) -> dict[cst.CSTNode, tuple[Finding, ...]]:
        """Which plans to act on, with the input findings each resolves.

        Without input findings every plan is acted on (an empty tuple: harden's own finding).
        With them, each finding of a rule this codemod fixes goes to the innermost plan covering
        it; unclaimed plans are left out.
        """
        if self.run.requested is None:
            return {plan.node: () for plan in plans}
        claims: dict[cst.CSTNode, list[Finding]] = {}
        for finding in self.run.requested:
            if codemod_for(finding) != self.INFO.id:
                continue  # another codemod's, though its place may lie inside one of ours
            covering = [p for p in plans if spans[p.node].covers(finding)]
            if covering:
                inner = min(covering, key=lambda p: spans[p.node].size)
                claims.setdefault(inner.node, []).append(finding)
                self.run.matched.add(finding)
        return {node: tuple(found) for node, found in claims.items()}

    def _own_finding(self, plan: Plan, span: Span) -> Finding:
        return Finding(
            rule_id=(isinstance(plan, Refusal) and plan.rule) or self.INFO.rule,
            path=self.run.path,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
            severity=plan.severity,
            message=plan.message,
            source="harden",
        )


class _Applier(cst.CSTTransformer):
    """Applies accepted proposals; a proposal's builder sees the rewrites made inside it. Marks
    the places a reviewer chose to suppress with `# harden: ignore[<codemod>]` on their line."""

    def __init__(
        self,
        accepted: Mapping[cst.CSTNode, Proposal],
        suppressed: Mapping[cst.CSTNode, str],
        outside: frozenset[cst.CSTNode] = frozenset(),
    ) -> None:
        super().__init__()
        self.accepted = accepted
        self.suppressed = suppressed
        self.outside = outside  # statements that hold nothing to change: not walked
        # The statements being visited, innermost last, and the marks each must carry.
        self.statements: list[cst.CSTNode] = []
        self.marks: dict[cst.CSTNode, list[str]] = {}
        self.companions = {
            node: build for plan in accepted.values() for node, build in plan.companions
        }
        self.replaced: dict[cst.CSTNode, cst.CSTNode] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node in self.outside:
            return False
        if isinstance(node, cst.SimpleStatementLine | cst.FunctionDef):
            self.statements.append(node)
        codemod = self.suppressed.get(node)
        if codemod is not None:
            # A function is marked on its own line; anything else on its statement's line.
            owner = node if isinstance(node, cst.FunctionDef) else self.statements[-1]
            self.marks.setdefault(owner, []).append(codemod)
        return True

    def on_leave(
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        if self.statements and self.statements[-1] is original_node:
            self.statements.pop()
            if original_node in self.marks and isinstance(updated_node, cst.CSTNode):
                updated_node = _with_ignore_comment(updated_node, self.marks[original_node])
        companion = self.companions.get(original_node)
        if companion is not None:
            new_node = companion(self.replaced)
            if isinstance(new_node, cst.CSTNode):
                self.replaced[original_node] = new_node
            return new_node
        plan = self.accepted.get(original_node)
        if plan is None:
            if updated_node is not original_node:
                self.replaced[original_node] = updated_node
            return updated_node
        new = plan.build(self.replaced)
        self.replaced[original_node] = new
        return new


def _fix_imports(
    module: cst.Module,
    path: str,
    add: Sequence[tuple[str, str | None, str | None]],
    drop: Sequence[tuple[str, str | None, str | None]],
) -> cst.Module:
    """`module` with the imports accepted rewrites need, and without those they left unused."""
    # Imported here, not at the top: libcst.codemod loads libcst.matchers, half a second of
    # start-up that a scan, which rewrites nothing, should not pay.
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

    context = CodemodContext(filename=path)
    for module_name, name, alias in add:
        AddImportsVisitor.add_needed_import(context, module_name, name, alias)
    for module_name, name, alias in drop:
        RemoveImportsVisitor.remove_unused_import(context, module_name, name, alias)
    for visitor, wanted in ((AddImportsVisitor, add), (RemoveImportsVisitor, drop)):
        if wanted:
            module = visitor(context).transform_module(module)
    return module


def _without_blank_lines_on_top(module: cst.Module) -> cst.Module:
    """`module` without blank lines above its first statement's comments: a dropped first
    import leaves the blank lines that followed it at the top of the file, which formatters
    remove (libcst keeps a file's own leading lines in the header, not there)."""
    if not module.body:
        return module
    first = module.body[0]
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    if len(lines) == len(first.leading_lines):
        return module
    return module.with_changes(body=[first.with_changes(leading_lines=lines), *module.body[1:]])


def _rebuilt(node: cst.CSTNode, accepted: Iterable[Proposal]) -> bool:
    """Whether an accepted proposal's node or companions hold `node` (so it is rebuilt)."""
    return any(
        holds(root, node)
        for proposal in accepted
        for root in (proposal.node, *(companion for companion, _ in proposal.companions))
    )


def holds(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    """Whether `node` is `root` or lies inside it."""
    found = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, visited: cst.CSTNode) -> bool:
            nonlocal found
            found |= visited is node
            return not found

    root.visit(Finder())
    return found


def _with_ignore_comment(statement: cst.CSTNode, codemods: Sequence[str]) -> cst.CSTNode:
    """`statement` with `# harden: ignore[...]` ending its line (a function: its first
    decorator's line, or its `def` line), after any comment already there."""
    marker = f"# harden: ignore[{', '.join(sorted(set(codemods)))}]"

    def marked(trailing: cst.TrailingWhitespace) -> cst.TrailingWhitespace:
        existing = trailing.comment.value + "  " if trailing.comment else ""
        return trailing.with_changes(
            whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(existing + marker)
        )

    if isinstance(statement, cst.SimpleStatementLine):
        return statement.with_changes(trailing_whitespace=marked(statement.trailing_whitespace))
    if isinstance(statement, cst.FunctionDef):
        if statement.decorators:
            first = statement.decorators[0]
            decorators = [
                first.with_changes(trailing_whitespace=marked(first.trailing_whitespace)),
                *statement.decorators[1:],
            ]
            return statement.with_changes(decorators=decorators)
        if isinstance(statement.body, cst.IndentedBlock):
            header = marked(statement.body.header)
            return statement.with_changes(body=statement.body.with_changes(header=header))
    return statement


def substitute(node: cst.CSTNode, replaced: Replacements) -> cst.CSTNode:
    """`node` with every descendant that was rewritten replaced by its rewrite."""
    if not replaced:
        return node
    if node in replaced:
        return replaced[node]

    class Swap(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
            return replaced.get(original, updated)

    return node.visit(Swap())
