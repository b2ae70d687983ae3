"""`harden contract record|verify`: snapshot a live server's contract, and prove a change keeps it.

The MCP client (the optional extra `mcp-harden[contract]`) is imported inside the commands, not
here: every other command, and `harden --version`, starts without it. A missing extra is one
line and exit 2. verify exits 1 when anything but an expected change differs. SIGTERM (a CI
job's timeout) ends every command as Ctrl-C does: servers stopped, worktrees removed, exit 130.
"""

from __future__ import annotations

import enum
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType
from typing import Annotated

import typer

from harden.cli.common import HardenError, err, out, result
from harden.contract import model, render
from harden.contract.cases import Cases, CasesError, load_cases
from harden.contract.normalise import UnknownRule, chosen_rules
from harden.contract.server import ServerFailed, Target
from harden.contract.verified import (
    Verification,
    contract_digest,
    save_verification,
    verified_path,
)
from harden.contract.worktrees import WorktreeError

app = typer.Typer(
    help="Record a live MCP server's contract (listings and call results) and verify that a "
    "changed server, or a phase branch, keeps it.",
    no_args_is_help=True,
)

EXTRA = "mcp-harden[contract]"
CASES_DEFAULT = Path(".harden") / "contract-cases.toml"
CONTRACT_DEFAULT = Path(".harden") / "contract.json"


class ReportFormat(enum.StrEnum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


CommandArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="The server's command after `--` (stdio; with --url, harden starts it and "
        "connects over HTTP)."
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        help="The server's streamable HTTP endpoint (a path ending in /sse: SSE). With a "
        "command, `{port}` in both becomes a free port."
    ),
]
CwdOption = Annotated[Path | None, typer.Option(help="The directory the server starts in.")]
EnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--env", metavar="KEY=VALUE", help="Set in the server's environment (repeatable)."
    ),
]
CasesOption = Annotated[
    Path, typer.Option(help="The calls to make (TOML); none when the default file is absent.")
]
ContractOption = Annotated[Path, typer.Option(help="The contract file.")]
GenerateOption = Annotated[
    int,
    typer.Option(
        metavar="N",
        help="Also N calls per tool generated from its input schema: only tools annotated "
        "readOnlyHint or listed safe.",
    ),
]
SafeOption = Annotated[
    list[str] | None,
    typer.Option("--safe", metavar="TOOL", help="A tool --generate may call though not read-only."),
]
TimeoutOption = Annotated[
    float, typer.Option(metavar="SECONDS", help="Deadline of each request to the server.")
]
StartupOption = Annotated[
    float,
    typer.Option(
        metavar="SECONDS", help="How long an HTTP server harden starts may take to listen."
    ),
]


@app.command()
def record(
    command: CommandArgument = None,
    url: UrlOption = None,
    cwd: CwdOption = None,
    env: EnvOption = None,
    cases: CasesOption = CASES_DEFAULT,
    contract: ContractOption = CONTRACT_DEFAULT,
    generate: GenerateOption = 0,
    safe: SafeOption = None,
    timeout: TimeoutOption = 30.0,
    startup_timeout: StartupOption = 30.0,
) -> None:
    """Record the server's info, listings and call results in the contract file."""
    target = _target(command, url, cwd, env, timeout, startup_timeout)
    chosen = _cases(cases, safe)
    run = _run_module()
    with _sigterm_as_interrupt():
        with _failures_as_errors():
            recorded, _ = run.record(target, chosen, generate)
        unexpected = run.unexpected_outcomes(recorded)
        if unexpected:
            for line in unexpected:
                err.print(f"[red]a case went otherwise than expect_error says:[/] {line}")
            raise typer.Exit(1)
        model.save(recorded, contract)
    generated = sum(call.source == "generated" for call in recorded.calls)
    counts = ", ".join(f"{len(items)} {key}" for key, items in recorded.listings.items())
    result.print(
        f"recorded {contract}: {counts}; {len(recorded.calls)} calls ({generated} generated)"
    )


