"""The `harden` command line: a typer app with one module per command.

`main()` is the console-script entry point. It turns every anticipated failure (bad input, git
refusals, unknown phases) into one line on stderr and exit status 2, so no user ever sees a
traceback; HARDEN_DEBUG=1 shows it for bug reports.
"""

from __future__ import annotations

import os
import sys

import typer

from harden import __version__
from harden.cli import apply, attest, contract, inventory, plan, report, restack, scan
from harden.cli.common import HardenError, set_output
from harden.entry import INTERRUPTED

_INTERRUPTED = 130  # the exit status of a program stopped by Ctrl-C (128 + SIGINT)

app = typer.Typer(
    name="harden",
    help="Harden Python MCP servers in additive phases, each landed as a reviewable git branch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command(name="scan")(scan.scan)
app.command(name="apply")(apply.apply)
app.command(name="plan")(plan.plan)
app.command(name="restack")(restack.restack)
app.command(name="report")(report.report)
app.command(name="inventory")(inventory.inventory_command)
app.command(name="attest")(attest.attest)
app.add_typer(contract.app, name="contract")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harden {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only results and errors: no progress, no notes."
    ),
    no_color: bool = typer.Option(
        False, "--no-color", help="No colours (also: the NO_COLOR environment variable)."
    ),
) -> None:
    """Harden Python MCP servers in additive phases, each landed as a reviewable git branch."""
    set_output(quiet=quiet, no_color=no_color)


def main() -> None:
    try:
        # Not standalone: click's usage errors come here, to be one line like every other.
        status = app(standalone_mode=False)
    except HardenError as error:
        print(f"harden: error: {error}", file=sys.stderr)
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        status = _INTERRUPTED
    except Exception as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain `harden`: the help it asks for
            print(error.ctx.get_help())  # type: ignore[attr-defined]
            sys.exit(0)
        if _is_usage_error(error):
            print(f"harden: error: {error.format_message()}", file=sys.stderr)  # type: ignore[attr-defined]
            sys.exit(2)
        if os.environ.get("HARDEN_DEBUG"):
            raise
        print(
            f"harden: internal error: {type(error).__name__}: {error} "
            "(set HARDEN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        sys.exit(2)
    if status == _INTERRUPTED:  # typer turns a Ctrl-C inside a command into this status
        print(INTERRUPTED, file=sys.stderr)
    sys.exit(status if isinstance(status, int) else 0)


def _is_usage_error(error: Exception) -> bool:
    """A bad option or value on the command line: click's UsageError, which typer vendors (its
    classes are not public, hence by name)."""
    return any(cls.__name__ == "UsageError" for cls in type(error).__mro__)
