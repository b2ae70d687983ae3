"""What `harden apply` did to this environment's servers, and that doing it again does nothing.

conftest.py's `tree` hardens a copy of the servers with the installed CLI. A copy of the result
went through every phase once more (with one worker, where the first pass used the default),
and this environment's harden applied phase 1 again to another: both must come out byte for
byte as they went in.
"""

from __future__ import annotations

from compat_support import FIXTURES, MODULES
from conftest import Tree, files


def test_every_phase_rewrote_the_servers(tree: Tree) -> None:
    original, hardened = files(tree.original), files(tree.hardened)
    for module in MODULES:
        assert hardened[f"compat/{module}.py"] != original[f"compat/{module}.py"], module
    assert "compat/harden_runtime.py" in hardened
    for name in FIXTURES:
        changed = [
            path
            for path, text in hardened.items()
            if path.startswith(f"fixtures/{name}/") and original.get(path) != text
        ]
        assert any(path.endswith("harden_runtime.py") for path in changed), name
        assert any(not path.endswith("harden_runtime.py") for path in changed), name


def test_applying_every_phase_again_changes_nothing(tree: Tree) -> None:
    assert files(tree.again) == files(tree.hardened)


def test_this_environments_harden_changes_nothing_more(tree: Tree) -> None:
    assert tree.reapplied is not None
    before, after = tree.reapplied.result()
    assert before == files(tree.hardened)
    assert after == before
