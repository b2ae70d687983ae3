"""The six hardening phases: which codemods each runs, its branch, and how it is enforced later.

Only phases whose codemods exist are runnable; the others are listed so that `harden` can say
what is planned instead of pretending. A phase made of independent halves (phase 5: commands
and errors) lists them as parts, which `harden apply --only` selects one at a time.
Data only: importing it never loads a codemod (nor libcst); harden.codemods.registry maps the
ids to codemods.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


def phase_branch_name(prefix: str, phase: int, slug: str) -> str:
    """The branch a phase lands on, e.g. ("harden/", 5, "commands") -> "harden/phase-5-commands".

    The prefix is used verbatim (config.DEFAULT_BRANCH_PREFIX is the usual one).
    """
    return f"{prefix}phase-{phase}-{slug}"


@dataclass(frozen=True, slots=True)
class Part:
    """A half of a phase that can land on its own branch: `harden apply --only <name>`."""

    name: str
    title: str
    codemod_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phase:
    number: int
    slug: str  # the branch is <prefix>phase-<number>-<slug>
    title: str
    codemod_ids: tuple[str, ...]
    enforce: str  # how enforcement is switched on later, for the docs and review notes
    # How long the phase's warn-only logs should run before its switch is flipped: long enough
    # to see every legitimate caller's weekly rhythm (batch jobs, reports) at least once.
    watch_first: str
    parts: tuple[Part, ...] = ()
    watch_days: int | None = None  # the least of watch_first `harden report` accepts
    note: str = ""  # what a user must know before applying it, for `harden plan`

    @property
    def available(self) -> bool:
        return bool(self.codemod_ids)

    def only(self, name: str) -> Phase:
        """The phase narrowed to one of its parts: its codemods, title, and a branch named
        after the part."""
        for part in self.parts:
            if part.name == name:
                return replace(
                    self, slug=part.name, title=part.title, codemod_ids=part.codemod_ids, parts=()
                )
        if not self.parts:
            raise PhaseError(f"phase {self.number} ({self.slug}) has no parts to pick with --only")
        names = ", ".join(part.name for part in self.parts)
        raise PhaseError(f"phase {self.number} has no part {name!r}; its parts are {names}")


PHASES: dict[int, Phase] = {
    phase.number: phase
    for phase in (
        Phase(
            1,
            "observe",
            "observe every tool call",
            ("observe",),
            "nothing to enforce",
            watch_first="none: observing is the phase",
        ),
        Phase(
            2,
            "validate",
            "warn-only input validation",
            ("validate",),
            "ENFORCE_VALIDATION=true",
            watch_first="7 days of VALIDATION_WOULD_REJECT lines",
            watch_days=7,
        ),
        Phase(
            3,
            "rate-limit",
            "soft rate limits",
            ("rate-limit",),
            "ENFORCE_RATE_LIMITS=true, RATE_LIMIT_RPM",
            watch_first="7 days of RATE_LIMIT_WOULD_THROTTLE lines",
            watch_days=7,
        ),
        Phase(
            4,
            "shadow-auth",
            "shadow authentication",
            ("authenticate",),
            "AUTH_MODE=enforce",
            # A client that calls once a month (a report, a batch job) must be seen before
            # its calls are refused.
            watch_first="30 days of AUTH_WOULD_REJECT lines",
            watch_days=30,
            note=(
                "judges HTTP requests only (enforce answers 401/403); over stdio nothing "
                "changes (the MCP authorization spec has stdio servers take credentials "
                "from the environment)"
            ),
        ),
        Phase(
            5,
            "commands",  # the branch name from before the errors half existed
            "commands without a shell, errors without their detail",
            ("shell-commands", "error-messages", "mask-errors", "mask-secrets"),
            "ENFORCE_SHELL_FREE=true, ENFORCE_SECRET_MASKING=true",
            watch_first=(
                "7 days of CMD_VALUE_SPLIT, CMD_SHELL_FEATURE_DETECTED and SECRET_WOULD_REDACT "
                "lines"
            ),
            watch_days=7,
            parts=(
                Part("commands", "commands without a shell", ("shell-commands",)),
                Part(
                    "errors",
                    "exception text replaced by a reference",
                    ("error-messages", "mask-errors"),
                ),
                Part(
                    "secrets",
                    "secrets in results logged, redacted when enforced",
                    ("mask-secrets",),
                ),
            ),
        ),
        Phase(
            6,
            "permissions",
            "permission scoping",
            ("permissions",),
            "ENFORCE_PERMISSIONS=true, HARDEN_ALLOWED_PROGRAMS, HARDEN_ALLOWED_EGRESS",
            watch_first="14 days of PERMISSION_WOULD_DENY lines",
            watch_days=14,
            note=(
                "written from the logs of phase 1's runtime: harden apply --phase 6 --logs LOG "
                "(harden inventory LOG shows what each tool did and what it declares)"
            ),
        ),
    )
}


PERMISSIONS_PHASE = 6  # written from the logs: `harden apply --phase 6 --logs LOG`


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
