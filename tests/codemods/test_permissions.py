"""The phase 6 codemod beyond its own examples: what it leaves alone, and why."""

from __future__ import annotations

import json
from collections.abc import Callable

from harden.codemods.base import FileRun
from harden.codemods.catalog.permissions import _call
from harden.codemods.permissions import Permissions

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

TWO_COUNTS = """\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool(name="count")
def count_notes() -> int:
    return 3


@mcp.tool(name="count")
def count_tags() -> int:
    return 4
"""


def reasons(run: FileRun) -> list[str]:
    return sorted(unfixed.reason for unfixed in run.unfixed)


def test_two_handlers_of_one_name_get_nothing(apply: Apply) -> None:
    new, run = apply(TWO_COUNTS, Permissions, (_call("count"),))
    assert new == TWO_COUNTS
    assert (
        reasons(run)
        == [
            "no policy written: 2 handlers are registered as `count`: the logs cannot tell which "
            "one they saw"
        ]
        * 2
    )


def test_calls_recording_no_uses_give_no_policy(apply: Apply) -> None:
    old_line = json.loads(_call("count"))
    del old_line["uses"]  # a runtime from before phase 6's observation
    source = TWO_COUNTS.split('\n\n@mcp.tool(name="count")\ndef count_tags')[0] + "\n"
    new, run = apply(source, Permissions, (json.dumps(old_line),))
    assert new == source
    assert reasons(run) == [
        "no policy written: its 1 call(s) in the logs record no uses (the runtime's audit hook "
        "came with phase 6's observation: apply phase 1 again and let it run)"
    ]


def test_a_policy_already_there_is_kept_and_annotations_still_follow_the_logs(
    apply: Apply,
) -> None:
    source = (
        "from mcp.server.fastmcp import FastMCP\n"
        "from mcp.types import ToolAnnotations\n"
        "import harden_runtime\n\n"
        'mcp = FastMCP("notes")\n\n\n'
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))\n"
        '@harden_runtime.permissions(uses=("fs:write:/srv",))\n'
        "def save(text: str) -> str:\n"
        '    open("/srv/notes.txt", "w").write(text)\n'
        '    return "saved"\n'
    )
    new, run = apply(source, Permissions, (_call("save", "fs:write:/srv", "exec:git"),))
    assert new == source.replace("readOnlyHint=True", "readOnlyHint=False")
    assert any("has a permission policy already" in kept for kept in run.kept)
