"""`harden apply --in-place` never loses the user's work and never writes outside the tree.

What was read is what gets replaced: a file edited, deleted or created while harden ran is left
as the user made it and reported; a symbolic link is never replaced or written through; a FIFO
is not read (it would block); a byte-order mark stays; the runtime copies are written before the
modules that import them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harden import engine
from harden.changes import FileChange
from harden.sources import working_tree, write_in_place

SERVER = """import os


def count(path):
    pipe = os.popen(f"wc -l {path}")
    return pipe.read(), pipe.close()
"""


def _changes(root: Path) -> tuple[list, list]:
    tree = working_tree(root, None)
    return engine.apply(tree.files, ["shell-commands"], phase=5, jobs=1).files, tree.skipped


def _project(root: Path, *names: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    for name in names:
        (root / "pkg" / name).write_text(SERVER)
    return root


def test_files_changed_deleted_or_created_meanwhile_are_left_as_the_user_made_them(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, "a.py", "b.py", "c.py")
    changes, _ = _changes(root)
    (root / "pkg" / "a.py").write_text(SERVER + "# edited while harden ran\n")
    (root / "pkg" / "b.py").unlink()
    (root / "pkg" / "harden_runtime.py").write_text("# someone else's\n")
    skipped = {s.path: s.reason for s in write_in_place(root, changes)}
    assert skipped == {
        "pkg/a.py": "changed while harden ran (run harden again); left as it is",
        "pkg/b.py": "deleted or replaced while harden ran; left as it is",
        "pkg/harden_runtime.py": "there now, though harden did not read it; left as it is",
    }
    assert (root / "pkg" / "a.py").read_text().endswith("# edited while harden ran\n")
    assert not (root / "pkg" / "b.py").exists()
    assert (root / "pkg" / "harden_runtime.py").read_text() == "# someone else's\n"
    assert "harden_runtime.popen" in (root / "pkg" / "c.py").read_text()  # the rest is written
    assert not list(root.rglob("*.harden")), "no temporary file outlives the run"


def test_symbolic_links_are_never_replaced_or_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(SERVER)
    root = _project(tmp_path / "project", "real.py")
    (root / "pkg" / "inside_link.py").symlink_to(root / "pkg" / "real.py")
    (root / "pkg" / "outside_link.py").symlink_to(outside)
    changes, skipped = _changes(root)
    assert {s.path: s.reason for s in skipped} == {
        "pkg/inside_link.py": "a symbolic link: harden reads only files",
        "pkg/outside_link.py": "a symbolic link: harden reads only files",
    }
    assert write_in_place(root, changes) == []
    assert outside.read_text() == SERVER
    assert (root / "pkg" / "inside_link.py").is_symlink()
    assert "harden_runtime.popen" in (root / "pkg" / "real.py").read_text()


def test_a_fifo_is_not_read_and_does_not_block(tmp_path: Path) -> None:
    root = _project(tmp_path, "a.py")
    os.mkfifo(root / "pkg" / "pipe.py")
    process = subprocess.run(
        [sys.executable, "-m", "harden", "scan", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode in (0, 1), process.stderr


def test_a_byte_order_mark_and_the_runtime_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, "a.py")
    (root / "pkg" / "a.py").write_bytes(b"\xef\xbb\xbf" + SERVER.encode())
    changes, _ = _changes(root)
    replaced: list[str] = []
    real_replace = os.replace

    def recording(source: str, target: os.PathLike[str]) -> None:
        replaced.append(Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", recording)
    assert write_in_place(root, changes) == []
    assert replaced == ["harden_runtime.py", "a.py"]
    data = (root / "pkg" / "a.py").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"harden_runtime.popen" in data
    assert data.count(b"\xef\xbb\xbf") == 1


def test_a_file_too_big_to_be_hand_written_is_skipped_with_the_reason(tmp_path: Path) -> None:
    root = _project(tmp_path, "a.py")
    (root / "pkg" / "generated.py").write_text(SERVER + "X = 1\n" * 200_000)
    tree = working_tree(root, None)
    assert [s.path for s in tree.skipped] == ["pkg/generated.py"]
    assert tree.skipped[0].reason.startswith("larger than 1 MB")
    assert [path for path, _ in tree.files] == ["pkg/__init__.py", "pkg/a.py"]


def test_temporary_files_a_killed_run_left_are_removed_by_the_next(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    stale = tmp_path / ".a.py.k3j_x9q2.harden"  # what SIGKILL left an hour ago
    stale.write_text("half")
    os.utime(stale, (stale.stat().st_atime - 3600, stale.stat().st_mtime - 3600))
    fresh = tmp_path / ".b.py.m1n2b3v4.harden"  # another run's, being written right now
    fresh.write_text("in flight")
    mine = tmp_path / ".notes.harden.txt"  # the user's, whatever it is called
    mine.write_text("keep")
    change = FileChange("a.py", "x = 1\n", "x = 2\n")
    assert write_in_place(tmp_path, [change]) == []
    assert (tmp_path / "a.py").read_text() == "x = 2\n"
    assert not stale.exists() and fresh.exists() and mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".b.py.m1n2b3v4.harden",
        ".notes.harden.txt",
        "a.py",
    ]
