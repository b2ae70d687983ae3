"""Fixtures of the compatibility matrix: this SDK's servers, as written and hardened.

`tree` copies the example servers of this environment's SDK (fixtures/compat/<family>, with its
packages) and the project's fixture servers that belong to it (fixtures/servers/<dir>) into a
temporary directory, twice: `original/` stays as written, `hardened/` goes through the
installed `harden apply --phase N --in-place` for phases 1 to 4 (and 5 for the fixture
servers and the packages), as a user would run it. Nothing in the repository is written but
the cache below.

What harden makes of the servers depends only on its own sources and the servers', not on the
SDK installed: the result is kept in .venv/compat-cache under a digest of those inputs, so the
three fastmcp environments share one build, and a run with nothing changed builds nothing.
The build also applies every phase again to a copy of its result (`again/`, with one worker
where the first pass used the default), and each environment's own harden CLI applies phase 1
again to another copy: neither may change a byte.

The slow parts run in the background while the in-process tests run, on the machine's second
core: the fixture servers' own test runs (the originals' already while harden works) and that
re-application. The tests that need their results wait for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest
from compat_support import (
    COMPAT_SERVERS,
    FAMILY,
    FIXTURE_SERVERS,
    FIXTURES,
    PACKAGES,
    ROOT,
    load_module,
    server_of,
)

# The runtime's environment switches: cleared for every test, set by the tests that need them.
RUNTIME_VARIABLES = (
    "ENFORCE_VALIDATION",
    "ENFORCE_RATE_LIMITS",
    "RATE_LIMIT_RPM",
    "HARDEN_ALLOWED_ROOTS",
    "HARDEN_ALLOWED_HOSTS",
    "HARDEN_VALIDATION_SKIP_PARAMS",
    "HARDEN_MAX_STRING_LENGTH",
    "ENFORCE_SHELL_FREE",
)
HARDENING_PHASES = (1, 2, 3, 4)  # every server
FIXTURE_PHASES = (5,)  # the fixture servers also run their commands without a shell
TIMEOUT_SECONDS = 300
CACHE = ROOT / ".venv" / "compat-cache"


def harden_command() -> str:
    """The `harden` script installed next to this interpreter (the environment under test)."""
    script = Path(sys.executable).with_name("harden")
    return str(script) if script.exists() else shutil.which("harden") or "harden"


def harden_apply(phase: int, path: Path, *options: str) -> str:
    """Run `harden apply --phase N --in-place PATH`; its output, or a failure showing it."""
    process = subprocess.run(
        [harden_command(), "apply", "--phase", str(phase), "--in-place", *options, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_SECONDS,
    )
    output = process.stdout + process.stderr
    assert process.returncode == 0, f"harden apply --phase {phase} failed:\n{output}"
    return output


def apply_phases(root: Path, *options: str) -> str:
    """Phases 1-3 on the whole tree, then 5 on the fixture servers and the compat packages:
    their combined output."""
    outputs = [harden_apply(phase, root, *options) for phase in HARDENING_PHASES]
    for phase in FIXTURE_PHASES:
        outputs.append(harden_apply(phase, root / "fixtures", *options))
        outputs += [harden_apply(phase, root / "compat" / name, *options) for name in PACKAGES]
    return "".join(outputs)


def files(root: Path) -> dict[str, bytes]:
    """Every file under `root` (bytecode caches aside) by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _reapply_phase_1(root: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files of an already hardened tree before and after this environment's harden
    applies phase 1 to it again."""
    before = files(root)
    harden_apply(1, root)
    return before, files(root)


def clean_environment() -> dict[str, str]:
    """os.environ without the runtime's switches, for the fixture servers' test runs."""
    return {k: v for k, v in os.environ.items() if k not in RUNTIME_VARIABLES}


@dataclass
class FixtureRun:
    """One fixture server's own tests, run by pytest in a subprocess."""

    process: subprocess.Popen[str]
    report: Path  # JUnit XML

    @classmethod
    def start(cls, directory: Path, report: Path) -> FixtureRun:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                str(directory),
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                # Its own temporary directories, apart from (and never pruning) this run's.
                f"--basetemp={report.with_suffix('.tmp')}",
            ],
            cwd=directory.parent,  # fixtures/, whose pytest.ini makes it the rootdir
            env=clean_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return cls(process, report)

    def wait(self) -> tuple[int, str]:
        """The exit status and output."""
        output, _ = self.process.communicate(timeout=TIMEOUT_SECONDS)
        return self.process.returncode, output


@dataclass
class Tree:
    original: Path  # compat/ (example servers) and fixtures/<dir> (project fixture servers)
    hardened: Path  # the same after harden apply
    again: Path  # the hardened tree after applying every phase once more
    harden_output: str  # what harden printed: rewrites, and the places it did not rewrite
    # (side, fixture) -> its test run, side being "original" or "hardened"
    fixture_runs: dict[tuple[str, str], FixtureRun] = field(default_factory=dict)
    # This environment's harden applying phase 1 again to a copy of the hardened tree.
    reapplied: Future[tuple[dict[str, bytes], dict[str, bytes]]] | None = None


