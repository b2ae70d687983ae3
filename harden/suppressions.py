"""Comments that tell harden to leave a line alone: its own, Bandit's and ruff's.

- `# harden: ignore` (every codemod) or `# harden: ignore[shell-commands, observe]` (codemod
  ids, or the rule ids harden's scan reports);
- Bandit's `# nosec` (every rule) or `# nosec B602, B607` / `# nosec: B602`;
- ruff's `# noqa` (every rule) or `# noqa: S602, S605`.

A scanner's rule ids count for the codemod that fixes them (harden.findings.rules), so a line
its author marked `# nosec B602` after review is not rewritten either. This module only reads
comments; what a suppressed place becomes (left out of a scan, or unfixed when a finding names
it) is the codemods' business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harden.findings.rules import CODEMOD_BY_RULE

_COMMENT = re.compile(
    r"#\s*(?:"
    r"harden:\s*ignore(?:\[(?P<harden>[^\]]*)\])?"
    r"|nosec\b:?(?P<bandit>[ \t]*[A-Z]\d+(?:[ \t]*,[ \t]*[A-Z]\d+)*)?"
    r"|noqa\b(?::(?P<ruff>[ \t]*[A-Z]+\d+(?:[ \t]*,[ \t]*[A-Z]+\d+)*))?"
    r")"
)


def suppression(lines: Iterable[str], codemod: str) -> str | None:
    """The comment on one of `lines` that keeps `codemod` away from them, or None."""
    for line in lines:
        if "#" not in line:
            continue
        for match in _COMMENT.finditer(line):
            if _covers(match, codemod):
                return match.group().strip()
    return None


def _covers(match: re.Match[str], codemod: str) -> bool:
    for tool, ids in (("harden", "harden"), ("bandit", "bandit"), ("ruff", "ruff")):
        text = match.group(ids)
        if text is None:
            continue
        rules = {rule.strip() for rule in text.split(",") if rule.strip()}
        return not rules or any(CODEMOD_BY_RULE[tool].get(r, r) == codemod for r in rules)
    return True  # no rule ids after the marker: it covers every rule
