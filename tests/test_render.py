from __future__ import annotations

import hashlib
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from harden.changes import ChangeSet, FileChange, Rewrite, Skipped, Span, Unfixed
from harden.findings.model import Finding, Severity
from harden.render import commit_message, json_report, markdown, unified_diff

NOTE = "No shell any more: the command runs as an argument list.\nCheck the quoting."


def _finding(path: str, line: int, rule: str = "B602", source: str = "bandit") -> Finding:
    return Finding(rule, path, line, 5, severity=Severity.HIGH, message="shell=True", source=source)


def _rewrite(path: str, line: int, codemod: str = "shell-to-argv", note: str = NOTE) -> Rewrite:
    return Rewrite(
        path=path,
        span=Span(line, 5, line, 40),
        codemod=codemod,
        before="run(cmd, shell=True)",
        after="run(argv)",
        note=note,
        fixes=(_finding(path, line),),
    )


def _git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


# --- unified_diff ------------------------------------------------------------------------

EDGE_CASES = [
    FileChange("app/tools.py", "a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n"),
    FileChange("no_newline.py", "x = 1\ny = 2", "x = 1\ny = 3"),
    FileChange("gains_newline.py", "x = 1", "x = 2\n"),
    FileChange("loses_newline.py", "x = 1\n", "x = 1\ny = 2"),
    FileChange("crlf.py", "a = 1\r\nb = 2\r\n", "a = 1\r\nb = 3\r\n"),
    # form feed and LINE SEPARATOR: str.splitlines() breaks lines there, git does not
    FileChange("odd_chars.py", "\x0c\n# a\u2028b\nx = 1\n", "\x0c\n# a\u2028b\nx = 2\n"),
    FileChange("dir with space/m.py", "old\n", "new\n"),
    FileChange("harden_runtime.py", "", "VERSION = '1'\n"),
    FileChange("unchanged.py", "same\n", "same\n"),
]


