"""Which findings a user asked to see: rule selectors (`--select`, `--ignore`) and a severity floor.

A selector is a harden rule id (`shell-command`) or another scanner's rule id that the rule
table maps to a harden codemod (Bandit `B602`, ruff `S602`, a semgrep or CodeQL id), or a code
prefix of such ids as ruff takes one (`S6`); it stands for the harden rules whose codemod that
is. This module reads the rule tables and filters; it
must never print or decide what a finding's severity is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harden.findings.model import Finding, Severity
from harden.findings.rules import CODEMOD_BY_RULE


class SelectionError(ValueError):
    """A selector that names no rule harden knows; the message says which one."""


def _rules_by_selector() -> dict[str, frozenset[str]]:
    """Every accepted selector, case-folded, -> the harden rule ids it stands for."""
    own = CODEMOD_BY_RULE["harden"]
    rules_of: dict[str, set[str]] = {}
    for rule, codemod in own.items():
        rules_of.setdefault(codemod, set()).add(rule)
    table = {rule.casefold(): frozenset({rule}) for rule in own}
    for source, mapping in CODEMOD_BY_RULE.items():
        if source == "harden":
            continue
        for rule, codemod in mapping.items():
            # A scanner id whose codemod reports no harden rule of its own selects nothing.
            table.setdefault(rule.casefold(), frozenset(rules_of.get(codemod, ())))
    return table


def rules_for(selectors: Iterable[str]) -> frozenset[str]:
    """The harden rule ids the selectors stand for; SelectionError names the first unknown one."""
    table = _rules_by_selector()
    rules: set[str] = set()
    # `--select B602,S605` as ruff takes it, as well as the option repeated
    for selector in (p.strip() for item in selectors for p in item.split(",") if p.strip()):
        found = table.get(selector.casefold()) or _by_prefix(table, selector)
        if found is None:
            known = ", ".join(sorted(CODEMOD_BY_RULE["harden"]))
            raise SelectionError(
                f"unknown rule {selector!r}: give a harden rule ({known}) or a Bandit, ruff, "
                "semgrep or CodeQL rule id that harden maps to one"
            )
        rules |= found
    return frozenset(rules)


def _by_prefix(table: dict[str, frozenset[str]], selector: str) -> frozenset[str] | None:
    """A code prefix as ruff takes one (`S6` for S602 and S605, `B` for every Bandit id harden
    maps): the rules of every id it begins; None when it begins none, or is no code prefix."""
    if not re.fullmatch(r"[A-Za-z]+[0-9]*", selector):
        return None
    prefix = selector.casefold()
    matched = [rules for key, rules in table.items() if key.startswith(prefix) and key != prefix]
    return frozenset().union(*matched) if matched else None


@dataclass(frozen=True, slots=True)
class Selection:
    """What to show: only `select`ed rules (None: all), none of the `ignore`d, at `floor` or up."""

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    floor: Severity = Severity.LOW

    @classmethod
    def parse(
        cls, select: Sequence[str], ignore: Sequence[str], floor: Severity = Severity.LOW
    ) -> Selection:
        """From selector lists as the user wrote them; an empty `select` means every rule."""
        return cls(rules_for(select) if select else None, rules_for(ignore), floor)

    def shows(self, finding: Finding) -> bool:
        return (
            (self.select is None or finding.rule_id in self.select)
            and finding.rule_id not in self.ignore
            and finding.severity >= self.floor
        )
