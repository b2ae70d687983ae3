"""`make stress`: the long reliability runs, before a release. Prints counts, fails on a problem.

- Kill loop: `harden apply --phase 5 --in-place` on a package of many server modules, killed
  (SIGKILL, or SIGINT) at a random moment, again and again. After each kill every module must
  parse and every module importing the vendored runtime must find it beside it; a complete
  run after it must give what a run never interrupted gives, temporary files removed.
- Generated programs: tests/test_generated_programs.py with thousands of programs, in
  batches of other seeds, each batch its own process; every program's problems counted.
- The bad inputs and the validators' payloads, counted (they run in `make test` too).

`make test` runs a short kill loop (tests/test_kill_loop.py) and a few hundred programs.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "fixtures" / "servers" / "mcp1_fastmcp" / "devops_tools.py"
HARDEN = [sys.executable, "-m", "harden", "-q", "apply", "--phase", "5", "--in-place", "."]


def make_tree(where: Path, modules: int) -> Path:
    """A package of `modules` copies of a real server module."""
    package = where / "servers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    text = SERVER.read_text()
    for number in range(modules):
        (package / f"tools_{number:03}.py").write_text(text)
    return where


def problems_in(tree: Path) -> list[str]:
    """What a kill must never leave: a module that does not parse, or one importing the
    runtime with no copy beside it."""
    found = []
    for path in sorted(tree.rglob("*.py")):
        text = path.read_text()
        try:
            ast.parse(text)
        except SyntaxError as error:
            found.append(f"{path.name}: does not parse ({error.msg})")
            continue
        if "harden_runtime" in text and not (path.parent / "harden_runtime.py").is_file():
            found.append(f"{path.name}: imports harden_runtime, which is not beside it")
    return found


def snapshot(tree: Path) -> dict[str, str]:
    return {p.relative_to(tree).as_posix(): p.read_text() for p in tree.rglob("*") if p.is_file()}


def kill_loop(kills: int, modules: int, seed: int = 0) -> tuple[int, list[str]]:
    """(kills made, problems found). Each kill hits a fresh tree; after it, a complete run
    must give what a run never interrupted gives."""
    rng = random.Random(seed)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        clean = make_tree(Path(scratch) / "clean", modules)
        subprocess.run(HARDEN, cwd=clean, check=True, capture_output=True)
        expected = snapshot(clean)
        for attempt in range(kills):
            tree = make_tree(Path(scratch) / f"killed-{attempt}", modules)
            process = subprocess.Popen(
                HARDEN, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(rng.uniform(0.5, 3.0))
            how = signal.SIGINT if attempt % 3 == 1 else signal.SIGKILL
            process.send_signal(how)
            _, err = process.communicate()
            said = err.decode(errors="replace").strip().splitlines()
            if how == signal.SIGINT and process.returncode == 130 and len(said) != 1:
                problems.append(f"kill {attempt}: SIGINT said {len(said)} lines, not one")
            problems += [f"kill {attempt}: {p}" for p in problems_in(tree)]
            # What SIGKILL left is old by the next run (the next run removes it then).
            for path in tree.rglob("*.harden"):
                os.utime(path, (time.time() - 3600,) * 2)
            subprocess.run(HARDEN, cwd=tree, check=True, capture_output=True)
            if snapshot(tree) != expected:
                problems.append(f"kill {attempt}: a complete run after it differs")
            shutil.rmtree(tree)
    return kills, problems


BATCH = 250


def generated_programs(count: int) -> dict[str, int]:
    """Counts over `count` programs (tests/test_generated_programs.py), run in batches of
    other seeds, each in its own process, so that no run's memory grows with the count.
    Each problem found is printed with its program."""
    test = ROOT / "tests" / "test_generated_programs.py"
    counts = dict.fromkeys(
        ("programs", "non-compiling", "non-idempotent", "skipped", "batches failed"), 0
    )
    with tempfile.TemporaryDirectory() as scratch:
        record = Path(scratch) / "programs.jsonl"
        for batch, start in enumerate(range(0, count, BATCH), start=1):
            env = {
                **os.environ,
                "HARDEN_GENERATED_PROGRAMS": str(min(BATCH, count - start)),
                "HARDEN_GENERATED_SEED": str(batch),
                "HARDEN_GENERATED_RECORD": str(record),
            }
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                env=env,
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                counts["batches failed"] += 1
                print(f"  batch {batch} (seed {batch}): pytest exit {run.returncode}")
                print("\n".join(run.stdout.splitlines()[-15:]))
        for line in (record.read_text() if record.exists() else "").splitlines():
            problems = json.loads(line)
            counts["programs"] += 1
            said = problems["plain"] + problems["mcp"]
            counts["non-compiling"] += any("does not compile" in p for p in said)
            counts["non-idempotent"] += any("again changes" in p for p in said)
            counts["skipped"] += any("failed here" in p for p in said)
            for problem in said:
                print(f"  {problem}\n    program: {problems['program'][0]!r}")
    return counts


# The fast campaigns `make test` runs too, counted here: bad inputs (one line, exit 2, nothing of
# the user's lost) and the validators' payloads (each caught, none let through).
CAMPAIGNS = {
    "bad inputs": [
        "tests/test_cli.py::test_bad_input_is_one_line_and_exit_2",
        "tests/test_cli_inputs.py",
        "tests/test_in_place.py",
    ],
    "validator payloads": ["tests/test_runtime_handlers.py"],
}


def campaign(tests: list[str]) -> tuple[int, int]:
    """(cases run, cases that failed) of the tests named."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", f"--junitxml={report}", *tests],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return int(suite.get("tests", 0)) - int(suite.get("skipped", 0)), failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--modules", type=int, default=80)
    parser.add_argument("--programs", type=int, default=5000)
    args = parser.parse_args()
    if shutil.which("git") is None:
        print("stress: git is needed", file=sys.stderr)
        return 2
    made, problems = kill_loop(args.kills, args.modules)
    print(
        f"kill loop: {made} kills (SIGKILL and SIGINT) of apply --in-place on "
        f"{args.modules} modules, {len(problems)} problems"
    )
    for problem in problems:
        print(f"  {problem}")
    failed = 0
    for name, tests in CAMPAIGNS.items():
        tried, broken = campaign(tests)
        failed += broken
        print(f"{name}: {tried} cases tried, {broken} problems")
    counts = generated_programs(args.programs)
    print(
        f"generated programs: {counts['programs']} through phases 5, 1, 2, 3, 4: "
        f"{counts['non-compiling']} non-compiling, {counts['non-idempotent']} non-idempotent, "
        f"{counts['skipped']} skipped by a failing codemod, "
        f"{counts['batches failed']} batches failed"
    )
    bad = sum(counts.values()) - counts["programs"]
    return 1 if problems or failed or bad else 0


if __name__ == "__main__":
    sys.exit(main())
