"""The `harden` command line: a typer app with one module per command.

`main()` is the console-script entry point. It turns every anticipated failure (bad input, git
refusals, unknown phases) into one line on stderr and exit status 2, so no user ever sees a
traceback; HARDEN_DEBUG=1 shows it for bug reports.
"""

from __future__ import annotations

import os
import sys

import click
import typer

from harden import __version__
from harden.cli import apply, scan
from harden.cli.common import HardenError

app = typer.Typer(
    name="harden",
    help="Harden Python MCP servers in additive phases, each landed as a reviewable git branch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command(name="scan")(scan.scan)
app.command(name="apply")(apply.apply)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harden {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Harden Python MCP servers in additive phases, each landed as a reviewable git branch."""


def main() -> None:
    try:
        # Without standalone mode click returns the exit code instead of calling sys.exit.
        code = app(standalone_mode=False)
    except HardenError as error:
        print(f"harden: error: {error}", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as error:  # usage errors: click's own one-line message
        error.show()
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        print("harden: interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
    except Exception as error:
        if os.environ.get("HARDEN_DEBUG"):
            raise
        print(
            f"harden: internal error: {type(error).__name__}: {error} "
            "(set HARDEN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