def _digest() -> str:
    """Of everything a cache entry depends on: harden's sources and dependencies, the servers,
    and how the entry is built (this file)."""
    digest = hashlib.sha256(metadata.version("libcst").encode())
    inputs = [
        Path(__file__),
        ROOT / "pyproject.toml",
        *(ROOT / "harden").rglob("*"),
        *(COMPAT_SERVERS / FAMILY).rglob("*"),
        *(path for name in FIXTURES for path in (FIXTURE_SERVERS / name).rglob("*")),
    ]
    for path in sorted(inputs):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"\0{path.relative_to(ROOT).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _build(entry: Path) -> None:
    """Harden a copy of the servers into the cache entry `entry` (hardened/, again/ and
    harden-output.txt), unless it holds them already."""
    if (entry / "complete").exists():
        return
    # Built outside the repository: inside it, harden would honour .gitignore and skip .venv.
    with tempfile.TemporaryDirectory(prefix="harden-compat-") as scratch:
        build = Path(scratch) / entry.name
        _copy(build / "hardened")
        output = apply_phases(build / "hardened")
        shutil.copytree(build / "hardened", build / "again")
        # One worker where the first pass used the default: both paths must agree.
        apply_phases(build / "again", "-j", "1")
        (build / "harden-output.txt").write_text(output)
        (build / "complete").touch()
        CACHE.mkdir(parents=True, exist_ok=True)
        for stale in CACHE.glob(f"{FAMILY}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        staged = Path(tempfile.mkdtemp(dir=CACHE, prefix=".staging-"))
        shutil.copytree(build, staged / entry.name)
        with contextlib.suppress(OSError):  # another run published the same entry first
            (staged / entry.name).rename(entry)
        shutil.rmtree(staged, ignore_errors=True)


def _copy(destination: Path) -> None:
    # A runtime left in the sources by an earlier in-place run would stand in for the one
    # harden vendors: leave it out.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "harden_runtime.py")
    shutil.copytree(COMPAT_SERVERS / FAMILY, destination / "compat", ignore=ignore)
    for name in FIXTURES:
        shutil.copytree(FIXTURE_SERVERS / name, destination / "fixtures" / name, ignore=ignore)
    # Makes fixtures/ the rootdir of the fixture servers' own test runs, so that no
    # configuration above the temporary directory applies to them.
    (destination / "fixtures" / "pytest.ini").write_text("[pytest]\n")


def _start_fixture_runs(tree: Tree, side: str, root: Path, reports: Path) -> None:
    for name in FIXTURES:
        report = reports / f"{side}-{name}.xml"
        tree.fixture_runs[side, name] = FixtureRun.start(root / "fixtures" / name, report)


@pytest.fixture(scope="session")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tree]:
    base = tmp_path_factory.mktemp("compat")
    entry = CACHE / f"{FAMILY}-{_digest()}"
    # Tests import from these copies and write bytecode there: the cache stays as built.
    ignore = shutil.ignore_patterns("__pycache__")
    original, hardened = base / "original", base / "hardened"
    _copy(original)
    result = Tree(original, hardened, entry / "again", "")
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        _start_fixture_runs(result, "original", original, base)
        _build(entry)
        shutil.copytree(entry / "hardened", hardened, ignore=ignore)
        result.harden_output = (entry / "harden-output.txt").read_text()
        shutil.copytree(entry / "hardened", base / "reapplied", ignore=ignore)
        result.reapplied = executor.submit(_reapply_phase_1, base / "reapplied")
        _start_fixture_runs(result, "hardened", hardened, base)
        # Hardened modules import the runtime vendored beside them, as they do when deployed.
        sys.path.insert(0, str(hardened / "compat"))
        yield result
    finally:
        if str(hardened / "compat") in sys.path:
            sys.path.remove(str(hardened / "compat"))
        for run in result.fixture_runs.values():
            if run.process.poll() is None:
                run.process.kill()
            run.process.communicate()
        executor.shutdown(wait=True)


class Pair:
    """The example modules of one test, imported afresh on first use: as written, and
    hardened (each test gets its own server instances, with no state from another test)."""

    def __init__(self, tree: Tree) -> None:
        self._roots = {"original": tree.original / "compat", "hardened": tree.hardened / "compat"}
        self.modules: dict[tuple[str, str], ModuleType] = {}

    def _server(self, side: str, server: str) -> object:
        name = server.partition(":")[0]
        if (side, name) not in self.modules:
            self.modules[side, name] = load_module(self._roots[side] / f"{name}.py", side)
        return server_of(self.modules[side, name], server)

    def original(self, server: str) -> object:
        return self._server("original", server)

    def hardened(self, server: str) -> object:
        return self._server("hardened", server)


@pytest.fixture
def pair(tree: Tree) -> Iterator[Pair]:
    loaded = Pair(tree)
    yield loaded
    for module in loaded.modules.values():
        sys.modules.pop(module.__name__, None)


@pytest.fixture
def runtime(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The vendored runtime the hardened modules use, with default settings and no history."""
    for variable in RUNTIME_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    import harden_runtime

    assert Path(harden_runtime.__file__).parent == tree.hardened / "compat"
    harden_runtime.reset()
    harden_runtime.configure()
    return harden_runtime
