"""What the interactive review shows of a rewrite: its diff rows in the file's lines (or in its
own text when the file does not hold it at its place), highlighted, and its position."""

from __future__ import annotations

import io

from rich.console import Console

from harden.changes import Rewrite, Span
from harden.review import Review, diff_rows

CALL = """\
import os


def run(name):
    code = os.system('ls ' + name)
    return code
"""

MULTILINE_CALL = """\
def run(name):
    if name:
        out = subprocess.run(
            "ls " + name,
            shell=True,
        )
    return out
"""

METHOD = """\
class Tools:
    # Lists a folder.
    @mcp.tool()
    def ls(self, path):
        text = \"\"\"one
two\"\"\"
        a = 1
        b = 2
        c = 3
        return path
"""


def _rows(rewrite: Rewrite, source: str) -> list[tuple[str, str, str]]:
    return [(number, marker, line.plain) for number, marker, line in diff_rows(rewrite, source)]


def test_a_call_within_a_line_is_shown_among_the_files_lines() -> None:
    rewrite = Rewrite(
        "m.py",
        Span(5, 12, 5, 35),
        "shell-commands",
        before="os.system('ls ' + name)",
        after="subprocess.run(['ls', name]).returncode",
        note="",
    )
    assert _rows(rewrite, CALL) == [
        ("3", " ", ""),
        ("4", " ", "def run(name):"),
        ("5", "-", "    code = os.system('ls ' + name)"),
        ("", "+", "    code = subprocess.run(['ls', name]).returncode"),
        ("6", " ", "    return code"),
    ]


def test_a_call_over_lines_keeps_the_files_indentation() -> None:
    # libcst writes a nested node's later lines indented from its statement, not the file's.
    rewrite = Rewrite(
        "m.py",
        Span(3, 15, 6, 10),
        "shell-commands",
        before='subprocess.run(\n    "ls " + name,\n    shell=True,\n)',
        after='subprocess.run(\n    ["ls", name],\n)',
        note="",
    )
    assert _rows(rewrite, MULTILINE_CALL) == [
        ("2", " ", "    if name:"),
        ("3", " ", "        out = subprocess.run("),
        ("4", "-", '            "ls " + name,'),
        ("5", "-", "            shell=True,"),
        ("", "+", '            ["ls", name],'),
        ("6", " ", "        )"),
        ("7", " ", "    return out"),
    ]


def test_a_function_is_shown_from_its_decorators_with_a_little_of_its_body() -> None:
    # A function's position starts at `def`; its text at the comment and decorators above.
    method = METHOD.splitlines()[1:]
    before = "\n".join(line.removeprefix("    ") for line in method)
    after = before.replace("@mcp.tool()\n", "@mcp.tool()\n@harden_runtime.observe\n")
    rewrite = Rewrite("m.py", Span(4, 5, 10, 20), "observe", before=before, after=after, note="")
    assert _rows(rewrite, METHOD) == [
        ("2", " ", "    # Lists a folder."),
        ("3", " ", "    @mcp.tool()"),
        ("", "+", "    @harden_runtime.observe"),
        ("4", " ", "    def ls(self, path):"),
        ("5", " ", '        text = """one'),
    ]


def test_a_string_over_lines_is_matched_as_the_file_holds_it() -> None:
    # The inside of a string keeps its own indentation (none here) in libcst's text too.
    before = 'text = """one\ntwo"""'
    after = before.replace("text", "TEXT")
    rewrite = Rewrite("m.py", Span(5, 9, 6, 7), "x", before=before, after=after, note="")
    assert _rows(rewrite, METHOD) == [
        ("3", " ", "    @mcp.tool()"),
        ("4", " ", "    def ls(self, path):"),
        ("5", "-", '        text = """one'),
        ("", "+", '        TEXT = """one'),
        ("6", " ", 'two"""'),
        ("7", " ", "        a = 1"),
    ]


def test_a_rewrite_the_file_does_not_hold_at_its_place_shows_its_own_text() -> None:
    # A command's variable definition changes with the call: two statements apart.
    source = "cmd = 'ls ' + x\nprint(cmd)\nos.system(cmd)\n"
    rewrite = Rewrite(
        "m.py",
        Span(3, 1, 3, 15),
        "shell-commands",
        before="cmd = 'ls ' + x\nos.system(cmd)",
        after="cmd = ['ls', x]\nsubprocess.run(cmd)",
        note="",
    )
    assert _rows(rewrite, source) == [
        ("", "-", "cmd = 'ls ' + x"),
        ("", "-", "os.system(cmd)"),
        ("", "+", "cmd = ['ls', x]"),
        ("", "+", "subprocess.run(cmd)"),
    ]


def test_changes_far_apart_are_shown_with_a_gap_between() -> None:
    before = "\n".join(f"v{n}" for n in range(12))
    after = before.replace("v0", "w0").replace("v11", "w11")
    rewrite = Rewrite("m.py", Span(1, 1, 1, 1), "x", before=before, after=after, note="")
    assert [marker + text for _, marker, text in _rows(rewrite, "")] == [
        "-v0",
        "+w0",
        " v1",
        " v2",
        " ...",
        " v9",
        " v10",
        "-v11",
        "+w11",
    ]


def test_the_lines_are_highlighted_as_python() -> None:
    rewrite = Rewrite(
        "m.py",
        Span(5, 12, 5, 35),
        "shell-commands",
        before="os.system('ls ' + name)",
        after="subprocess.run(['ls', name]).returncode",
        note="",
    )
    _, _, line = diff_rows(rewrite, CALL)[1]
    assert line.plain == "def run(name):"
    keyword = [span for span in line.spans if (span.start, span.end) == (0, 3)]
    assert keyword and keyword[0].style.color is not None


def test_the_position_never_reads_past_the_total() -> None:
    # The total is counted with everything accepted; a rejection can let one more come.
    screen = io.StringIO()
    review = Review(
        Console(file=screen, width=100),
        read_key=lambda: "n",
        explain=lambda _rewrite: "",
        sources={"m.py": CALL},
        total=1,
    )
    rewrite = Rewrite("m.py", Span(5, 12, 5, 35), "x", before="os", after="sub", note="")
    review(rewrite)
    review(rewrite)
    text = screen.getvalue()
    assert "Apply this rewrite (1 of 1)?" in text and "Apply this rewrite (2 of 2)?" in text
    assert review.summary() == "reviewed: 0 accepted, 2 rejected"
