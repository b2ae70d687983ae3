"""Interactive review: each rewrite shown on the terminal and accepted or rejected, one by one.

`harden apply --interactive` hands a `Review` to the engine as its `decide` callback, which the
engine calls for each rewrite in file order, before anything is applied; the codemods then apply
only what was accepted (they consult the answers; nothing is patched afterwards). Stopping
with `q` rejects what was not yet seen and keeps what was accepted. It never writes files; it
only asks, and it must never ask while a live display (a progress bar) is on screen, which
would draw over the question.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from difflib import SequenceMatcher

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

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

KEYS = "[y,n,i,a,d,A,D,e,q,?]"
CONTEXT = 2  # unchanged lines shown around each change of a rewrite's diff

# A diff row: the file's line number ('' for an added line or outside the file), the marker
# (' ', '-' or '+') and the line, highlighted as Python.
Row = tuple[str, str, Text]


class Review:
    """A `decide` callback that asks the person at the terminal about each rewrite.

    `sources` maps each path to the file's text as read, for the lines around a rewrite;
    `total` is how many rewrites the phase proposes, for "3 of 11".
    """

    def __init__(
        self,
        console: Console,
        read_key: Callable[[], str],
        explain: Callable[[Rewrite], str],
        *,
        sources: Mapping[str, str],
        total: int,
    ) -> None:
        self.console = console
        self.read_key = read_key
        self.explain = explain
        self.sources = sources
        self.total = total
        self.seen = 0  # rewrites decided, whether asked about or answered by a / d / A / D
        self.for_file: dict[str, Verdict] = {}  # answers given with a / d
        self.for_rest: Verdict | None = None  # answer given with A / D / q
        self.stopped = False
        self.counts = {verdict: 0 for verdict in Verdict}

    def __call__(self, rewrite: Rewrite) -> Verdict:
        self.seen += 1
        verdict = self.for_rest or self.for_file.get(rewrite.path) or self._ask(rewrite)
        self.counts[verdict] += 1
        return verdict

    def _ask(self, rewrite: Rewrite) -> Verdict:
        self._show(rewrite)
        # `total` was counted with every rewrite accepted; a rejection can let a later codemod
        # propose one more, which must not read as "12 of 11".
        position = f"{self.seen} of {max(self.total, self.seen)}"
        prompt = f"[bold]Apply this rewrite ({position})?[/] {escape(KEYS)} "
        while True:
            self.console.print(prompt, end="")
            key = self.read_key()
            self.console.print(key, markup=False)
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
                self.console.print(f"unknown key {escape(repr(key))}; ? shows the keys")

    def _show(self, rewrite: Rewrite) -> None:
        self.console.rule(f"{escape(rewrite.path)}:{rewrite.span.line}  [bold]{rewrite.codemod}")
        if rewrite.note:
            self.console.print(escape(rewrite.note))
        table = Table.grid(padding=(0, 1))
        table.add_column(justify="right", style="dim", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for number, marker, line in diff_rows(rewrite, self.sources[rewrite.path]):
            style = {"-": "bold red", "+": "bold green"}.get(marker, "")
            table.add_row(number, Text(marker, style=style), line)
        self.console.print(table)

    def summary(self) -> str:
        accepted = self.counts[Verdict.ACCEPT]
        rejected = self.counts[Verdict.REJECT] + self.counts[Verdict.SUPPRESS]
        remembered = self.counts[Verdict.SUPPRESS]
        text = f"reviewed: {accepted} accepted, {rejected} rejected"
        if remembered:
            text += f" ({remembered} remembered with # harden: ignore)"
        return text + (" — stopped early" if self.stopped else "")


def diff_rows(rewrite: Rewrite, source: str) -> list[Row]:
    """The rewrite's own change with up to CONTEXT unchanged lines around it, '...' between
    parts far apart: the file's numbered lines where the file holds `before` there, else the
    rewrite's text alone (it also changes other statements, such as the definitions of a
    command's variable, or an earlier codemod of the phase changed those lines)."""
    old, new, first = _changed_lines(rewrite, source)
    old_code, new_code = _highlighted(old), _highlighted(new)
    rows: list[Row] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        if rows:
            rows.append(("", " ", Text("...", style="dim")))
        for tag, old_from, old_to, new_from, new_to in group:
            marker = " " if tag == "equal" else "-"
            for index in range(old_from, old_to):
                number = str(first + index) if first else ""
                rows.append((number, marker, old_code[index]))
            if tag != "equal":
                rows.extend(("", "+", new_code[index]) for index in range(new_from, new_to))
    return rows


def _changed_lines(rewrite: Rewrite, source: str) -> tuple[list[str], list[str], int]:
    """The lines before and after the rewrite and the file's number of the first (0: they are
    the rewrite's own text, not the file's)."""
    span = rewrite.span
    lines = source.splitlines()
    before, after = rewrite.before.splitlines(), rewrite.after.splitlines()
    # `before` ends where the node does but can start above its span: a function's text starts
    # at its decorators, its position at `def`.
    top = span.end_line - len(before) + 1
    if not 1 <= top <= span.line or span.end_line > len(lines):
        return before, after, 0
    block = lines[top - 1 : span.end_line]
    head = block[0][: span.column - 1]
    tail = block[-1][span.end_column - 1 :]
    block[0] = block[0][len(head) :]
    block[-1] = block[-1][: len(block[-1]) - len(tail)]
    # libcst writes a node's later lines indented from its statement's indentation, except
    # the inside of a string, which it keeps as it is.
    indent = head[: len(head) - len(head.lstrip())]
    if block[0] != before[0] or any(
        line not in (own, indent + own) for line, own in zip(block[1:], before[1:], strict=True)
    ):
        return before, after, 0
    as_in_file = dict(zip(before[1:], block[1:], strict=True))
    rest = [as_in_file.get(line, indent + line if line else "") for line in after[1:]]
    new = [head + "".join(after[:1]), *rest]
    new[-1] += tail
    start, end = max(top - 1 - CONTEXT, 0), span.end_line + CONTEXT
    return lines[start:end], [*lines[start : top - 1], *new, *lines[span.end_line : end]], start + 1


def _highlighted(lines: list[str]) -> list[Text]:
    """Each line highlighted as Python, highlighted together so that strings and brackets
    spanning lines are read as such; wrapped at word boundaries when too wide."""
    syntax = Syntax("", "python", theme="ansi_dark", word_wrap=True)
    return syntax.highlight("\n".join(lines)).split("\n", allow_blank=True)[: len(lines)]


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
