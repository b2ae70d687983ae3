"""The logs a command reads and the window it reads them in: `harden report`, `harden inventory`
and `harden apply --phase 6 --logs` take the same sources and the same --since/--until/--now.

It only reads; a source or a time it cannot use is a HardenError (one line, exit 2).
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Annotated

import typer

from harden.cli.common import HardenError, progress_bar
from harden.logs.query import load_stats
from harden.logs.read import Reading, SourceError, expand, parse_iso
from harden.logs.stats import LogStats

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

SinceOption = Annotated[
    str | None,
    typer.Option(
        help="Only lines at or after this time: ISO 8601 (UTC unless it says) or "
        "an age such as 14d, 36h, 90m counted back from --now."
    ),
]
UntilOption = Annotated[
    str | None, typer.Option(help="Only lines before this time (same forms as --since).")
]
NowOption = Annotated[
    str | None,
    typer.Option(help="The time ages are counted back from (ISO 8601; default: now)."),
]


def read_logs(
    logs: list[str], since: str | None, until: str | None, now: str | None
) -> tuple[LogStats, Reading]:
    """The statistics of the harden lines in `logs` within the window, and what was read."""
    reference = time.time() if now is None else _moment(now, "--now", None)
    low = None if since is None else _moment(since, "--since", reference)
    high = None if until is None else _moment(until, "--until", reference)
    try:
        sources = expand(logs)
    except SourceError as error:
        raise HardenError(str(error)) from None
    if not sources:
        raise HardenError(f"no log file in {', '.join(logs)}")
    reading = Reading()
    with progress_bar("reading logs") as progress:
        stats = load_stats(sources, reading, low, high, progress)
    return stats, reading


def _moment(text: str, option: str, reference: float | None) -> float:
    """Seconds since the epoch for an ISO 8601 time, or an age before `reference`."""
    age = _DURATION.fullmatch(text.strip())
    if age is not None and reference is not None:
        unit = _UNITS[age.group(2)]
        return reference - timedelta(**{unit: int(age.group(1))}).total_seconds()
    moment = parse_iso(text.strip())
    if moment is None:
        forms = "an ISO 8601 time" + (" or an age such as 14d" if reference is not None else "")
        raise HardenError(f"{option} {text!r}: expected {forms}")
    return moment.timestamp()
