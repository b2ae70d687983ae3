"""The `harden` command's entry point: imports the command line only once Ctrl-C is handled.

Importing the CLI (typer, rich, libcst) takes a few hundred milliseconds; a Ctrl-C in that time
must end harden with one line and status 130, like one at any other moment, not a traceback.
It must stay free of heavy imports itself.
"""

from __future__ import annotations

import sys

INTERRUPTED = "harden: interrupted; no file was left half-written"


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        # Answered before the command line loads: a script asking for the version should not
        # wait for typer, rich, libcst and git to import.
        from harden import __version__

        print(f"harden {__version__}")
        return
    try:
        from harden.cli import main as run
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    run()
