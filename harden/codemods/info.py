"""What a codemod is, apart from its code: its id, phase, rule, rationale, the cheap checks
that rule a file out before libcst parses it, and its BEFORE/AFTER examples.

Data only; it never parses or changes code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from harden.codemods.call_sites import Sink


@dataclass(frozen=True, slots=True)
class Example:
    """A codemod's own test case: `after == before` means the code must be left alone,
    and `unfixed` is then a fragment of the reason the codemod must report."""

    before: str
    after: str
    unfixed: str = ""
    # The runtime's log lines the example is applied with (phase 6 writes what they show).
    logs: tuple[str, ...] = ()

    @classmethod
    def kept(cls, code: str, unfixed: str, logs: tuple[str, ...] = ()) -> Example:
        """Code the codemod must leave as it is, reporting why (`unfixed`: part of the reason)."""
        return cls(code, code, unfixed, logs)


@dataclass(frozen=True, slots=True)
class CodemodInfo:
    id: str
    phase: int
    title: str
    rule: str  # the rule id harden's own scan reports for the places this codemod handles
    rationale: str
    # A file none of these match cannot hold a place of interest. Each pattern starts with a
    # literal, which `in` finds several times faster than re searches the pattern; re runs
    # only on files holding it.
    prefilter: tuple[re.Pattern[str], ...]
    examples: tuple[Example, ...]
    # The calls the codemod acts on; empty: it looks at more than calls, so the whole file.
    sinks: tuple[Sink, ...] = ()
    # For a codemod without sinks: a cheap check on the file's ast (False: nothing here for
    # it), so that libcst parses only files that may matter. It must never say False wrongly.
    gate: Callable[[ast.Module], bool] | None = None
    # Acts on MCP handlers: also runs on a file its prefilter and gate rule out when the project
    # index says another module registers functions of it (or may).
    on_handlers: bool = False
    _literals: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        literals = tuple(
            "" if p.flags & re.IGNORECASE else _literal_prefix(p.pattern) for p in self.prefilter
        )
        if not all(literals):
            raise ValueError(f"{self.id}: every prefilter pattern must start with a literal text")
        object.__setattr__(self, "_literals", literals)

    def wants(self, text: str) -> bool:
        return any(
            literal in text and pattern.search(text)
            for literal, pattern in zip(self._literals, self.prefilter, strict=True)
        )


def _literal_prefix(pattern: str) -> str:
    """The text every match of the regular expression `pattern` starts with."""
    literal: list[str] = []
    index = 0
    while index < len(pattern):
        char, step = pattern[index], 1
        if char == "\\" and index + 1 < len(pattern) and not pattern[index + 1].isalnum():
            char, step = pattern[index + 1], 2
        elif char in ".^$*+?{}[]|()\\":
            break
        if pattern[index + step : index + step + 1] in ("*", "?", "{"):
            break  # a quantified character may be absent
        literal.append(char)
        index += step
    return "".join(literal)