def test_unified_diff_applies_with_git_apply(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    for change in EDGE_CASES:
        if change.before:
            (tmp_path / change.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / change.path).write_bytes(change.before.encode())
    diff = unified_diff(ChangeSet(phase=5, files=EDGE_CASES))

    _git(tmp_path, "apply", "--check", "-", stdin=diff)
    _git(tmp_path, "apply", "-", stdin=diff)

    for change in EDGE_CASES:
        assert (tmp_path / change.path).read_bytes() == change.after.encode(), change.path


def test_unified_diff_format() -> None:
    diff = unified_diff(ChangeSet(phase=5, files=EDGE_CASES))
    assert "unchanged.py" not in diff
    assert "--- a/app/tools.py\n+++ b/app/tools.py\n" in diff
    assert "--- /dev/null\n+++ b/harden_runtime.py\n@@ -0,0 +1 @@\n" in diff
    assert "-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n" in diff
    # three lines of context around the one changed line
    assert "@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n" in diff


def test_unified_diff_orders_files_by_path() -> None:
    files = [FileChange("b.py", "1\n", "2\n"), FileChange("a.py", "1\n", "2\n")]
    diff = unified_diff(ChangeSet(phase=1, files=files))
    assert diff.index("a/a.py") < diff.index("a/b.py")


# --- markdown ----------------------------------------------------------------------------


def _small_changeset() -> ChangeSet:
    tools = FileChange(
        "app/tools.py",
        "import subprocess\nsubprocess.run(cmd, shell=True)\nsubprocess.run(c2, shell=True)\n",
        "import subprocess\nsubprocess.run(argv)\nsubprocess.run(argv2)\n",
        [_rewrite("app/tools.py", 2), _rewrite("app/tools.py", 3)],
    )
    errors = FileChange(
        "app/errors.py",
        'return str(exc)\n"""\n```\n"""\n',
        'return safe_error(exc)\n"""\n```\n"""\n# ````\n',
        [_rewrite("app/errors.py", 1, "safe-errors", "Clients now see a correlation id.")],
    )
    return ChangeSet(
        phase=5,
        files=[tools, errors],
        unfixed=[
            Unfixed(_finding("app/run.py", 9, "B605"), "the command is built at run time"),
        ],
        skipped=[Skipped("app/broken.py", "does not parse: line 3")],
        ignored=[_finding("app/x.py", 1, "B101")],
    )


def test_markdown_sections() -> None:
    text = markdown(_small_changeset(), title="harden phase 5: commands without a shell")

    assert text.startswith("## harden phase 5: commands without a shell\n")
    assert "**Phase 5**: 3 rewrites in 2 files · 1 finding not rewritten · 1 file skipped" in text
    assert "| `safe-errors` | 1 | 1 |" in text
    assert "| `shell-to-argv` | 2 | 1 |" in text
    # each distinct note once, with every place it applies to
    assert text.count("No shell any more") == 1
    assert "Applies to: `app/tools.py:2`, `app/tools.py:3`" in text
    assert "<details><summary><code>app/tools.py</code> (2 rewrites)</summary>" in text
    assert "- `app/run.py:9:5` `B605` (bandit): the command is built at run time" in text
    assert "- `app/broken.py`: does not parse: line 3" in text
    assert "diffs not shown" not in text


def test_markdown_shows_the_vendored_runtime_as_one_line_not_a_diff() -> None:
    changes = _small_changeset()
    changes.files.append(FileChange("pkg/harden_runtime.py", "", "VERSION = '1'\n"))
    text = markdown(changes, title="t")
    digest = hashlib.sha256(b"VERSION = '1'\n").hexdigest()[:16]
    assert (
        f"- `pkg/harden_runtime.py`: harden's vendored runtime, sha256 {digest}, 14 bytes (new)"
        in text
    )
    assert "VERSION" not in text and "<code>pkg/harden_runtime.py</code>" not in text


def test_markdown_fence_is_longer_than_any_backtick_run_in_the_diff() -> None:
    text = markdown(_small_changeset(), title="t")
    block = text[text.index("<code>app/errors.py</code>") :]
    fence = re.search(r"^(`+)diff$", block, re.MULTILINE)
    assert fence is not None and len(fence.group(1)) == 5  # the diff holds a run of four
    body = block[fence.end() : block.index("</details>")]
    assert body.rstrip().endswith(fence.group(1))
    assert f"\n{fence.group(1)}\n" not in body[: -len(fence.group(1)) - 3]


def _large_changeset(files: int = 200, rewrites: int = 500, unfixed: int = 40) -> ChangeSet:
    changes = ChangeSet(phase=5)
    for i in range(files):
        path = f"pkg/module_{i:03}.py"
        before = [f"value_{n} = compute({n})\n" for n in range(60)]
        mine = [
            _rewrite(path, 10 + 15 * k) for k in range(rewrites // files + (i < rewrites % files))
        ]
        after = list(before)
        for r in mine:
            after[r.span.line - 1] = f"value_{r.span.line} = safer({r.span.line})\n"
        changes.files.append(FileChange(path, "".join(before), "".join(after), mine))
    changes.unfixed = [
        Unfixed(_finding(f"pkg/module_{i:03}.py", 3), "the command comes from a config file")
        for i in range(unfixed)
    ]
    return changes


def test_markdown_drops_diffs_from_the_end_to_fit() -> None:
    changes = _large_changeset()
    assert len(changes.rewrites) == 500
    text = markdown(changes, title="harden phase 5: commands without a shell")

    assert len(text) <= 65_536
    assert "| `shell-to-argv` | 500 | 200 |" in text
    assert text.count("the command comes from a config file") == 40
    hidden = re.search(
        r"_(\d+) more files' diffs not shown \(([^)]*)\) — run `harden apply --phase 5 "
        r"--dry-run` locally for the full diff._",
        text,
    )
    assert hidden is not None
    shown = text.count("<details>")
    assert shown == text.count("</details>") > 0
    assert shown + int(hidden.group(1)) == 200
    assert hidden.group(2).startswith(f"`pkg/module_{shown:03}.py`, ")
    assert hidden.group(2).endswith(f"… and {200 - shown - 10} more")
    # the files kept are the first ones
    assert f"<code>pkg/module_{shown - 1:03}.py</code>" in text
    assert f"<code>pkg/module_{shown:03}.py</code>" not in text


def test_markdown_truncates_unfixed_list_with_a_count_when_diffs_are_not_enough() -> None:
    changes = _large_changeset(files=20, rewrites=20, unfixed=3000)
    text = markdown(changes, title="t", limit=20_000)

    assert len(text) <= 20_000
    assert "<details>" not in text
    assert "_20 more files' diffs not shown" in text
    listed = text.count("the command comes from a config file")
    more = re.search(r"- … and (\d+) more not shown", text)
    assert more is not None and listed > 0
    assert listed + int(more.group(1)) == 3000


@pytest.mark.parametrize("limit", [50, 300, 2_000])
def test_markdown_never_exceeds_the_limit(limit: int) -> None:
    assert len(markdown(_large_changeset(files=5, rewrites=20), title="t", limit=limit)) <= limit


class _Outline(HTMLParser):
    """The headings (level, text), table cells and <details> summaries of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.cells: list[str] = []
        self.summaries: list[str] = []
        self.open: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("h2", "h3", "td", "summary"):
            self.open.append(tag)
            self.text = ""

    def handle_data(self, data: str) -> None:
        self.text += data

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
            text = " ".join(self.text.split())
            if tag in ("h2", "h3"):
                self.headings.append((tag, text))
            elif tag == "td":
                self.cells.append(text)
            else:
                self.summaries.append(text)


def _outline(text: str) -> _Outline:
    outline = _Outline()
    outline.feed(MarkdownIt("commonmark").enable("table").render(text))
    return outline


def test_markdown_renders_as_github_would_show_it() -> None:
    title = "harden phase 5: commands without a shell"
    text = markdown(_small_changeset(), title=title, enforce="nothing to switch: safe at once")
    outline = _outline(text)
    assert outline.headings == [
        ("h2", title),
        ("h3", "Notes for reviewers"),
        ("h3", "Diffs"),
        ("h3", "Not rewritten"),
        ("h3", "Skipped files"),
    ]
    assert outline.cells[:6] == ["safe-errors", "1", "1", "shell-to-argv", "2", "1"]
    assert outline.summaries == ["app/errors.py (1 rewrite)", "app/tools.py (2 rewrites)"]
    assert "Enforce later: nothing to switch: safe at once" in " ".join(text.split()).replace(
        "**", ""
    )


def test_markdown_of_500_rewrites_keeps_its_summary_whole() -> None:
    text = markdown(_large_changeset(), title="harden phase 2", enforce="ENFORCE_VALIDATION=true")
    assert len(text) <= 65_536
    outline = _outline(text)
    assert outline.headings[0] == ("h2", "harden phase 2")
    assert outline.cells[:3] == ["shell-to-argv", "500", "200"]
    assert ("h3", "Not rewritten") in outline.headings
    assert 0 < len(outline.summaries) < 200  # some diffs dropped, the rest whole
    assert "ENFORCE_VALIDATION=true" in text


# --- json --------------------------------------------------------------------------------


def test_json_report() -> None:
    from harden.findings.harden_json import finding_to_dict

    changes = _small_changeset()
    report = json.loads(json_report(changes, version="0.1.0"))

    assert list(report) == [
        "tool",
        "version",
        "kind",
        "phase",
        "summary",
        "rewrites",
        "unfixed",
        "skipped",
        "ignored",
        "files",
        "notes",
        "kept",
    ]
    assert report["tool"] == "harden" and report["kind"] == "apply" and report["phase"] == 5
    assert report["summary"] == {"rewrites": 3, "files": 2, "unfixed": 1, "skipped": 1}
    first = report["rewrites"][0]
    assert list(first) == [
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "codemod",
        "before",
        "after",
        "note",
        "fixes",
    ]
    assert (first["path"], first["line"], first["codemod"]) == ("app/errors.py", 1, "safe-errors")
    assert first["fixes"] == [json.loads(json.dumps(finding_to_dict(_finding("app/errors.py", 1))))]
    assert report["unfixed"][0]["reason"] == "the command is built at run time"
    assert report["skipped"] == [{"path": "app/broken.py", "reason": "does not parse: line 3"}]
    assert len(report["ignored"]) == 1
    assert [f["path"] for f in report["files"]] == ["app/errors.py", "app/tools.py"]
    assert report["files"][1]["diff"].startswith("diff --git a/app/tools.py b/app/tools.py\n")


# --- commit message ------------------------------------------------------------------------


def test_commit_message() -> None:
    message = commit_message(_small_changeset(), title="harden phase 5: commands without a shell")
    assert message == (
        "harden phase 5: commands without a shell\n"
        "\n"
        "- app/errors.py:1 safe-errors: Clients now see a correlation id.\n"
        "- app/tools.py:2 shell-to-argv: No shell any more: the command runs as an argument list.\n"
        "- app/tools.py:3 shell-to-argv: No shell any more: the command runs as an argument list.\n"
        "\n"
        "Not rewritten:\n"
        "- app/run.py:9:5 B605 (bandit): the command is built at run time\n"
        "\n"
        "Skipped:\n"
        "- app/broken.py: does not parse: line 3\n"
    )


def test_commit_message_caps_long_lists() -> None:
    message = commit_message(_large_changeset(unfixed=250), title="t")
    lines = message.splitlines()
    assert sum(line.startswith("- pkg/") and "shell-to-argv" in line for line in lines) == 200
    assert "… and 300 more" in lines
    assert "… and 50 more" in lines
