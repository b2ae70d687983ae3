"""Line maps between two versions of a file: difflib's answer, computed only between the first
and last changed lines, so that one rewrite in a large file costs what the rewrite costs."""

from __future__ import annotations

import difflib
import random

from harden.line_moves import line_opcodes, moved_lines


def _code(count: int, seed: int) -> list[str]:
    """Lines shaped like code: most of them repeat, as code's do."""
    rng = random.Random(seed)
    shapes = ["", "    return x", "    if x:", "        y = x + 1", "def f{}(x):", "# {}"]
    return [rng.choice(shapes).format(n) for n in range(count)]


def _apply(
    before: list[str], opcodes: list[tuple[str, int, int, int, int]], after: list[str]
) -> list[str]:
    """`before` rebuilt from the opcodes: equal runs copied, the rest taken from `after`."""
    rebuilt: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        assert (i2 - i1 == j2 - j1) if tag == "equal" else True
        rebuilt += before[i1:i2] if tag == "equal" else after[j1:j2]
        if tag == "equal":
            assert before[i1:i2] == after[j1:j2]
    return rebuilt


def test_small_changes_give_difflibs_opcodes() -> None:
    before = _code(300, 1)
    for start, stop, new in ((0, 2, ["import os"]), (150, 151, ["x", "y"]), (299, 300, [])):
        after = before[:start] + new + before[stop:]
        expected = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
        assert line_opcodes(before, after) == [tuple(op) for op in expected]


def test_changes_far_apart_in_a_large_file_still_map_every_line() -> None:
    before = _code(20_000, 2)
    after = ["import os", *before[:10_000], "changed", *before[10_001:], "tail"]
    opcodes = line_opcodes(before, after)
    assert _apply(before, opcodes, after) == after
    assert opcodes[0][0] == "insert" and opcodes[-1][0] == "insert"
    assert sum(i2 - i1 for tag, i1, i2, *_ in opcodes if tag == "equal") >= 19_990


def test_moved_lines_follow_an_insertion() -> None:
    old = "\n".join(_code(50, 3))
    new = "import os\n" + old
    moved = moved_lines(old, new)
    assert moved[1] == (2, 2) and moved[50] == (51, 51)
