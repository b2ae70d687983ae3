"""The rewritten code does what the original did, and injections stop working.

Each case is a function taking the caller's value and running a command through the shell. The
codemod rewrites it (it must: a case left alone proves nothing), then both versions run for real
in a working directory, with a program on PATH that prints its argv as JSON. For benign values
the return value, the output on fd 1 and 2 and the files created must be equal. For injection
payloads the original must create PWNED (so the test can fail) and the rewrite must create
nothing. Besides every way of building the command and every API, the cases cover each shell
construct harden converts: pipelines, redirections, lists, `cd`, variables, `~`, globs and
command substitution, alone and combined.

All cases live in one module, rewritten once: libcst's import helpers cost about 0.2 s per
rewritten file, which one module per case would pay thirty times.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harden.codemods.base import FileRun
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.vendoring import RUNTIME_FILENAME, runtime_source

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

# Prints its arguments as a JSON list. A sh script, because a Python one would start 200 times
# slower; it escapes `\` and `"`, and the values here hold no control characters.
SHOWARGS = r"""#!/bin/sh
out="[" sep=""
for arg do
    escaped=""
    while [ -n "$arg" ]; do
        rest="${arg#?}"
        char="${arg%"$rest"}"
        case $char in
            '"' | \\) escaped="$escaped\\$char" ;;
            *) escaped="$escaped$char" ;;
        esac
        arg="$rest"
    done
    out="$out$sep\"$escaped\"" sep=", "
done
printf '%s]\n' "$out"
"""

BENIGN = ("hello", "notes-1.txt")
UNQUOTED = ("; touch PWNED", "$(touch PWNED)", "`touch PWNED`", "| touch PWNED", "&& touch PWNED")
IN_SINGLE_QUOTES = ("'; touch PWNED; '",)
IN_DOUBLE_QUOTES = ('"; touch PWNED; "', "$(touch PWNED)", "`touch PWNED`")


@dataclass(frozen=True)
class Source:
    """How a command string is built: statements before the call and the expression it passes."""

    setup: str
    command: str
    payloads: tuple[str, ...]  # the injections that work where this source puts the value


SOURCES = {
    "literal": Source("", '"showargs a \'b  c\' \\"d\\""', ()),
    "implicit-concat": Source("", '"showargs -a " f"{value}"', UNQUOTED),
    "f-string": Source("", "f\"showargs --name='{value}' -x\"", IN_SINGLE_QUOTES),
    "plus": Source("", '"showargs " + value + " end"', UNQUOTED),
    "percent-tuple": Source("", '"showargs -n %d %s" % (3, value)', UNQUOTED),
    "percent-mapping": Source("", '\'showargs --v="%(v)s"\' % {"v": value}', IN_DOUBLE_QUOTES),
    "format-positional": Source("", '"showargs {} {}".format(value, "x")', UNQUOTED),
    "format-named": Source("", "'showargs --v=\"{v}\" end'.format(v=value)", IN_DOUBLE_QUOTES),
    "join": Source("", '" ".join(["showargs", value, "z"])', UNQUOTED),
    "variable": Source('cmd = f"showargs {value} y"\n', "cmd", UNQUOTED),
    "augmented": Source('cmd = "showargs -q"\ncmd += " " + value\n', "cmd", UNQUOTED),
    "module-constant": Source("", 'COMMAND + " " + value', UNQUOTED),
    "module-template-format": Source("", "TEMPLATE.format(value)", UNQUOTED),
    "module-template-percent": Source("", "PERCENT_TEMPLATE % (value,)", UNQUOTED),
    "built-in-blocks": Source(
        'cmd = "showargs -q"\n'
        "if len(value) > 5:\n"
        "    cmd += \" 'long  one'\"\n"
        "else:\n"
        '    cmd += " short"\n'
        'for extra in ("x", "y"):\n'
        '    cmd += " -" + extra\n'
        "if value:\n"
        '    cmd += " " + value\n',
        "cmd",
        UNQUOTED,
    ),
    "helper": Source("", 'build_command(value, "-v  -w")', IN_SINGLE_QUOTES),
}
# Module-level constants, templates and a helper, above every case: commands from them are
# followed.
CONSTANTS = """PROGRAM = "showargs"
COMMAND = f"{PROGRAM} -c 'x  y'" + " end"
TEMPLATE = "showargs -t {} 'a  b'"
PERCENT_TEMPLATE = PROGRAM + " -p %s end"


