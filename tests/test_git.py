from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from harden.config import DEFAULT_BRANCH_PREFIX
from harden.git import (
    GitError,
    commit_to_branch,
    files_at,
    find_repo,
)
from harden.phases import phase_branch_name

SERVER = "def tool():\n    return 1\n"
BRANCH = "harden/phase-5-commands"


@pytest.fixture(autouse=True)
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the machine's git configuration and identity: a fresh machine has none."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_CONFIG_GLOBAL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _commit_all(root: Path, message: str = "setup") -> None:
    """Commit with a one-off identity, so the repository itself has none configured."""
    _git(root, "add", "-A")
    _git(
        root,
        "-c",
        "user.name=Setup",
        "-c",
        "user.email=setup@example.com",
        "commit",
        "-qm",
        message,
    )


def _make_project(root: Path) -> Path:
    _git(root.parent, "init", "-q", "-b", "main", str(root))
    (root / "app").mkdir()
    (root / "app" / "server.py").write_text(SERVER)
    (root / "app" / "util.py").write_text("X = 1\n")
    (root / "app" / "notes.txt").write_text("not python\n")
    (root / "scripts").mkdir()
    (root / "scripts" / "run.py").write_text("#!/usr/bin/env python\nprint('hi')\n")
    (root / "scripts" / "run.py").chmod(0o755)
    (root / "latin1.py").write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n")
    (root / "link.py").symlink_to("app/server.py")
    _commit_all(root)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _make_project(tmp_path / "project")


@pytest.fixture
def repo(project: Path) -> Iterator[git.Repo]:
    found = find_repo(project)
    assert found is not None
    yield found
    found.close()


# --- find_repo ---------------------------------------------------------------------------


def test_find_repo_searches_parent_directories(project: Path) -> None:
    for start in (project / "app", project / "app" / "server.py"):
        found = find_repo(start)
        assert found is not None and Path(found.working_tree_dir) == project
        found.close()


def test_find_repo_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert find_repo(tmp_path / "plain") is None
    assert find_repo(tmp_path / "does-not-exist") is None


