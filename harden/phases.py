"""The six hardening phases: which codemods each runs, its branch, and how it is enforced later.

Only phases whose codemods exist are runnable; the others are listed so that `harden` can say
what is planned instead of pretending.
"""

from __future__ import annotations

from dataclasses import dataclass

from harden.codemods import BY_ID
from harden.codemods.base import PlannedCodemod


@dataclass(frozen=True, slots=True)
class Phase:
    number: int
    slug: str  # the branch is <prefix>phase-<number>-<slug>
    title: str
    codemod_ids: tuple[str, ...]
    enforce: str  # how enforcement is switched on later, for the docs and review notes

    @property
    def available(self) -> bool:
        return bool(self.codemod_ids)

    @property
    def codemods(self) -> tuple[type[PlannedCodemod], ...]:
        return tuple(BY_ID[i] for i in self.codemod_ids)


PHASES: dict[int, Phase] = {
    phase.number: phase
    for phase in (
        Phase(1, "observe", "observe every tool call", ("observe",), "nothing to enforce"),
        Phase(
            2, "validate", "warn-only input validation", ("validate",), "ENFORCE_VALIDATION=true"
        ),
        Phase(
            3,
            "rate-limit",
            "soft rate limits",
            ("rate-limit",),
            "ENFORCE_RATE_LIMITS=true, RATE_LIMIT_RPM",
        ),
        Phase(4, "shadow-auth", "shadow authentication", (), "AUTH_MODE=shadow|soft|enforce"),
        Phase(5, "commands", "commands without a shell", ("shell-commands",), "safe at once"),
        Phase(6, "permissions", "permission scoping", (), "per tool"),
    )
}


class PhaseError(ValueError):
    """An unknown or not yet available phase."""


def get_phase(number: int) -> Phase:
    phase = PHASES.get(number)
    if phase is None:
        raise PhaseError(f"there is no phase {number}; phases are 1 to 6")
    if not phase.available:
        ready = ", ".join(str(p.number) for p in PHASES.values() if p.available)
        raise PhaseError(f"phase {number} ({phase.slug}) is not available yet; available: {ready}")
    return phase
