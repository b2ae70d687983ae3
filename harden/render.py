"""Render a ChangeSet for people and tools: unified diff, PR-comment Markdown, JSON, commit message.

This is the output layer. It knows nothing about codemods or git: it reads only the records
in harden.changes and harden.findings.model, and which file is the vendored runtime. It must
never hide something a reviewer has to see: every output shows the unfixed findings with their
reasons, and where a size limit forces a cut, the output says how much is missing.

Output is deterministic whatever order the engine produced it in: files and rewrites are
sorted by path and position (the Markdown puts the vendored runtime last), findings by their
sort key.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable

from harden.changes import ChangeSet, FileChange, Rewrite, Skipped, Unfixed
from harden.vendoring import is_runtime

COMMIT_LIST_CAP = 200  # lines per list in a commit message
NOTE_PLACES_CAP = 50  # places listed under one reviewer note in Markdown
HIDDEN_FILES_CAP = 10  # files named in the note that their diffs were dropped for size
NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(changes: ChangeSet) -> str:
    """Every changed file as a git-style unified diff (a/ and b/ paths) that `git apply` takes."""
    return "".join(_file_diff(change) for change in _changed_files(changes))


def markdown(changes: ChangeSet, *, title: str, enforce: str = "", limit: int = 65_536) -> str:
    """A GitHub PR comment: summary, how to enforce later, reviewer notes, per-file diffs, what
    was not rewritten. `enforce` says how the phase is enforced once merged (the switch).

    The result is at most `limit` characters. When it would be longer, per-file diffs are
    dropped from the end (replaced by one note saying how to see them); if the summary and
    the full list of what was not rewritten still do not fit, that list is cut with a count.
    """
    # The vendored runtime is harden's code, not the reviewer's: one line each (version, hash,
    # size), never a diff that alone would nearly fill the comment.
    runtime = [f for f in _changed_files(changes) if is_runtime(f.path)]
    head = _markdown_head(changes, title, enforce) + _runtime_lines(runtime)
    files = [f for f in _changed_files(changes) if not is_runtime(f.path)]
    diffs = [_diff_details(change) for change in files]
    unfixed = [_unfixed_line(u, _code) for u in _sorted_unfixed(changes)]
    skipped = [_skipped_line(s, _code) for s in _sorted_skipped(changes)]
    hint = f"run `harden apply --phase {changes.phase} --dry-run` locally for the full diff"

    def page(diffs_shown: int, items_shown: int) -> str:
        parts = [head]
        if diffs:
            parts.append("\n### Diffs\n" + "".join(f"\n{d}" for d in diffs[:diffs_shown]))
            if hidden := len(diffs) - diffs_shown:
                names = [_code(f.path) for f in files[diffs_shown:]]
                listed = ", ".join(_capped(names, HIDDEN_FILES_CAP))
                parts.append(f"\n_{hidden} more files' diffs not shown ({listed}) — {hint}._\n")
        parts.append(_markdown_not_rewritten(unfixed, skipped, items_shown))
        return "".join(parts)

    everything = len(unfixed) + len(skipped)
    fitted = _largest_fitting(len(diffs), lambda k: page(k, everything), limit)
    if fitted is None:
        fitted = _largest_fitting(everything, lambda k: page(0, k), limit)
    if fitted is None:
        # Only a pathological limit gets here: the summary alone is longer than the limit.
        cut = "\n\n_… cut to fit the comment size limit._\n"
        fitted = page(0, 0)[: max(0, limit - len(cut))] + cut
    return fitted


def json_report(changes: ChangeSet, *, version: str) -> str:
    """The ChangeSet as a JSON document for tools; keys keep the documented order."""
    # Imported at call time so that the other renderers do not depend on the findings'
    # JSON schema module.
    from harden.findings.harden_json import finding_to_dict

    files = _changed_files(changes)
    rewrites = _sorted_rewrites(changes)
    unfixed = _sorted_unfixed(changes)
    skipped = _sorted_skipped(changes)
    report = {
        "tool": "harden",
        "version": version,
        "kind": "apply",
        "phase": changes.phase,
        "summary": {
            "rewrites": len(rewrites),
            "files": len(files),
            "unfixed": len(unfixed),
            "skipped": len(skipped),
        },
        "rewrites": [
            {
                "path": r.path,
                "line": r.span.line,
                "column": r.span.column,
                "end_line": r.span.end_line,
                "end_column": r.span.end_column,
                "codemod": r.codemod,
                "before": r.before,
                "after": r.after,
                "note": r.note,
                "fixes": [finding_to_dict(f) for f in r.fixes],
            }
            for r in rewrites
        ],
        "unfixed": [{"finding": finding_to_dict(u.finding), "reason": u.reason} for u in unfixed],
        "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
        "ignored": [
            finding_to_dict(f) for f in sorted(changes.ignored, key=lambda f: f.sort_key())
        ],
        "files": [{"path": f.path, "diff": _file_diff(f)} for f in files],
        "notes": list(changes.notes),
        "kept": list(changes.kept),
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def _runtime_facts(copy: FileChange) -> str:
    data = copy.after.encode()
    return f"sha256 {hashlib.sha256(data).hexdigest()[:16]}, {len(data):,} bytes"


def _runtime_lines(copies: list[FileChange]) -> str:
    if not copies:
        return ""
    lines = [
        f"- {_code(f.path)}: harden's vendored runtime, {_runtime_facts(f)} "
        f"({'new' if not f.before else 'updated'})\n"
        for f in copies
    ]
    return "\n### Vendored runtime\n\n" + "".join(lines)


def runtime_commit_message(changes: ChangeSet, *, version: str) -> str:
    """The message of the commit that adds or updates the vendored runtime: harden's version
    and each copy's sha256, then why any project setting changed."""
    copies = [f for f in _changed_files(changes) if is_runtime(f.path)]
    lines = [f"harden {version}: vendored runtime", ""]
    lines += [f"- {f.path}: {_runtime_facts(f)}" for f in copies]
    lines += [f"- {note}" for note in changes.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


def commit_message(changes: ChangeSet, *, title: str) -> str:
    """A commit message: the title, one line per rewrite, then what was not rewritten and why."""
    lines = [title, ""]
    lines += _capped(
        [
            f"- {r.path}:{r.span.line} {r.codemod}"
            + (f": {note}" if (note := _first_line(r.note)) else "")
            for r in _sorted_rewrites(changes)
        ],
        COMMIT_LIST_CAP,
    )
    lines += [f"- {note}" for note in (*changes.kept, *changes.notes)]
    for heading, items in (
        ("Not rewritten:", [_unfixed_line(u, str) for u in _sorted_unfixed(changes)]),
        ("Skipped:", [_skipped_line(s, str) for s in _sorted_skipped(changes)]),
    ):
        if items:
            lines += ["", heading, *_capped(items, COMMIT_LIST_CAP)]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- ordering ----------------------------------------------------------------------------


def _changed_files(changes: ChangeSet) -> list[FileChange]:
    return sorted((f for f in changes.files if f.before != f.after), key=lambda f: f.path)


def _sorted_rewrites(changes: ChangeSet) -> list[Rewrite]:
    return sorted(changes.rewrites, key=lambda r: (r.path, r.span.line, r.span.column, r.codemod))


def _sorted_unfixed(changes: ChangeSet) -> list[Unfixed]:
    return sorted(changes.unfixed, key=lambda u: u.finding.sort_key())


def _sorted_skipped(changes: ChangeSet) -> list[Skipped]:
    return sorted(changes.skipped, key=lambda s: s.path)


# --- diff --------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Split on "\\n" only, keeping it: str.splitlines would also split on form feeds and other
    characters that git treats as ordinary, and the diff would no longer apply."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]  # the text after the last "\n": the unterminated last line or ""
    return lines if lines[-1] else lines[:-1]


def _file_diff(change: FileChange) -> str:
    """One file's diff with a `diff --git` header, as `git diff` would print it."""
    new = change.before == ""
    hunks = difflib.unified_diff(
        _lines(change.before),
        _lines(change.after),
        fromfile="/dev/null" if new else f"a/{change.path}",
        tofile=f"b/{change.path}",
        n=3,
    )
    body = "".join(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}" for line in hunks)
    if not body:
        return ""
    header = f"diff --git a/{change.path} b/{change.path}\n"
    return header + ("new file mode 100644\n" if new else "") + body


# --- Markdown ----------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    """'1 file', '2 files'."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _code(text: str) -> str:
    """Inline code that survives backticks inside `text`."""
    ticks = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()


def _markdown_head(changes: ChangeSet, title: str, enforce: str) -> str:
    """Heading, counts, the per-codemod table, enforcement and the reviewer notes: never cut."""
    rewrites = _sorted_rewrites(changes)
    counts = [
        plural(len(rewrites), "rewrite") + f" in {plural(len(_changed_files(changes)), 'file')}",
        plural(len(changes.unfixed), "finding") + " not rewritten",
        plural(len(changes.skipped), "file") + " skipped",
    ]
    if changes.ignored:
        counts.append(plural(len(changes.ignored), "finding") + " outside this phase")
    parts = [f"## {_one_line(title)}\n\n**Phase {changes.phase}**: " + " · ".join(counts) + "\n"]

    if rewrites:
        per_codemod = Counter(r.codemod for r in rewrites)
        files = {c: len({r.path for r in rewrites if r.codemod == c}) for c in per_codemod}
        rows = [f"| {_code(c)} | {n} | {files[c]} |\n" for c, n in sorted(per_codemod.items())]
        parts.append("\n| codemod | rewrites | files |\n| --- | ---: | ---: |\n" + "".join(rows))
    if enforce:
        parts.append(f"\n**Enforce later:** {enforce}\n")

    places: defaultdict[str, list[str]] = defaultdict(list)
    for r in rewrites:
        if note := r.note.strip():
            places[note].append(_code(f"{r.path}:{r.span.line}"))
    if places or changes.notes or changes.kept:
        parts.append("\n### Notes for reviewers\n\n")
        for note, where in places.items():
            body = note.replace("\n", "\n  ")
            parts.append(
                f"- {body}\n\n  Applies to: {', '.join(_capped(where, NOTE_PLACES_CAP))}\n"
            )
        parts += [f"- {_one_line(note)}\n" for note in (*changes.kept, *changes.notes)]
    return "".join(parts)


def _diff_details(change: FileChange) -> str:
    """One file's diff folded in a <details> block, fenced so no backtick run inside closes it."""
    diff = _file_diff(change)
    fence = "`" * max(3, _longest_backtick_run(diff) + 1)
    what = plural(len(change.rewrites), "rewrite") if change.before else "new file"
    summary = f"<code>{html.escape(change.path)}</code> ({what})"
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n"


def _markdown_not_rewritten(unfixed: list[str], skipped: list[str], shown: int) -> str:
    """The "Not rewritten" and "Skipped files" sections showing the first `shown` items in all."""
    parts = []
    for heading, items in (("Not rewritten", unfixed), ("Skipped files", skipped)):
        if items:
            visible = items[: max(0, shown)]
            parts.append(f"\n### {heading}\n\n" + "".join(f"{i}\n" for i in visible))
            if hidden := len(items) - len(visible):
                parts.append(f"- … and {hidden} more not shown\n")
        shown -= len(items)
    return "".join(parts)


def _largest_fitting(count: int, render: Callable[[int], str], limit: int) -> str | None:
    """render(k) for the largest k in 0..count within `limit`, or None if not even render(0) is.

    Assumes the length grows with k, which holds because each k adds an item longer than the
    few digits its "… and N more" count loses.
    """
    best = render(count)
    if len(best) <= limit:
        return best
    low, high, best = 0, count - 1, None
    while low <= high:
        middle = (low + high) // 2
        text = render(middle)
        if len(text) <= limit:
            low, best = middle + 1, text
        else:
            high = middle - 1
    return best


# --- shared list formatting ----------------------------------------------------------------


def _unfixed_line(unfixed: Unfixed, code: Callable[[str], str]) -> str:
    f = unfixed.finding
    return f"- {code(f.location)} {code(f.rule_id)} ({f.source}): {_one_line(unfixed.reason)}"


def _skipped_line(skipped: Skipped, code: Callable[[str], str]) -> str:
    return f"- {code(skipped.path)}: {_one_line(skipped.reason)}"


def _capped(items: list[str], cap: int) -> list[str]:
    """At most `cap` items, the rest summed up as "… and N more"."""
    if len(items) <= cap:
        return items
    return [*items[:cap], f"… and {len(items) - cap} more"]