def test_find_repo_refuses_a_bare_repository(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(GitError, match="bare repository"):
        find_repo(tmp_path / "bare.git")


# --- files_at ----------------------------------------------------------------------------


def test_files_at_reads_regular_utf8_files_of_the_commit(project: Path, repo: git.Repo) -> None:
    (project / "app" / "server.py").write_text("changed in the working tree\n")

    assert files_at(repo, "HEAD") == {
        "app/server.py": SERVER,
        "app/util.py": "X = 1\n",
        "scripts/run.py": "#!/usr/bin/env python\nprint('hi')\n",
    }  # not the symlink, not the latin-1 file, not the .txt
    assert files_at(repo, "main", suffix=".txt") == {"app/notes.txt": "not python\n"}


def test_files_at_keeps_line_endings_and_bom(project: Path, repo: git.Repo) -> None:
    (project / "win.py").write_bytes(b"\xef\xbb\xbfa = 1\r\nb = 2\r\n")
    _commit_all(project)
    assert files_at(repo, "HEAD")["win.py"].encode() == b"\xef\xbb\xbfa = 1\r\nb = 2\r\n"


def test_files_at_under_a_directory(project: Path, repo: git.Repo) -> None:
    expected = {"app/server.py": SERVER, "app/util.py": "X = 1\n"}
    assert files_at(repo, "HEAD", Path("app")) == expected
    assert files_at(repo, "HEAD", project / "app") == expected
    assert files_at(repo, "HEAD", Path(".")) == files_at(repo, "HEAD")


@pytest.mark.parametrize("under", ["missing", "app/server.py"])
def test_files_at_under_something_that_is_not_a_directory(repo: git.Repo, under: str) -> None:
    with pytest.raises(GitError, match=f"^'{under}' is not a directory in HEAD$"):
        files_at(repo, "HEAD", Path(under))


def test_files_at_under_a_path_outside_the_repository(tmp_path: Path, repo: git.Repo) -> None:
    with pytest.raises(GitError, match="outside the repository"):
        files_at(repo, "HEAD", tmp_path)


@pytest.mark.parametrize("ref", ["nope", "--all", "HEAD:app"])
def test_files_at_unknown_revision(repo: git.Repo, ref: str) -> None:
    with pytest.raises(GitError) as raised:
        files_at(repo, ref)
    assert str(raised.value) == f"unknown revision '{ref}'"


def test_a_repository_without_commits(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "empty")
    repo = find_repo(tmp_path / "empty")
    assert repo is not None
    expected = "the repository has no commits yet; commit first or use --in-place"
    with pytest.raises(GitError, match=f"^{re.escape(expected)}$"):
        files_at(repo, "HEAD")
    with pytest.raises(GitError, match=f"^{re.escape(expected)}$"):
        commit_to_branch(repo, branch=BRANCH, base="HEAD", files={}, message="m")
    repo.close()


# --- commit_to_branch --------------------------------------------------------------------


def test_commit_to_branch_builds_the_commit_from_base(project: Path, repo: git.Repo) -> None:
    base = _git(project, "rev-parse", "HEAD")
    files = {
        "app/server.py": "def tool():\n    return 2\n",
        "scripts/run.py": "#!/usr/bin/env python\nprint('hello')\n",
        "app/harden_runtime.py": "VERSION = '1'\n",
        # neighbours of the directory "app" that sort around it in a tree
        "app.py": "",
        "app-x/new.py": "é\n",
    }
    result = commit_to_branch(
        repo, branch=BRANCH, base="HEAD", files=files, message="title\n\nbody"
    )

    assert result.branch == BRANCH and result.replaced is None
    assert _git(project, "rev-parse", BRANCH) == result.commit
    assert _git(project, "rev-parse", f"{BRANCH}^") == base
    assert _git(project, "log", "-1", "--format=%B", BRANCH) == "title\n\nbody"
    changed = _git(project, "diff", "--name-only", base, BRANCH).splitlines()
    assert sorted(changed) == sorted(files)
    for path, text in files.items():
        assert _git(project, "cat-file", "blob", f"{BRANCH}:{path}") == text.strip()
    modes = {
        line.split("\t")[1]: line.split()[0]
        for line in _git(project, "ls-tree", "-r", BRANCH).splitlines()
    }
    assert modes["scripts/run.py"] == "100755"
    assert modes["app/harden_runtime.py"] == "100644"
    assert modes["link.py"] == "120000"
    _git(project, "fsck", "--strict", "--no-dangling")


def _user_state(root: Path) -> dict[str, object]:
    """Everything of the user's that harden must leave alone, byte for byte."""
    files = {
        str(p.relative_to(root)): (p.read_bytes(), p.lstat().st_mode)
        for p in sorted(root.rglob("*"))
        if ".git" not in p.relative_to(root).parts and p.is_file() and not p.is_symlink()
    }
    dot_git = root / ".git"
    index = (dot_git / "index").stat()
    return {
        "files": files,
        "index": (dot_git / "index").read_bytes(),
        "index stat": (index.st_ino, index.st_mtime_ns, index.st_size),
        **{
            name: (dot_git / name).read_bytes()
            for name in ("HEAD", "refs/heads/main", "refs/stash", "logs/HEAD", "logs/refs/stash")
        },
        "stash list": _git(root, "stash", "list", "--format=%H %gs"),
    }


def test_commit_to_branch_leaves_the_users_work_alone(project: Path, repo: git.Repo) -> None:
    (project / "app" / "util.py").write_text("X = 'stashed'\n")
    _git(project, "-c", "user.name=S", "-c", "user.email=s@s", "stash", "-q")
    (project / "app" / "server.py").write_text("staged\n")
    _git(project, "add", "app/server.py")
    (project / "app" / "server.py").write_text("staged, then edited\n")
    (project / "app" / "util.py").write_text("unstaged\n")
    (project / "untracked.py").write_text("untracked\n")
    before = _user_state(project)

    commit_to_branch(
        repo,
        branch=BRANCH,
        base="HEAD",
        files={"app/server.py": "rewritten\n", "app/new.py": "new\n"},
        message="m",
    )
    commit_to_branch(repo, branch=BRANCH, base="HEAD", files={}, message="m", force=True)

    assert _user_state(project) == before


def test_an_existing_branch_needs_force(project: Path, repo: git.Repo) -> None:
    first = commit_to_branch(repo, branch=BRANCH, base="HEAD", files={"a.py": "1\n"}, message="m")
    with pytest.raises(GitError) as raised:
        commit_to_branch(repo, branch=BRANCH, base="HEAD", files={"a.py": "2\n"}, message="m")
    assert str(raised.value) == f"branch '{BRANCH}' already exists; use --force to replace it"
    assert _git(project, "rev-parse", BRANCH) == first.commit

    second = commit_to_branch(
        repo, branch=BRANCH, base="HEAD", files={"a.py": "2\n"}, message="m", force=True
    )
    assert second.replaced == first.commit
    assert _git(project, "rev-parse", BRANCH) == second.commit
    reflog = _git(project, "log", "-g", "--format=%H %gs", BRANCH).splitlines()
    assert reflog[0] == f"{second.commit} harden: replaced {first.commit} on HEAD"
    assert reflog[1].startswith(f"{first.commit} harden: created")


def test_force_refuses_a_branch_checked_out_in_a_worktree(
    tmp_path: Path, project: Path, repo: git.Repo
) -> None:
    with pytest.raises(
        GitError, match=f"^branch 'main' is checked out in {re.escape(str(project))}; switch away"
    ):
        commit_to_branch(repo, branch="main", base="HEAD", files={}, message="m", force=True)

    _git(project, "worktree", "add", "-q", "-b", BRANCH, str(tmp_path / "elsewhere"))
    tip = _git(project, "rev-parse", BRANCH)
    with pytest.raises(GitError, match=r"is checked out in .*elsewhere; switch away first$"):
        commit_to_branch(repo, branch=BRANCH, base="HEAD", files={}, message="m", force=True)
    assert _git(project, "rev-parse", BRANCH) == tip


def test_identity_falls_back_when_none_is_configured(project: Path, repo: git.Repo) -> None:
    assert subprocess.run(["git", "config", "user.name"], cwd=project).returncode == 1
    commit_to_branch(repo, branch=BRANCH, base="HEAD", files={}, message="m")
    who = _git(project, "log", "-1", "--format=%an <%ae> / %cn <%ce>", BRANCH)
    assert who == "harden <harden@localhost> / harden <harden@localhost>"


def test_identity_comes_from_git_config_and_environment(
    project: Path, repo: git.Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(project, "config", "user.name", "Ada Lovelace")
    _git(project, "config", "user.email", "ada@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "CI Bot")
    commit_to_branch(repo, branch=BRANCH, base="HEAD", files={}, message="m")
    who = _git(project, "log", "-1", "--format=%an <%ae> / %cn <%ce>", BRANCH)
    assert who == "Ada Lovelace <ada@example.com> / CI Bot <ada@example.com>"


def test_commit_to_branch_on_another_base(project: Path, repo: git.Repo) -> None:
    old = _git(project, "rev-parse", "HEAD")
    (project / "app" / "util.py").write_text("X = 2\n")
    _commit_all(project, "second")
    result = commit_to_branch(repo, branch=BRANCH, base=old[:10], files={}, message="m")
    assert _git(project, "rev-parse", f"{result.commit}^") == old
    assert _git(project, "cat-file", "blob", f"{BRANCH}:app/util.py") == "X = 1"


@pytest.mark.parametrize(
    ("branch", "base", "files", "message"),
    [
        ("bad..name", "HEAD", {}, "'bad..name' is not a valid branch name"),
        (BRANCH, "nope", {}, "unknown revision 'nope'"),
        (BRANCH, "HEAD", {"link.py": ""}, "cannot write 'link.py': it is a symbolic link"),
        (BRANCH, "HEAD", {"app": ""}, "cannot write 'app': it is a directory in HEAD"),
        (BRANCH, "HEAD", {"app/util.py/x.py": ""}, "'app/util.py' is a file in HEAD"),
        (BRANCH, "HEAD", {"../x.py": ""}, "cannot write '../x.py': not a plain path"),
        (BRANCH, "HEAD", {"/tmp/x.py": ""}, "cannot write '/tmp/x.py': not a plain path"),
        (BRANCH, "HEAD", {".git/hooks/x": ""}, "not a plain path"),
        (BRANCH, "HEAD", {"app//x.py": ""}, "not a plain path"),
    ],
)
def test_commit_to_branch_refuses(
    project: Path, repo: git.Repo, branch: str, base: str, files: dict[str, str], message: str
) -> None:
    with pytest.raises(GitError, match=re.escape(message)):
        commit_to_branch(repo, branch=branch, base=base, files=files, message="m")
    assert _git(project, "branch", "--list", branch) == ""


def test_phase_branch_name() -> None:
    assert phase_branch_name(DEFAULT_BRANCH_PREFIX, 5, "commands") == "harden/phase-5-commands"
    assert phase_branch_name("sec/", 1, "observe") == "sec/phase-1-observe"
