"""Scanner paths and URIs become the project-relative POSIX paths Findings carry.

These tests must never depend on the machine's own directory layout beyond tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harden.findings.paths import path_from_uri, project_path


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("./server.py", "server.py"),
        ("././pkg//tools/./x.py", "pkg/tools/x.py"),
        ("pkg\\tools\\x.py", "pkg/tools/x.py"),
        ("tools dir/archive.py", "tools dir/archive.py"),
    ],
)
def test_relative_paths_are_cleaned(tmp_path: Path, given: str, expected: str) -> None:
    assert project_path(given, tmp_path) == expected


def test_absolute_paths_under_the_root_become_relative(tmp_path: Path) -> None:
    assert project_path(str(tmp_path / "pkg" / "a.py"), tmp_path) == "pkg/a.py"


def test_both_sides_are_resolved_before_comparing(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "pkg").mkdir(parents=True)
    (real / "pkg" / "a.py").write_text("", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert project_path(str(link / "pkg" / "a.py"), real) == "pkg/a.py"
    assert project_path(str(real / "pkg" / "a.py"), link) == "pkg/a.py"


def test_paths_outside_the_root_stay_absolute(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    assert project_path(str(tmp_path / "other.py"), root) == (tmp_path / "other.py").as_posix()
    assert project_path("../other.py", root) == (tmp_path / "other.py").as_posix()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///srv/app/tools%20dir/a.py", "/srv/app/tools dir/a.py"),
        ("file://localhost/srv/a.py", "/srv/a.py"),
        ("file:///C:/work/a.py", "C:/work/a.py"),
        ("tools%20dir/a.py", "tools dir/a.py"),
        ("tools dir/a.py", "tools dir/a.py"),  # Semgrep leaves spaces unencoded
        ("https://example.com/a.py", None),
    ],
)
def test_uris_decode_to_file_paths(uri: str, expected: str | None) -> None:
    assert path_from_uri(uri) == expected
