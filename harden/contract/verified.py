"""Which branches passed `harden contract verify --against`, kept beside the contract for
`harden plan` (`.harden/contract-verified.json`).

Each entry names the branch's commit, the base (as given, and its commit) and the digest of the
contract it was verified with, so plan can tell a verification of today's branch tip, against
today's base, with today's contract, from a stale one. This module reads and writes that one
file; it never runs a server or git.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from harden.contract.model import write_atomically

FORMAT = "harden-contract-verified/1"
FILE_NAME = "contract-verified.json"


@dataclass(frozen=True, slots=True)
class Verification:
    commit: str  # the branch's commit that was verified
    base: str  # the commit it was compared with
    base_ref: str  # the base as --base named it, for plan to see whether it moved
    contract: str | None  # sha256 of the contract file whose calls were made (None: no file)
    passed: bool
    failures: int
    expected: int  # phase 5's expected changes


def verified_path(contract: Path) -> Path:
    return contract.with_name(FILE_NAME)


def contract_digest(contract: Path) -> str | None:
    return hashlib.sha256(contract.read_bytes()).hexdigest() if contract.is_file() else None


def load_verifications(path: Path) -> dict[str, Verification]:
    """branch -> its latest verification; an unreadable file counts as none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return {}
        return {branch: Verification(**entry) for branch, entry in data["branches"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def save_verification(path: Path, branch: str, verification: Verification) -> None:
    branches = load_verifications(path)
    branches[branch] = verification
    data = {"format": FORMAT, "branches": {b: asdict(v) for b, v in sorted(branches.items())}}
    write_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def branch_state(
    verification: Verification | None, tip: str | None, base: str | None, contract: str | None
) -> str:
    """What plan says of a branch whose tip is `tip`, its base (`verification.base_ref`) at
    `base` and the contract's digest `contract` now: "verified", "failed", "stale" (verified at
    another commit of the branch or of the base, or with another contract) or "not verified"."""
    if verification is None or tip is None:
        return "not verified"
    if (verification.commit, verification.base, verification.contract) != (tip, base, contract):
        return "stale"
    return "verified" if verification.passed else "failed"