@app.command()
def verify(
    command: CommandArgument = None,
    url: UrlOption = None,
    cwd: CwdOption = None,
    env: EnvOption = None,
    against: Annotated[
        str | None,
        typer.Option(
            metavar="BRANCH",
            help="Run the base and this branch side by side (temporary git worktrees) and "
            "compare the branch with the base.",
        ),
    ] = None,
    base: Annotated[str, typer.Option(help="The base of --against.")] = "HEAD",
    cases: CasesOption = CASES_DEFAULT,
    contract: ContractOption = CONTRACT_DEFAULT,
    generate: GenerateOption = 0,
    safe: SafeOption = None,
    normalise: Annotated[
        list[str] | None,
        typer.Option(
            "--normalise",
            metavar="RULE",
            help="Switch a normalisation rule on (repeatable): duration is off by default.",
        ),
    ] = None,
    no_normalise: Annotated[
        list[str] | None,
        typer.Option(
            "--no-normalise",
            metavar="RULE",
            help="Switch a normalisation rule off (repeatable): error-ref, timestamp, temp-path.",
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="rich, json or markdown.")
    ] = ReportFormat.rich,
    timeout: TimeoutOption = 30.0,
    startup_timeout: StartupOption = 30.0,
) -> None:
    """Make the recorded calls again (or, with --against, on the base and a branch) and
    compare: exit 1 when anything but an expected change differs."""
    target = _target(command, url, cwd, env, timeout, startup_timeout)
    chosen = _cases(cases, safe)
    try:
        rules = chosen_rules(normalise or (), no_normalise or ())
    except UnknownRule as error:
        raise HardenError(str(error)) from None
    run = _run_module()
    context: dict[str, object] = {}
    title = "harden contract"
    with _sigterm_as_interrupt(), _failures_as_errors():
        if against is None:
            comparison = run.verify(target, model.load(contract), chosen.safe, rules)
        else:
            if not target.command:
                raise HardenError("--against starts the server in each worktree: give its command")
            recorded = model.load(contract) if contract.is_file() else None
            comparison, compared = run.verify_against(
                target, against, base, recorded, chosen, generate, rules
            )
            context = {
                "branch": against,
                "commit": compared.branch_commit,
                "base": base,
                "base_commit": compared.base_commit,
            }
            title = f"harden contract: {against} against {base}"
            verification = Verification(
                commit=compared.branch_commit,
                base=compared.base_commit,
                base_ref=base,
                contract=contract_digest(contract),
                passed=comparison.passed,
                failures=len(comparison.failures),
                expected=len(comparison.expected),
            )
            save_verification(verified_path(contract), against, verification)
    if output_format is ReportFormat.json:
        print(render.as_json(comparison, context))
    elif output_format is ReportFormat.markdown:
        print(render.as_markdown(comparison, title), end="")
    else:
        render.print_rich(comparison, out)
    if not comparison.passed:
        raise typer.Exit(1)


def _run_module() -> ModuleType:
    """harden.contract.run, which needs the extra's packages; one line when they are missing."""
    try:
        from harden.contract import run
    except ImportError as error:
        raise HardenError(
            f"harden contract needs the MCP client ({error.name} is not installed): "
            f"pip install '{EXTRA}'"
        ) from None
    return run


def _target(
    command: list[str] | None,
    url: str | None,
    cwd: Path | None,
    env: list[str] | None,
    timeout: float,
    startup_timeout: float,
) -> Target:
    if not command and url is None:
        raise HardenError("give the server's command after `--`, or --url")
    if cwd is not None and not cwd.is_dir():
        raise HardenError(f"--cwd {cwd}: no such directory")
    if timeout <= 0 or startup_timeout <= 0:
        raise HardenError("--timeout and --startup-timeout are seconds, more than 0")
    variables = {}
    for item in env or ():
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise HardenError(f"--env {item!r}: write KEY=VALUE")
        variables[key] = value
    return Target(tuple(command or ()), url, cwd, variables, startup_timeout, timeout)


def _cases(path: Path, safe: list[str] | None) -> Cases:
    """The cases file (none at the default place is no cases), with --safe added."""
    try:
        cases = load_cases(path) if path.exists() or path != CASES_DEFAULT else Cases()
    except CasesError as error:
        raise HardenError(str(error)) from None
    return Cases(cases.calls, cases.safe | frozenset(safe or ()))


@contextmanager
def _failures_as_errors() -> Iterator[None]:
    try:
        yield
    except (ServerFailed, WorktreeError, model.ContractFileError) as error:
        raise HardenError(str(error)) from None


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job's timeout) cleans up like Ctrl-C: worktrees removed, servers stopped,
    no contract half-written."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
