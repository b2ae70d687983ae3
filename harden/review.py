"""Interactive review: each rewrite shown on the terminal and accepted or rejected, one by one.

`harden apply --interactive` hands a `Review` to the engine as its `decide` callback, which the
engine calls for each rewrite in file order, before anything is applied; the codemods then apply
only what was accepted (they consult the answers; nothing is patched afterwards). Stopping
with `q` rejects what was not yet seen and keeps what was accepted. It never writes files; it
only asks.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from harden.changes import Rewrite, Verdict

HELP = """\
  y  accept this rewrite
  n  reject it
  i  reject it and remember: add `# harden: ignore[<codemod>]` there so no run asks again
  a  accept it and the rest of this file      d  reject it and the rest of this file
  A  accept it and all that remain            D  reject it and all that remain
  e  explain: why this rewrite, and which switch enforces it later
  q  stop: reject what remains (what you accepted still lands)
  ?  this help"""

_PROMPT = "[bold]Apply this rewrite?[/] [y,n,i,a,d,A,D,e,q,?] "


class Review:
    """A `decide` callback that asks the person at the terminal about each rewrite."""

    def __init__(
        self,
        console: Console,
        read_key: Callable[[], str],
        explain: Callable[[Rewrite], str],
    ) -> None:
        self.console = console
        self.read_key = read_key
        self.explain = explain
        self.for_file: dict[str, Verdict] = {}  # answers given with a / d
        self.for_rest: Verdict | None = None  # answer given with A / D / q
        self.stopped = False
        self.counts = {verdict: 0 for verdict in Verdict}

    def __call__(self, rewrite: Rewrite) -> Verdict:
        verdict = self.for_rest or self.for_file.get(rewrite.path) or self._ask(rewrite)
        self.counts[verdict] += 1
        return verdict

    def _ask(self, rewrite: Rewrite) -> Verdict:
        self._show(rewrite)
        while True:
            self.console.print(_PROMPT, end="")
            key = self.read_key()
            self.console.print(key)
            if key in ("y", "n", "i"):
                return {"y": Verdict.ACCEPT, "n": Verdict.REJECT, "i": Verdict.SUPPRESS}[key]
            if key in ("a", "d"):
                self.for_file[rewrite.path] = Verdict.ACCEPT if key == "a" else Verdict.REJECT
                return self.for_file[rewrite.path]
            if key in ("A", "D", "q"):
                self.for_rest = Verdict.ACCEPT if key == "A" else Verdict.REJECT
                self.stopped = key == "q"
                return self.for_rest
            if key == "e":
                self.console.print(escape(self.explain(rewrite)))
            elif key == "?":
                self.console.print(escape(HELP))
            else:
                self.console.print(f"unknown key {key!r}; ? shows the keys")

    def _show(self, rewrite: Rewrite) -> None:
        self.console.rule(f"{escape(rewrite.path)}:{rewrite.span.line}  [bold]{rewrite.codemod}")
        if rewrite.note:
            self.console.print(escape(rewrite.note))
        diff = "".join(
            difflib.unified_diff(
                rewrite.before.splitlines(keepends=True),
                rewrite.after.splitlines(keepends=True),
                fromfile="before",
                tofile="after",
                lineterm="\n",
            )
        )
        self.console.print(Syntax(diff, "diff", theme="ansi_dark", word_wrap=True))

    def summary(self) -> str:
        accepted = self.counts[Verdict.ACCEPT]
        rejected = self.counts[Verdict.REJECT] + self.counts[Verdict.SUPPRESS]
        remembered = self.counts[Verdict.SUPPRESS]
        text = f"reviewed: {accepted} accepted, {rejected} rejected"
        if remembered:
            text += f" ({remembered} remembered with # harden: ignore)"
        return text + (" — stopped early" if self.stopped else "")


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def read_key() -> str:
    """One key press from the terminal, without waiting for Enter."""
    import termios  # POSIX only, and only when a person is reviewing
    import tty

    stream = sys.stdin.fileno()
    saved = termios.tcgetattr(stream)
    try:
        tty.setcbreak(stream)
        return sys.stdin.read(1)
    finally:
        termios.tcsetattr(stream, termios.TCSADRAIN, saved)
