"""What the engine hands to the output layer: rewrites, unfixed findings, skipped files.

These records know nothing about codemods' internals or about git; render.py and git.py consume
them. A Rewrite is the unit of review: one codemod's change at one place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from harden.findings.model import Finding


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based lines, 1-based columns, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    def covers(self, finding: Finding) -> bool:
        """Whether a finding's start position lies inside this span.

        A finding without a column matches any span that covers its line.
        """
        if not self.line <= finding.line <= self.end_line:
            return False
        if not finding.column:
            return True
        if finding.line == self.line and finding.column < self.column:
            return False
        return not (finding.line == self.end_line and finding.column > self.end_column)

    @property
    def size(self) -> tuple[int, int]:
        return (self.end_line - self.line, self.end_column - self.column)


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One codemod's proposed change at one place, with what a reviewer needs to judge it."""

    path: str
    span: Span
    codemod: str
    before: str
    after: str
    note: str
    fixes: tuple[Finding, ...] = ()


class Verdict(enum.Enum):
    """A reviewer's answer to one Rewrite (a plain True/False means ACCEPT/REJECT)."""

    ACCEPT = "accept"
    REJECT = "reject"
    # Reject, and add `# harden: ignore[<codemod>]` at the place so that no later run asks again.
    SUPPRESS = "suppress"


@dataclass(frozen=True, slots=True)
class Unfixed:
    """A finding the tool will not rewrite, with the reason shown in every output."""

    finding: Finding
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the engine could not process (it does not parse, or cannot be read)."""

    path: str
    reason: str


@dataclass(slots=True)
class FileChange:
    """A file's text before and after the accepted rewrites ('' before means a new file)."""

    path: str
    before: str
    after: str
    rewrites: list[Rewrite] = field(default_factory=list)


@dataclass(slots=True)
class ChangeSet:
    """Everything one `harden apply` run produced, ready for rendering or committing."""

    phase: int
    files: list[FileChange] = field(default_factory=list)
    unfixed: list[Unfixed] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[Finding] = field(
        default_factory=list
    )  # input findings no codemod of the phase handles
    # Why files other than Python modules changed (the project's coverage or packaging
    # settings, for the vendored runtime), one line each, for the review.
    notes: list[str] = field(default_factory=list)
    # Places a codemod looked at and left as they are on purpose, with why ("path:line: ...").
    kept: list[str] = field(default_factory=list)

    @property
    def rewrites(self) -> list[Rewrite]:
        return [r for f in self.files for r in f.rewrites]