def build_command(word, flags):
    \"\"\"A showargs command line.\"\"\"
    return f"showargs {flags} '{word}' x"


"""

# Each API's imports and function body ({cmd}: the command expression). What the caller
# observes is the value returned, the output on fd 1 and 2, and the files created.
RETURN_CODE_AND_OUTPUT = "\nreturn r.returncode, r.stdout"
APIS = {
    "run": (
        "import subprocess",
        "r = subprocess.run({cmd}, shell=True, capture_output=True, text=True)"
        + RETURN_CODE_AND_OUTPUT,
    ),
    "run-args-keyword": (
        "import subprocess",
        "r = subprocess.run(args={cmd}, shell=True, stdout=subprocess.PIPE, text=True)"
        + RETURN_CODE_AND_OUTPUT,
    ),
    "run-to-fd1": ("import subprocess", "return subprocess.run({cmd}, shell=True).returncode"),
    "call": ("import subprocess", "return subprocess.call({cmd}, shell=True)"),
    "check_call": ("import subprocess", "return subprocess.check_call({cmd}, shell=True)"),
    "check_output": (
        "import subprocess",
        "return subprocess.check_output({cmd}, shell=True, text=True)",
    ),
    "Popen": (
        "import subprocess",
        "p = subprocess.Popen({cmd}, shell=True, stdout=subprocess.PIPE, text=True)\n"
        "out, _ = p.communicate()\n"
        "return p.returncode, out",
    ),
    "os.system-used": ("import os", "return os.system({cmd})"),
    "os.system-unused": ("import os", "os.system({cmd})"),
    "os.popen-read": ("import os", "return os.popen({cmd}).read()"),
    "getoutput": ("import subprocess", "return subprocess.getoutput({cmd})"),
    "alias-sp": ("import subprocess as sp", "return sp.check_output({cmd}, shell=True, text=True)"),
    "getstatusoutput": ("import subprocess", "return subprocess.getstatusoutput({cmd})"),
    "os.popen-object": ("import os", "p = os.popen({cmd})\nreturn p.read(), p.close()"),
    "run-env": (
        "import subprocess",
        'env = {{"PATH": os.environ["PATH"], "GREETING": "from env", "HOME": "/env-home"}}\n'
        "r = subprocess.run({cmd}, shell=True, capture_output=True, text=True, env=env)"
        + RETURN_CODE_AND_OUTPUT,
    ),
    "from-os-import-system": ("from os import system", "return system({cmd})"),
}

ASYNC = """async def {name}_async(value):
{setup}    proc = await asyncio.create_subprocess_shell({cmd}, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


def {name}(value):
    return asyncio.run({name}_async(value))
"""


@dataclass(frozen=True)
class Case:
    id: str
    api: str
    source: Source
    creates_files: bool = False

    @property
    def function(self) -> str:
        return "case_" + "".join(c if c.isalnum() else "_" for c in self.id)

    @property
    def imports(self) -> str:
        return "import asyncio" if self.api == "create_subprocess_shell" else APIS[self.api][0]

    def code(self) -> str:
        setup, cmd = self.source.setup, self.source.command
        if self.api == "create_subprocess_shell":
            return ASYNC.format(name=self.function, setup=_indent(setup), cmd=cmd)
        body = setup + APIS[self.api][1].format(cmd=cmd)
        return f"def {self.function}(value):\n{_indent(body)}"


def _indent(lines: str) -> str:
    return "".join(f"    {line}\n" for line in lines.splitlines())


FSTRING = Source("", 'f"showargs -v {value}"', UNQUOTED)
CASES = [
    *(Case(f"{name}-run", "run", source) for name, source in SOURCES.items()),
    *(Case(f"api-{api}", api, FSTRING) for api in [*APIS, "create_subprocess_shell"]),
    # Real programs where files matter.
    Case("touch", "os.system-used", Source("", 'f"touch out-{value}"', UNQUOTED), True),
    Case("ls", "check_output", Source("", '"ls -a " + value', UNQUOTED)),
    # A wait status that is not 0; `&&` after the failing ls runs nothing, even before.
    Case("exit-status", "os.system-used", Source("", 'f"ls -d no-{value}"', UNQUOTED[:-1])),
    Case("cat", "os.popen-read", Source("", "f\"cat '{value}'\"", IN_SINGLE_QUOTES)),
    Case("module-constant-alone", "run", Source("", "COMMAND", ())),
]
SUBSTITUTED = ("$(touch PWNED)", "`touch PWNED`")
# Shell constructs: (id, API, command expression, payloads, creates files)
CONSTRUCTS = [
    ("pipe-2", "run", 'f"showargs {value} | tr a-z A-Z"', UNQUOTED, False),
    ("pipe-3", "run", "f\"showargs {value} x | tr a-z A-Z | tr -d '[]'\"", UNQUOTED, False),
    ("pipe-status-of-last", "run", 'f"ls no-{value} | showargs"', UNQUOTED[:-1], False),
    ("write", "run", 'f"showargs {value} > out.txt && cat out.txt"', UNQUOTED, True),
    ("append", "run", 'f"showargs {value} >> log; showargs 2 >> log; cat log"', UNQUOTED, True),
    ("read", "run", 'f"tr a-z A-Z < {value}"', SUBSTITUTED, False),
    ("stderr-to-stdout", "run", 'f"ls {value} no-such 2>&1"', UNQUOTED, False),
    ("stderr-to-null", "run", 'f"ls {value} no-such 2>/dev/null"', UNQUOTED, False),
    ("stdout-to-null", "run", 'f"showargs {value} > /dev/null; echo done"', UNQUOTED, False),
    ("both-to-null", "os.system-used", 'f"ls {value} no-such >/dev/null 2>&1"', UNQUOTED, False),
    ("and", "run", 'f"showargs {value} && showargs second"', UNQUOTED, False),
    ("and-stops", "run", 'f"ls no-{value} && showargs second"', UNQUOTED[:-1], False),
    ("or", "run", 'f"ls no-{value} || showargs fallback"', UNQUOTED[:-1], False),
    ("semicolon", "run", 'f"ls no-{value}; showargs after"', UNQUOTED[:-1], False),
    ("cd", "check_output", 'f"cd sub && showargs {value} 2>&1"', UNQUOTED, False),
    ("cd-then-list", "run", 'f"cd sub && ls ../{value}; pwd"', UNQUOTED, False),
    (
        "variables",
        "run",
        'f"showargs $GREETING \\"$GREETING\\" ${{MISSING:-dflt}} {value}"',
        UNQUOTED,
        False,
    ),
    ("variables-env", "run-env", 'f"showargs $GREETING ~/x {value}"', UNQUOTED, False),
    ("tilde", "run", 'f"showargs ~ ~/{value}"', UNQUOTED, False),
    ("glob", "run", 'f"showargs *.txt {value}"', UNQUOTED, False),
    ("glob-no-match", "run", 'f"showargs *.none {value}"', UNQUOTED, False),
    ("glob-with-value", "run", 'f"showargs {value}*"', SUBSTITUTED, False),
    (
        "substitution",
        "run",
        'f"showargs $(echo {value}) \\"$(printf %s {value})\\""',
        UNQUOTED,
        False,
    ),
    (
        "backticks",
        "run",
        'f"showargs `echo {value}` x`echo y`z"',
        tuple(p for p in UNQUOTED if "`" not in p),
        False,
    ),
    (
        "combined",
        "run",
        'f"cd sub && ls ../*.txt ../{value} 2>&1 | sort | head -n 5 > ../listing; cat ../listing"',
        UNQUOTED,
        True,
    ),
    ("system-pipe", "os.system-used", 'f"showargs {value} | tr a-z A-Z"', UNQUOTED, False),
    ("getoutput-pipe", "getoutput", 'f"ls {value} no-such | sort"', UNQUOTED, False),
    (
        "getstatusoutput-list",
        "getstatusoutput",
        'f"ls no-{value} || showargs x"',
        UNQUOTED[:-1],
        False,
    ),
    (
        "popen-object-list",
        "os.popen-object",
        'f"ls no-{value} || showargs {value} | tr a-z A-Z"',
        UNQUOTED[:-1],
        False,
    ),
    ("popen-read-pipe", "os.popen-read", 'f"showargs {value} | tr a-z A-Z"', UNQUOTED, False),
    ("call-redirection", "call", 'f"showargs {value} > out && cat out"', UNQUOTED, True),
]
CASES += [
    Case(name, api, Source("", command, payloads), files)
    for name, api, command, payloads, files in CONSTRUCTS
]
MODULE = "\n".join(sorted({case.imports for case in CASES})) + "\n\n\n" + CONSTANTS
MODULE += "\n\n".join(case.code() for case in CASES)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def imported_versions(
    original: str, rewritten: str, directory: Path, prefix: str
) -> Iterator[dict[str, ModuleType]]:
    """A module as written and as rewritten, written to `directory` beside the vendored runtime
    (as `harden apply` writes it) and imported under their own names; the runtime is forgotten
    again afterwards."""
    (directory / RUNTIME_FILENAME).write_text(runtime_source())
    sys.path.insert(0, str(directory))
    try:
        loaded = {}
        for version, code in (("original", original), ("rewritten", rewritten)):
            path = directory / f"{version}.py"
            path.write_text(code)
            loaded[version] = _load(path, f"{prefix}_{version}")
        yield loaded
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop(RUNTIME_MODULE, None)


@pytest.fixture(scope="module")
def versions(
    apply: Apply, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ModuleType]]:
    """The cases' module as written and as rewritten, imported under their own names; the
    rewritten one finds the vendored runtime beside it, as `harden apply` writes it."""
    rewritten, run = apply(MODULE)
    assert not run.unfixed, [u.reason for u in run.unfixed]
    directory = tmp_path_factory.mktemp("modules")
    with imported_versions(MODULE, rewritten, directory, "differential") as loaded:
        yield loaded


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bin")
    showargs = directory / "showargs"
    showargs.write_text(SHOWARGS)
    showargs.chmod(0o755)
    return directory


@dataclass
class Observed:
    result: Any
    stdout: str
    stderr: str
    files: set[str]


@dataclass
class Harness:
    """Runs a case's two versions in a working directory, with `showargs` on PATH."""

    versions: dict[str, ModuleType]
    work: Path
    capfd: Any

    def observe(self, version: str, function: str, value: str) -> Observed:
        """Run one version's function, then put the working directory back as it was."""
        before = self._files()
        self.capfd.readouterr()
        try:
            result: Any = getattr(self.versions[version], function)(value)
        except Exception as error:  # a rejected payload may make the rewrite raise: fine
            result = type(error).__name__
        output = self.capfd.readouterr()
        created = self._files() - before
        for name in created:
            (self.work / name).unlink()
        return Observed(result, output.out, output.err, {Path(n).name for n in created})

    def _files(self) -> set[str]:
        """The files below the working directory (a command may `cd` into sub/ first)."""
        return {str(p.relative_to(self.work)) for p in self.work.rglob("*") if p.is_file()}


@pytest.fixture
def harness(
    versions: dict[str, ModuleType],
    bin_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: Any,
) -> Iterator[Harness]:
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GREETING", "hi  there")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MISSING", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    for name in BENIGN:  # files for `cat` and `ls` to find
        (tmp_path / name).write_text(f"contents of {name}\n")
    yield Harness(versions, tmp_path, capfd)


@functools.cache
def _bodies(code: str) -> dict[str, str]:
    """Each function's body, by the function's name."""
    tree = ast.parse(code)
    return {
        node.name: "\n".join(ast.unparse(statement) for statement in node.body)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_case_is_rewritten(versions: dict[str, ModuleType], case: Case) -> None:
    original, rewritten = (_bodies(Path(m.__file__ or "").read_text()) for m in versions.values())
    names = [case.function] + ([f"{case.function}_async"] if case.api.startswith("create") else [])
    changed = "".join(rewritten[name] for name in names)
    assert changed != "".join(original[name] for name in names)
    shell_api = r"shell=True|(?<!harden_runtime\.)\b(system|popen|getoutput)\(|_shell\("
    assert not re.search(shell_api, changed)


@pytest.mark.parametrize("value", BENIGN)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_benign_value_behaves_the_same(harness: Harness, case: Case, value: str) -> None:
    original = harness.observe("original", case.function, value)
    rewritten = harness.observe("rewritten", case.function, value)
    assert rewritten == original
    assert original.stdout or original.result or original.files, "nothing to compare"
    assert bool(original.files) == case.creates_files


PAYLOAD_CASES = [
    pytest.param(case, payload, id=f"{case.id}-{payload}")
    for case in CASES
    for payload in case.source.payloads
]


@pytest.mark.parametrize(("case", "payload"), PAYLOAD_CASES)
def test_injection_works_before_and_not_after(harness: Harness, case: Case, payload: str) -> None:
    assert "PWNED" in harness.observe("original", case.function, payload).files
    files = harness.observe("rewritten", case.function, payload).files
    assert "PWNED" not in files
    if not case.creates_files:
        assert not files


# A private runner whose every caller passes a literal: its parameter is split with shlex.split
# at run time, so each caller must see what sh gave it.
LITERAL_CALLERS = r"""import os
import subprocess


def _output(cmd, timeout=5):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)


def _status(command):
    return os.system(command)


def quoted():
    r = _output("showargs a 'b  c' \"d \\\"e\\\"\" f\\ g ''")
    return r.returncode, r.stdout


def keyword():
    r = _output(timeout=3, cmd="ls -a")
    return r.returncode, r.stdout


def failing():
    return _status("ls -d no-such-file")


def plain():
    return _status("showargs x   y")
"""


def test_parameter_from_literal_callers_behaves_the_same(
    apply: Apply, bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    rewritten, run = apply(LITERAL_CALLERS)
    assert not run.unfixed, [u.reason for u in run.unfixed]
    assert "shell=True" not in rewritten and "os.system(" not in rewritten
    for version, code in (("original", LITERAL_CALLERS), ("rewritten", rewritten)):
        (tmp_path / f"{version}.py").write_text(code)
    modules = [_load(tmp_path / f"{v}.py", f"callers_{v}") for v in ("original", "rewritten")]
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    for caller in ("quoted", "keyword", "failing", "plain"):
        observed = []
        for module in modules:
            capfd.readouterr()
            result = getattr(module, caller)()
            output = capfd.readouterr()
            observed.append((result, output.out, output.err))
        assert observed[0] == observed[1], caller
        assert observed[0][0] or observed[0][1], "nothing to compare"


# A private runner whose callers pass command text built from values: it now takes an argument
# list, and each caller passes its own.
VALUE_CALLERS = r"""import os
import subprocess


def _output(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True)


def _status(command: str):
    return os.system(command)


def fstring(value):
    r = _output(f"showargs -f '{value}' x")
    return r.returncode, r.stdout


def concatenated(value):
    r = _output("showargs " + value + " end")
    return r.returncode, r.stdout


def template(value):
    return _status("showargs -t {} 'a  b'".format(value))


def literal(value):
    return _status("showargs plain")
"""
VALUE_CALLER_PAYLOADS = {
    "fstring": IN_SINGLE_QUOTES,
    "concatenated": UNQUOTED,
    "template": UNQUOTED,
    "literal": (),
}


@pytest.fixture(scope="module")
def value_callers(
    apply: Apply, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ModuleType]]:
    rewritten, run = apply(VALUE_CALLERS)
    assert not run.unfixed, [u.reason for u in run.unfixed]
    assert "shell=True" not in rewritten and "os.system(" not in rewritten
    assert "_output(cmd)" not in rewritten.replace("def _output(cmd)", "")
    directory = tmp_path_factory.mktemp("value_callers")
    with imported_versions(VALUE_CALLERS, rewritten, directory, "value_callers") as loaded:
        yield loaded


@pytest.mark.parametrize(
    ("caller", "value"),
    [
        *((caller, value) for caller in VALUE_CALLER_PAYLOADS for value in BENIGN),
        *(
            pytest.param(caller, payload, id=f"{caller}-payload-{payload}")
            for caller, payloads in VALUE_CALLER_PAYLOADS.items()
            for payload in payloads
        ),
    ],
)
def test_runner_called_with_values_behaves_the_same_and_stops_injections(
    value_callers: dict[str, ModuleType], harness: Harness, caller: str, value: str
) -> None:
    harness.versions = value_callers
    original = harness.observe("original", caller, value)
    rewritten = harness.observe("rewritten", caller, value)
    if value in BENIGN:
        assert rewritten == original
        assert original.stdout or original.result
    else:
        assert "PWNED" in original.files
        assert not rewritten.files


def test_every_source_and_api_is_covered() -> None:
    ids = {case.id for case in CASES}
    assert {f"{name}-run" for name in SOURCES} <= ids
    assert {f"api-{api}" for api in APIS} | {"api-create_subprocess_shell"} <= ids
    assert len(ids) == len(CASES)
    assert all(source.payloads for name, source in SOURCES.items() if name != "literal")
