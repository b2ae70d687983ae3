"""The shell-commands codemod: what it refuses and why, what it leaves alone, how it edits.

Refusals are checked with their exact reason, since the reason is what every report shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst
import pytest

from harden.codemods.base import FileRun
from harden.codemods.shell_commands import ShellCommands
from harden.findings.model import Finding, Severity

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

HEADER = "import os\nimport subprocess\n\n\n"


def refused(apply: Apply, body: str) -> list[str]:
    """The reasons given for `body` (after HEADER), which must be left exactly as it was."""
    source = HEADER + body
    new, run = apply(source)
    assert new == source
    assert not run.accepted
    return [unfixed.reason for unfixed in run.unfixed]


# -- reported, not rewritten ---------------------------------------------------------------------

NEEDS_SHELL = {
    "heredoc": ('f"cat <<EOF {name}"', "needs a shell: heredoc (`<<`)"),
    "both-streams": (
        'f"ls {name} &> out.txt"',
        "needs a shell: `&>` (/bin/sh (dash) runs the command in the background, bash "
        "redirects both)",
    ),
    "background": ('f"sleep {name} &"', "needs a shell: background job (`&`)"),
    "subshell": ('f"(cd {name}; make)"', "needs a shell: subshell (`(`)"),
    "loop": ('f"for f in {name}; do rm $f; done"', "needs a shell: shell keyword (`for`)"),
    "eval": ('f"eval {name}"', "needs a shell: shell builtin (`eval` exists only inside a shell)"),
    "source": (
        'f". {name}"',
        "needs a shell: shell builtin (`.` exists only inside a shell)",
    ),
    "sh-c-variable": (
        'f"sh -c \\"$SCRIPT\\" {name}"',
        "needs a shell: a shell's script from a value (`sh -c` with a variable)",
    ),
    "special-parameter": ('f"ls {name}; echo $?"', "needs a shell: special parameter (`$?`)"),
    "shell-variable": (
        'f"ls $PWD/{name}"',
        "needs a shell: shell variable (`$PWD` is set by sh itself)",
    ),
    "arithmetic": ('f"seq $((1 + {name}))"', "needs a shell: arithmetic expansion (`$((`)"),
    "cd-alone": ('f"cd {name}"', "needs a shell: shell builtin (`cd` exists only inside a shell)"),
    "cd-in-pipeline": (
        'f"cd {name} | ls"',
        "needs a shell: cd (only `cd DIR` on its own, outside a pipeline, is converted)",
    ),
    "builtin": (
        'f"export X={name}"',
        "needs a shell: shell builtin (`export` exists only inside a shell)",
    ),
    "echo-options": (
        'f"echo -n -e {name}"',
        "needs a shell: echo with options (`echo -e` differs from /bin/echo)",
    ),
    "command-value": (
        'f"sudo {cmd}"',
        "needs a shell: command from a value (`cmd` may hold shell syntax of its own)",
    ),
    "program-from-variable": (
        'f"$EDITOR {name}"',
        "needs a shell: program from an expansion (sh splits it into words first)",
    ),
    "glob-class": (
        'f"ls [[:digit:]]*{name}"',
        "needs a shell: glob with a character class (`[:...:]`)",
    ),
}


@pytest.mark.parametrize(("command", "reason"), NEEDS_SHELL.values(), ids=NEEDS_SHELL.keys())
@pytest.mark.parametrize(
    "call", ["subprocess.run({}, shell=True)", "os.system({})", "subprocess.getoutput({})"]
)
def test_command_needing_a_shell_is_reported(
    apply: Apply, call: str, command: str, reason: str
) -> None:
    body = f"def f(name, cmd):\n    {call.format(command)}\n"
    assert refused(apply, body) == [reason]


UNTRACEABLE = {
    "shell-not-literal": (
        "def f(flag):\n    subprocess.run('ls', shell=flag)\n",
        "`shell=` is not a literal True or False",
    ),
    "parameter": (
        "def f(command):\n    subprocess.run(command, shell=True)\n",
        "the command comes from parameter `command`",
    ),
    "parameter-os-system": (
        "def f(c):\n    os.system(c)\n",
        "the command comes from parameter `c`",
    ),
    "attribute": (
        "def f(self):\n    os.system(self.command)\n",
        "the command comes from `self.command`, whose text harden cannot see",
    ),
    "constant-assigned-twice": (
        'CMD = "ls"\nCMD = "pwd"\n\n\ndef f():\n    os.system(CMD)\n',
        "module-level `CMD` is assigned more than once",
    ),
    "constant-declared-global": (
        'CMD = "ls"\n\n\ndef f():\n    os.system(CMD)\n\n\n'
        'def g():\n    global CMD\n    CMD = "rm -rf ~"\n',
        "`CMD` is declared `global` in a function, which may rebind it",
    ),
    "constant-deleted": (
        'CMD = "ls"\n\n\ndef f():\n    os.system(CMD)\n\n\ndel CMD\n',
        "`CMD` is deleted somewhere in the module",
    ),
    "constant-star-import": (
        'CMD = "ls"\nfrom shlex import *\n\n\ndef f():\n    os.system(CMD)\n',
        "a `from ... import *` in the module may rebind `CMD`",
    ),
    "constant-below-its-reader": (
        'def f():\n    os.system(CMD)\n\n\nCMD = "ls"\n',
        "module-level `CMD` is defined below the code that reads it",
    ),
    "constant-assigned-in-a-block": (
        'if os.name == "nt":\n    CMD = "dir"\n\n\ndef f():\n    os.system(CMD)\n',
        "module-level `CMD` is defined conditionally (in a block)",
    ),
    "constant-from-a-call": (
        'CMD = "ls " + os.getcwd()\n\n\ndef f():\n    os.system(CMD)\n',
        "module-level `CMD` is built from `os.getcwd()`, which is no string constant",
    ),
    "constant-never-assigned": (
        "def f():\n    os.system(CMD)\n",
        "`CMD` is never assigned in this module",
    ),
    "helper-argument-with-side-effects": (
        'def build(n):\n    return f"ls -n {n}"\n\n\ndef f(xs):\n    os.system(build(xs.pop()))\n',
        "`xs.pop()` is passed to `build`, and harden would have to evaluate it where the "
        "command uses it",
    ),
    "helper-does-more-than-return": (
        'def build(n):\n    print(n)\n    return f"ls -n {n}"\n\n\n'
        "def f(x):\n    os.system(build(x))\n",
        "`build` does more than return the command",
    ),
    "helper-reads-a-global": (
        'def build(n):\n    return f"ls {FLAGS} {n}"\n\n\ndef f(x):\n    os.system(build(x))\n',
        "`build` builds the command from `FLAGS`, not only from its parameters",
    ),
    "helper-default-used": (
        'def build(n, flag="-l"):\n    return f"ls {flag} {n}"\n\n\n'
        "def f(x):\n    os.system(build(x))\n",
        "the call of `build` leaves a parameter to its default",
    ),
    "helper-decorated": (
        '@staticmethod\ndef build(n):\n    return f"ls {n}"\n\n\n'
        "def f(x):\n    os.system(build(x))\n",
        "`build` is decorated, so calling it may run other code",
    ),
    "helper-defined-twice": (
        'def build(n):\n    return f"ls {n}"\n\n\ndef build(n):\n    return f"rm {n}"\n\n\n'
        "def f(x):\n    os.system(build(x))\n",
        "module-level `build` is assigned more than once",
    ),
    "imported-function": (
        "from shlex import join\n\n\ndef f(x):\n    os.system(join(x))\n",
        "the command comes from `join(x)`, whose text harden cannot see",
    ),
    # A private function's parameter is followed to its callers only if all pass literals
    # sh splits as shlex.split does, and nothing else can reach the function.
    "parameter-given-a-variable": (
        'def _run(cmd):\n    os.system(cmd)\n\n\ndef f(x):\n    _run("ls")\n    _run(x)\n',
        "the command comes from parameter `cmd`, and `_run` is called with `x`",
    ),
    "parameter-given-a-pipe": (
        'def _run(cmd):\n    os.system(cmd)\n\n\ndef f():\n    _run("ls")\n    _run("ls | wc")\n',
        "the command comes from parameter `cmd`, and a call passes 'ls | wc', which is more "
        "than one program with plain words",
    ),
    "parameter-given-a-variable-reference": (
        "def _run(cmd):\n    os.system(cmd)\n\n\ndef f():\n    _run('ls $HOME')\n",
        "the command comes from parameter `cmd`, and a call passes 'ls $HOME', which is more "
        "than one program with plain words",
    ),
    "parameter-split-unlike-shlex": (
        "def _run(cmd):\n    os.system(cmd)\n\n\ndef f():\n    _run('ls \"a\\\\$\"')\n",
        "the command comes from parameter `cmd`, and a call passes 'ls \"a\\\\$\"', which sh "
        "splits into other words than shlex.split",
    ),
    "parameter-function-passed": (
        'def _run(cmd):\n    os.system(cmd)\n\n\ndef f(pool):\n    _run("ls")\n'
        "    pool.submit(_run, 'ls')\n",
        "the command comes from parameter `cmd`, and `_run` is used other than by calling it",
    ),
    "parameter-default-used": (
        'def _run(cmd="ls"):\n    os.system(cmd)\n\n\ndef f():\n    _run()\n',
        "the command comes from parameter `cmd`, and a call of `_run` leaves it to its default",
    ),
    "parameter-exported": (
        '__all__ = ["_run"]\n\n\ndef _run(cmd):\n    os.system(cmd)\n\n\n'
        'def f():\n    _run("ls")\n',
        "the command comes from parameter `cmd`, and harden cannot see every use of `_run`: it "
        "is not one undecorated `def` at the top level, or its name is also bound or written "
        "as text",
    ),
    "parameter-never-called": (
        "def _run(cmd):\n    os.system(cmd)\n",
        "the command comes from parameter `cmd`, and `_run` is never called in this module",
    ),
    "parameter-of-a-method": (
        "class C:\n    def _run(self, cmd):\n        os.system(cmd)\n\n"
        '    def f(self):\n        self._run("ls")\n',
        "the command comes from parameter `cmd`, and harden cannot see every use of `_run`: it "
        "is not one undecorated `def` at the top level, or its name is also bound or written "
        "as text",
    ),
    "closure-variable": (
        'def f():\n    cmd = "ls"\n\n    def g():\n        os.system(cmd)\n',
        "`cmd` is not assigned in this function",
    ),
    "format-mixed-fields": (
        "def f(a, b):\n    os.system('echo {} {0}'.format(a, b))\n",
        "the `.format` template mixes `{}` and numbered fields",
    ),
    "bytes": ("def f():\n    os.system(b'ls')\n", "the command is a bytes literal"),
    "executable": (
        "def f(x):\n    subprocess.run(f'ls {x}', shell=True, executable='/bin/bash')\n",
        "`executable=` names the shell itself when `shell=True`",
    ),
    "list-with-shell": (
        "def f(x):\n    subprocess.run(['ls', x], shell=True)\n",
        "a list with `shell=True` hands its items to sh as $0, $1, ...",
    ),
}


# A variable built by several statements (in blocks, in loops, assigned again): each statement
# gives its own words, evaluated where they were, and the call passes the list.
BUILT = {
    "if-else": (
        "def f(verbose, x):\n"
        "    if verbose:\n"
        '        cmd = f"ls -l {x}"\n'
        "    else:\n"
        '        cmd = f"ls {x}"\n'
        "    subprocess.run(cmd, shell=True)\n",
        "def f(verbose, x):\n"
        "    if verbose:\n"
        '        cmd = ["ls", "-l", *harden_runtime.words(x)]\n'
        "    else:\n"
        '        cmd = ["ls", *harden_runtime.words(x)]\n'
        "    subprocess.run(cmd)\n",
    ),
    "extended-in-if": (
        'def f(verbose, x):\n    cmd = f"ls {x}"\n    if verbose:\n        cmd += " -l"\n'
        "    subprocess.run(cmd, shell=True)\n",
        'def f(verbose, x):\n    cmd = ["ls", *harden_runtime.words(x)]\n    if verbose:\n'
        '        cmd += ["-l"]\n    subprocess.run(cmd)\n',
    ),
    "one-line-if-and-flags": (
        'def f(pattern, flags="", i=False):\n    cmd = "grep -n"\n    if i: cmd += " -i"\n'
        '    if flags:\n        cmd += " " + flags\n    cmd += " " + pattern + " notes.txt"\n'
        "    os.system(cmd)\n",
        'def f(pattern, flags="", i=False):\n    cmd = ["grep", "-n"]\n    if i: cmd += ["-i"]\n'
        "    if flags:\n        cmd += shlex.split(str(flags))\n"
        '    cmd += [*harden_runtime.words(pattern), "notes.txt"]\n'
        "    subprocess.run(cmd)\n",
    ),
    "annotated": (
        'def f(x):\n    cmd: str = "ls"\n    for y in x:\n        cmd += f" {y}"\n'
        "    os.system(cmd)\n",
        'def f(x):\n    cmd: list[str] = ["ls"]\n    for y in x:\n'
        "        cmd += harden_runtime.words(y)\n    subprocess.run(cmd)\n",
    ),
    "reassigned-after": (
        'def f(x):\n    cmd = f"ls {x}"\n    subprocess.run(cmd, shell=True)\n    cmd = "pwd"\n',
        'def f(x):\n    cmd = ["ls", *harden_runtime.words(x)]\n    subprocess.run(cmd)\n'
        '    cmd = ["pwd"]\n',
    ),
    "assigned-twice": (
        'def f(x):\n    cmd = "ls"\n    cmd = f"ls {x}"\n    subprocess.run(cmd, shell=True)\n',
        'def f(x):\n    cmd = ["ls"]\n    cmd = ["ls", *harden_runtime.words(x)]\n'
        "    subprocess.run(cmd)\n",
    ),
    # The value is read where the command is built, as before, not where it runs.
    "value-rebound": (
        'def f(x):\n    cmd = f"ls {x}"\n    x = "other"\n    subprocess.run(cmd, shell=True)\n',
        'def f(x):\n    cmd = ["ls", *harden_runtime.words(x)]\n    x = "other"\n'
        "    subprocess.run(cmd)\n",
    ),
    "value-changed-by-method": (
        'def f(items):\n    cmd = f"ls {items}"\n    items.append(1)\n    os.system(cmd)\n',
        'def f(items):\n    cmd = ["ls", *harden_runtime.words(items)]\n    items.append(1)\n'
        "    subprocess.run(cmd)\n",
    ),
    "value-changed-in-place": (
        'def f(opts):\n    cmd = f"ls {opts[\'dir\']}"\n    opts["dir"] = "/"\n'
        "    subprocess.run(cmd, shell=True)\n",
        "def f(opts):\n    cmd = [\"ls\", *harden_runtime.words(opts['dir'])]\n"
        '    opts["dir"] = "/"\n    subprocess.run(cmd)\n',
    ),
    "value-changed-later-in-loop": (
        'def f(x):\n    cmd = f"ls {x}"\n    for _ in range(2):\n        os.system(cmd)\n'
        '        x = "other"\n',
        'def f(x):\n    cmd = ["ls", *harden_runtime.words(x)]\n    for _ in range(2):\n'
        '        subprocess.run(cmd)\n        x = "other"\n',
    ),
    "extended-in-loop": (
        'def f(paths):\n    cmd = "ls"\n    for path in paths:\n        cmd += " -l"\n'
        "        os.system(cmd)\n",
        'def f(paths):\n    cmd = ["ls"]\n    for path in paths:\n        cmd += ["-l"]\n'
        "        subprocess.run(cmd)\n",
    ),
}


@pytest.mark.parametrize(("body", "rewritten"), BUILT.values(), ids=BUILT.keys())
def test_command_built_by_several_statements_becomes_a_list_built_alike(
    apply: Apply, body: str, rewritten: str
) -> None:
    new, run = apply(HEADER + body)
    assert not run.unfixed
    (rewrite,) = run.accepted
    assert new.endswith("\n\n\n" + rewritten)
    assert "each now adding its own arguments to a list" in rewrite.note
    assert "now holds the argument list" in rewrite.note


BUILT_BUT_SHIMMED = {
    "glued-to-the-word-before": 'cmd = "ls -"\n    if flag:\n        cmd += flag\n',
    "appends-a-pipe": 'cmd = "ls"\n    if flag:\n        cmd += " | sort"\n',
    "appends-a-variable": 'cmd = "ls"\n    if flag:\n        cmd += " $HOME"\n',
    "appends-a-glob": 'cmd = "ls"\n    if flag:\n        cmd += " *.txt"\n',
    "appends-a-newline": 'cmd = "ls"\n    if flag:\n        cmd += "\\nrm x"\n',
    "read-elsewhere": 'cmd = "ls"\n    if flag:\n        cmd += " -l"\n    print(cmd)\n',
    "read-by-a-closure": (
        'cmd = "ls"\n    if flag:\n        cmd += " -l"\n    show = lambda: cmd\n'
    ),
    "echo-takes-the-words": 'cmd = "echo"\n    if flag:\n        cmd += " " + flag\n',
    "shell-takes-the-words": 'cmd = "sh -c"\n    if flag:\n        cmd += " " + flag\n',
    "program-from-a-value": 'cmd = flag\n    if flag:\n        cmd += " -l"\n',
    "extended-by-another-operator": 'cmd = "ls"\n    if flag:\n        cmd *= 2\n',
}


@pytest.mark.parametrize("build", BUILT_BUT_SHIMMED.values(), ids=BUILT_BUT_SHIMMED.keys())
def test_command_built_in_ways_a_list_cannot_follow_goes_to_the_shim(
    apply: Apply, build: str
) -> None:
    new, run = apply(f"{HEADER}def f(flag):\n    {build}    subprocess.run(cmd, shell=True)\n")
    (rewrite,) = run.accepted
    assert "harden_runtime.run(cmd, shell=True)" in new
    assert "ENFORCE_SHELL_FREE=true" in rewrite.note


# Refused still: what a caller passes is traced and needs a shell, or the call's own
# arguments hand the command to a shell the runtime cannot stand in for.
STILL_REFUSED = (
    "parameter-given-a-pipe",
    "parameter-given-a-variable-reference",
    "parameter-split-unlike-shlex",
    "executable",
    "list-with-shell",
)
SHIMMED = {k: v for k, v in UNTRACEABLE.items() if k not in STILL_REFUSED}


@pytest.mark.parametrize(
    ("body", "reason"), [UNTRACEABLE[k] for k in STILL_REFUSED], ids=STILL_REFUSED
)
def test_command_harden_cannot_follow_is_reported(apply: Apply, body: str, reason: str) -> None:
    assert refused(apply, body) == [reason]


@pytest.mark.parametrize(("body", "reason"), SHIMMED.values(), ids=SHIMMED.keys())
def test_command_harden_cannot_read_goes_through_the_runtime_shim(
    apply: Apply, body: str, reason: str
) -> None:
    """The runtime reads the command when the call runs; the note says why, and what the
    switch will forbid."""
    new, run = apply(HEADER + body)
    (rewrite,) = run.accepted
    assert f"({reason})" in rewrite.note and "ENFORCE_SHELL_FREE=true" in rewrite.note
    assert re.search(r"harden_runtime\.(run|system)\(", new), new
    assert run.uses_runtime and not run.unfixed


@pytest.mark.parametrize(
    ("call", "rewritten"),
    [
        (
            "subprocess.getstatusoutput(f'ls {x}')",
            'harden_runtime.getstatusoutput(["ls", *harden_runtime.words(x)])',
        ),
        (
            "subprocess.getstatusoutput(f'ls {x}', encoding='utf-8')",
            "harden_runtime.getstatusoutput([\"ls\", *harden_runtime.words(x)], encoding='utf-8')",
        ),
        ("os.popen(f'ls {x}')", 'harden_runtime.popen(["ls", *harden_runtime.words(x)])'),
        (
            "os.popen(f'sort -o {x}', 'w')",
            'harden_runtime.popen(["sort", "-o", *harden_runtime.words(x)], \'w\')',
        ),
        (
            "os.popen(f'sort {x}', 'r', 1)",
            "harden_runtime.popen([\"sort\", *harden_runtime.words(x)], 'r', 1)",
        ),
        # `cmd=` after another keyword: the runtime takes it first and positional.
        (
            "subprocess.getstatusoutput(encoding='utf-8', cmd=f'ls {x}')",
            "harden_runtime.getstatusoutput([\"ls\", *harden_runtime.words(x)], encoding='utf-8')",
        ),
    ],
)
def test_results_stdlib_cannot_give_without_a_shell_use_the_runtime(
    apply: Apply, call: str, rewritten: str
) -> None:
    new, run = apply(HEADER + f"def f(x):\n    return {call}\n")
    assert f"return {rewritten}\n" in new
    assert "import harden_runtime\n" in new and run.uses_runtime


def test_the_runtime_import_inside_a_package_falls_back_for_scripts() -> None:
    source = '"""Doc."""\nfrom __future__ import annotations\nimport os\n\n\ndef f(x):\n'
    source += "    return os.popen(f'ls {x}')\n"
    run = FileRun(path="pkg/module.py", decide=lambda rewrite: True, below_root=True)
    new = ShellCommands(run).transform_module(cst.parse_module(source)).code
    assert new.startswith(
        '"""Doc."""\nfrom __future__ import annotations\n\n'
        "try:\n    from . import harden_runtime\n"
        "except ImportError:  # pragma: no cover - run as a script: no parent package\n"
        "    import harden_runtime  # type: ignore[no-redef, import-not-found, unused-ignore]\n"
    )
    again = ShellCommands(run).transform_module(cst.parse_module(new)).code
    assert again == new


def test_refusal_severity_depends_on_values(apply: Apply) -> None:
    _, run = apply(HEADER + "def f(x):\n    os.system('ls &')\n    os.system(f'ls {x} &')\n")
    assert [u.finding.severity for u in run.unfixed] == [Severity.LOW, Severity.HIGH]
    assert {u.finding.rule_id for u in run.unfixed} == {"shell-command"}


# -- not reported at all -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        "subprocess.run(['ls', x])",
        "subprocess.run(['ls', x], shell=False)",
        "subprocess.run('ls', shell=False)",
        "subprocess.check_output(['ls', x], shell=None)",
        "subprocess.run(x)",
        "subprocess.Popen(['ls', x], stdout=subprocess.PIPE)",
        "os.path.join('a', x)",
        "platform.system()",
    ],
)
def test_calls_without_a_shell_are_not_reported(apply: Apply, call: str) -> None:
    source = f"import os\nimport platform\nimport subprocess\n\n\ndef f(x):\n    {call}\n"
    new, run = apply(source)
    assert new == source
    assert not run.proposed
    assert not run.unfixed


# -- how the rewrite edits ------------------------------------------------------------------------


def test_other_keywords_are_kept_in_order(apply: Apply) -> None:
    new, _ = apply(
        "import subprocess\n\n\ndef build(repo, env):\n"
        '    return subprocess.run(f"make -C {repo} all", shell=True, cwd=repo, env=env, '
        "timeout=60, check=True)\n"
    )
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef build(repo, env):\n"
        '    return subprocess.run(["make", "-C", *harden_runtime.words(repo), "all"], cwd=repo, '
        "env=env, timeout=60, check=True)\n"
    )


def test_args_keyword_is_rewritten_in_place(apply: Apply) -> None:
    new, _ = apply(
        "import subprocess\n\n\ndef f(x):\n"
        "    subprocess.Popen(stdout=None, args=f'ls {x}', shell=True, text=True)\n"
    )
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef f(x):\n"
        '    subprocess.Popen(stdout=None, args=["ls", *harden_runtime.words(x)], text=True)\n'
    )


def test_unused_import_os_is_dropped(apply: Apply) -> None:
    new, _ = apply("import os\n\n\ndef clean(path):\n    os.system(f'rm -rf {path}')\n")
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef clean(path):\n"
        '    subprocess.run(["rm", "-rf", *harden_runtime.words(path)])\n'
    )


def test_a_dropped_first_import_leaves_no_blank_line_on_top(apply: Apply) -> None:
    source = (
        "import subprocess\n\nfrom mcp.server.fastmcp import FastMCP\n\n\n"
        "def run(command):\n    subprocess.run(command, shell=True)\n"
    )
    new, _ = apply(source)
    assert new.startswith("from mcp.server.fastmcp import FastMCP\n")


def test_an_aliased_subprocess_gives_the_keywords_their_module(apply: Apply) -> None:
    new, _ = apply(
        "import subprocess as sp\n\n\ndef f(x):\n"
        '    return sp.check_output(f"ls {x} 2>&1", shell=True, text=True)\n'
    )
    assert "stderr=sp.STDOUT" in new
    assert "import subprocess\n" not in new


def test_import_os_still_used_is_kept(apply: Apply) -> None:
    new, _ = apply(
        "import os\n\n\ndef clean(path):\n"
        "    os.system(f'rm -rf {path}')\n"
        "    return os.path.exists(path)\n"
    )
    assert new == (
        "import os\nimport subprocess\nimport harden_runtime\n\n\ndef clean(path):\n"
        '    subprocess.run(["rm", "-rf", *harden_runtime.words(path)])\n'
        "    return os.path.exists(path)\n"
    )


def test_import_alias_is_dropped_when_unused(apply: Apply) -> None:
    new, _ = apply("from os import system as sh\n\n\ndef f(x):\n    sh(f'ls {x}')\n")
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef f(x):\n"
        '    subprocess.run(["ls", *harden_runtime.words(x)])\n'
    )


@pytest.mark.parametrize(
    "keywords", ["shell=True,\n        check=True,", "check=True,\n        shell=True,"]
)
def test_trailing_comma_call_keeps_its_layout(apply: Apply, keywords: str) -> None:
    new, _ = apply(
        "import subprocess\n\n\ndef build(repo):\n"
        f'    subprocess.run(\n        f"make -C {{repo}}",\n        {keywords}\n    )\n'
    )
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef build(repo):\n"
        "    subprocess.run(\n"
        '        ["make", "-C", *harden_runtime.words(repo)],\n'
        "        check=True,\n    )\n"
    )


def test_nested_rewrites_both_apply(apply: Apply) -> None:
    new, run = apply(
        "import os\nimport subprocess\n\n\ndef greet():\n"
        "    subprocess.run(f\"echo {os.popen('whoami').read()}\", shell=True)\n"
    )
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef greet():\n"
        '    subprocess.run(["echo", *harden_runtime.words(subprocess.run(["whoami"], '
        "stdout=subprocess.PIPE, text=True).stdout)])\n"
    )
    assert len(run.accepted) == 2


def test_nested_rewrite_glued_into_a_word_still_compiles(apply: Apply) -> None:
    # The inner rewrite brings double quotes into the outer f-string: before Python 3.12 the
    # f-string must take the other quote.
    new, _ = apply(
        "import os\nimport subprocess\n\n\ndef greet():\n"
        "    subprocess.run(f\"id --user={os.popen('whoami').read()}\", shell=True)\n"
    )
    assert new == (
        "import subprocess\n\n\ndef greet():\n"
        '    subprocess.run(["id", f\'--user={subprocess.run(["whoami"], '
        "stdout=subprocess.PIPE, text=True).stdout}'])\n"
    )
    compile(new, "new.py", "exec")


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("d.get('a',\n        'b')", "\"--x=\" + str(d.get('a',\n        'b'))"),
        ("{'a': d}['a']", "\"--x=\" + str({'a': d}['a'])"),
        ("lambda: d", '"--x=" + str(lambda: d)'),
        ("(lambda: d)()", 'f"--x={(lambda: d)()}"'),
        ("d['a']", "f\"--x={d['a']}\""),
        ('d["a"]', "f'--x={d[\"a\"]}'"),
    ],
)
def test_glued_value_that_cannot_sit_in_an_f_string_is_concatenated(
    apply: Apply, value: str, word: str
) -> None:
    new, _ = apply(f"import os\n\n\ndef f(d):\n    os.system('echo --x=%s' % ({value},))\n")
    assert new == f'import subprocess\n\n\ndef f(d):\n    subprocess.run(["echo", {word}])\n'
    compile(new, "new.py", "exec")


def test_future_import_stays_first(apply: Apply) -> None:
    new, _ = apply(
        '"""Ping."""\nfrom __future__ import annotations\n\nimport os\n\n\n'
        "def ping(host: str) -> bool:\n    return os.system(f'ping -c 1 {host}') == 0\n"
    )
    assert new == (
        '"""Ping."""\nfrom __future__ import annotations\nimport subprocess\n'
        "import harden_runtime\n\n\n"
        "def ping(host: str) -> bool:\n"
        '    return subprocess.call(["ping", "-c", "1", *harden_runtime.words(host)]) << 8 == 0\n'
    )
    compile(new, "new.py", "exec")


@pytest.mark.parametrize(
    ("expression", "rewritten"),
    [
        ("os.system(c) + 1", "(subprocess.call(c) << 8) + 1"),
        ("-os.system(c)", "-(subprocess.call(c) << 8)"),
        ("not os.system(c)", "not subprocess.call(c) << 8"),
        ("os.system(c) == 0", "subprocess.call(c) << 8 == 0"),
        ("[os.system(c)]", "[subprocess.call(c) << 8]"),
    ],
)
def test_wait_status_keeps_its_precedence(apply: Apply, expression: str, rewritten: str) -> None:
    new, _ = apply(f"import os\n\n\ndef f():\n    c = 'ls'\n    return {expression}\n")
    assert new == f'import subprocess\n\n\ndef f():\n    c = ["ls"]\n    return {rewritten}\n'


def test_readlines_splits_only_at_newlines(apply: Apply) -> None:
    new, _ = apply("import os\n\n\ndef f():\n    return os.popen('ls').readlines()\n")
    assert new == (
        "import io\nimport subprocess\n\n\ndef f():\n"
        '    return io.StringIO(subprocess.run(["ls"], stdout=subprocess.PIPE, text=True)'
        ".stdout).readlines()\n"
    )


def test_create_subprocess_shell_imported_by_name(apply: Apply) -> None:
    new, _ = apply(
        "from asyncio import create_subprocess_shell\n\n\n"
        "async def tail(path: str):\n"
        "    return await create_subprocess_shell(f'tail -n 5 {path}')\n"
    )
    assert new == (
        "from asyncio import create_subprocess_exec\nimport harden_runtime\n\n\n"
        "async def tail(path: str):\n"
        '    return await create_subprocess_exec("tail", "-n", "5", *harden_runtime.words(path))\n'
    )


# -- command text harden follows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "argv"),
    [
        # A triple-quoted f-string may hold quotes its text part ends with.
        ('    os.system(f"""grep "{x}" file""")\n', '["grep", str(x), "file"]'),
        (
            "    os.system(rf\"grep '\\d{{2}}' {x}\")\n",
            '["grep", "\\\\d{2}", *harden_runtime.words(x)]',
        ),
        # A backslash ending one piece of an implicit concatenation escapes the next one.
        ('    os.system("echo a\\\\" " b")\n', '["echo", "a b"]'),
        # `+=` with a value extends the command like `+` does; the variable becomes the list.
        ('    cmd = "ls "\n    cmd += x\n    os.system(cmd)\n', "cmd"),
        ('    cmd = "ls"\n    cmd += f" {x}"\n    os.system(cmd)\n', "cmd"),
        # Built once per pass of the loop, so the same on every pass.
        (
            '    for y in x:\n        cmd = "ls"\n        cmd += f" {y}"\n        os.system(cmd)\n',
            None,
        ),
    ],
)
def test_command_text_is_followed(apply: Apply, body: str, argv: str | None) -> None:
    new, run = apply(f"import os\n\n\ndef f(x):\n{body}")
    assert not run.unfixed
    assert len(run.accepted) == 1
    if argv is not None:
        assert f"subprocess.run({argv})" in new
    compile(new, "new.py", "exec")


@pytest.mark.parametrize(
    ("source", "argv"),
    [
        ('CMD = "df -h"\n\n\ndef f():\n    os.system(CMD)\n', '["df", "-h"]'),
        # Built from other constants; a method reads the module's name, not the class's.
        (
            'BASE = "git"\nCMD: str = f"{BASE} log" + " -n 1"\n\n\n'
            'class A:\n    CMD = "x"\n\n    def f(self):\n        os.system(CMD)\n',
            '["git", "log", "-n", "1"]',
        ),
        # A constant glued to a value is its text; sh split it, so does the list.
        (
            'LS = "ls -l"\n\n\ndef f(x):\n    os.system(LS + " " + x)\n',
            '["ls", "-l", *harden_runtime.words(x)]',
        ),
        ('CMD = "uptime"\nos.system(CMD)\n', '["uptime"]'),
    ],
)
def test_module_constant_is_followed_and_kept(apply: Apply, source: str, argv: str) -> None:
    new, run = apply("import os\n\n" + source)
    assert not run.unfixed
    assert f"subprocess.run({argv})" in new
    assert source.splitlines()[0] in new  # the constant may be read elsewhere
    if "(CMD)" in source:
        assert "setting it from outside the module" in run.accepted[0].note


@pytest.mark.parametrize(
    ("call", "argv"),
    [
        ("build(x, 3)", '["ping", "-c", "3", *harden_runtime.words(x)]'),
        # A literal argument is text, split as sh split it.
        (
            'build(n="2 -q", host=x.strip())',
            '["ping", "-c", "2", "-q", *harden_runtime.words(x.strip())]',
        ),
        ("build(a + b, 1)", '["ping", "-c", "1", *harden_runtime.words(a + b)]'),
    ],
)
def test_helper_returning_the_command_is_followed(apply: Apply, call: str, argv: str) -> None:
    helper = 'def build(host, n):\n    """The command."""\n    return f"ping -c {n} {host}"\n'
    new, run = apply(f"import os\n\n\n{helper}\n\ndef f(x, a, b):\n    os.system({call})\n")
    assert not run.unfixed
    assert f"subprocess.run({argv})" in new
    assert helper in new


@pytest.mark.parametrize(
    ("runner", "rewritten"),
    [
        (
            "subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout",
            "subprocess.run(shlex.split(cmd), capture_output=True, text=True).stdout",
        ),
        ("os.system(cmd)", "subprocess.call(shlex.split(cmd)) << 8"),
        (
            "subprocess.getoutput(cmd)",
            "subprocess.run(shlex.split(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, "
            'text=True).stdout.removesuffix("\\n")',
        ),
    ],
)
def test_parameter_every_caller_gives_a_literal_is_split_at_run_time(
    apply: Apply, runner: str, rewritten: str
) -> None:
    callers = (
        "def disk():\n    return _run('df -h')\n\n\n"
        "def grep(x):\n    return _run(x, cmd='grep -r \"a  b\" .')\n"
    )
    new, run = apply(f"{HEADER}def _run(cmd, timeout=1):\n    return {runner}\n\n\n{callers}")
    assert not run.unfixed, [u.reason for u in run.unfixed]
    assert f"    return {rewritten}\n" in new
    assert new.endswith(callers) and "import shlex\n" in new
    assert '(`df -h`, `grep -r "a  b" .`, each checked)' in run.accepted[0].note
    assert run.accepted[0].fixes[0].severity is Severity.LOW


RUNNER = (
    "def _run(cmd{annotation}):\n"
    "    return subprocess.run(cmd, shell=True, capture_output=True).stdout\n"
)


@pytest.mark.parametrize("annotation", ["", ": str"])
def test_runner_called_with_command_text_takes_an_argument_list(
    apply: Apply, annotation: str
) -> None:
    callers = (
        'def head(path):\n    return _run(f"head -n 5 {path}")\n\n\n'
        'def tail(path, n: int):\n    return _run(cmd="tail -n " + str(n) + " " + path)\n\n\n'
        "def disk():\n    return _run(\"df -h '/'\")\n"
    )
    new, run = apply(f"{HEADER}{RUNNER.format(annotation=annotation)}\n\n{callers}")
    assert not run.unfixed, [u.reason for u in run.unfixed]
    listed = ": list[str]" if annotation else ""
    assert (
        f"def _run(cmd{listed}):\n    return subprocess.run(cmd, capture_output=True).stdout\n"
    ) in new
    assert '    return _run(["head", "-n", "5", *harden_runtime.words(path)])\n' in new
    assert (
        '_run(cmd=["tail", "-n", *harden_runtime.words(str(n)), *harden_runtime.words(path)])'
        in new
    )
    assert '    return _run(["df", "-h", "/"])\n' in new
    (rewrite,) = run.accepted
    assert "each of the 3 calls in this module passes its own" in rewrite.note
    assert rewrite.fixes[0].severity is Severity.HIGH


@pytest.mark.parametrize(
    ("runner", "callers", "reason"),
    [
        (
            RUNNER.format(annotation=""),
            'def f(x):\n    _run(f"ls {x} | wc -l")\n',
            'the command comes from parameter `cmd`, and `_run` is called with `f"ls {x} | wc -l"`'
            ", which is not one program with plain words (operators, redirections or `cd`)",
        ),
        (
            RUNNER.format(annotation=""),
            'def f(x):\n    _run(f"ls $HOME/{x}")\n',
            "the command comes from parameter `cmd`, and `_run` is called with "
            '`f"ls $HOME/{x}"`, which is not one program with plain words (an expansion in a part '
            "of the command)",
        ),
        (
            RUNNER.format(annotation=": str | None"),
            'def f(x):\n    _run(f"ls {x}")\n',
            "the command comes from parameter `cmd`, and `_run` declares `cmd` as `str | None`, "
            "not `str`",
        ),
        (
            "def _run(cmd):\n    print(cmd)\n    os.system(cmd)\n",
            'def f(x):\n    _run(f"ls {x}")\n',
            "the command comes from parameter `cmd`, which is also read other than by this call",
        ),
        (
            RUNNER.format(annotation=""),
            "def f(x):\n    _run(x.command())\n",
            "the command comes from parameter `cmd`, and `_run` is called with `x.command()`: the "
            "command comes from `x.command()`, whose text harden cannot see",
        ),
    ],
    ids=["pipe", "variable", "annotation", "read-twice", "call"],
)
def test_runner_whose_calls_cannot_all_pass_a_list_goes_to_the_shim(
    apply: Apply, runner: str, callers: str, reason: str
) -> None:
    new, run = apply(f"{HEADER}{runner}\n\n{callers}")
    (rewrite,) = run.accepted
    assert f"({reason})" in rewrite.note
    assert "harden_runtime." in new and callers in new


def test_variable_used_elsewhere_is_kept(apply: Apply) -> None:
    new, run = apply(
        "import logging\nimport os\n\n\ndef f(x):\n"
        "    cmd = f'ls {x}'\n"
        "    logging.info('running %s', cmd)\n"
        "    os.system(cmd)\n"
    )
    assert "    cmd = f'ls {x}'\n" in new
    assert '    subprocess.run(["ls", *harden_runtime.words(x)])\n' in new
    assert "was only used here" not in run.accepted[0].note


def test_variable_used_only_here_now_holds_the_argument_list(apply: Apply) -> None:
    new, run = apply(
        "import os\n\n\ndef f(x):\n"
        "    # the listing command\n"
        "    cmd = 'ls'\n"
        "    cmd += f' {x}'\n"
        "    os.system(cmd)\n"
    )
    assert new == (
        "import subprocess\nimport harden_runtime\n\n\ndef f(x):\n"
        "    # the listing command\n"
        '    cmd = ["ls", *harden_runtime.words(x)]\n'
        "    subprocess.run(cmd)\n"
    )
    rewrite = run.accepted[0]
    assert "`cmd` now holds the argument list" in rewrite.note
    assert rewrite.before == "# the listing command\ncmd = 'ls'\ncmd += f' {x}'\nos.system(cmd)"
    assert rewrite.after == (
        '# the listing command\ncmd = ["ls", *harden_runtime.words(x)]\nsubprocess.run(cmd)'
    )


def test_annotated_variable_gets_a_list_annotation(apply: Apply) -> None:
    new, _ = apply("import os\n\n\ndef f(x):\n    cmd: str = f'ls {x}'\n    os.system(cmd)\n")
    assert '    cmd: list[str] = ["ls", *harden_runtime.words(x)]\n    subprocess.run(cmd)\n' in new


# -- review: decisions and requested findings ----------------------------------------------------


def test_rejected_rewrite_is_proposed_but_not_applied() -> None:
    source = "import os\n\n\ndef f(x):\n    os.system(f'ls {x}')\n"
    run = FileRun(path="m.py", decide=lambda rewrite: False)
    new = ShellCommands(run).transform_module(cst.parse_module(source)).code
    assert new == source
    assert len(run.proposed) == 1
    assert not run.accepted


def test_requested_findings_limit_the_places_acted_on() -> None:
    source = "import os\n\n\ndef f(x):\n    os.system(f'ls {x}')\n    os.system(f'pwd {x}')\n"
    bandit = Finding("B605", "m.py", 6, 5, source="bandit")
    run = FileRun(path="m.py", decide=lambda rewrite: True, requested=[bandit])
    new = ShellCommands(run).transform_module(cst.parse_module(source)).code
    assert new == (
        "import os\nimport subprocess\nimport harden_runtime\n\n\ndef f(x):\n"
        "    os.system(f'ls {x}')\n"
        '    subprocess.run(["pwd", *harden_runtime.words(x)])\n'
    )
    assert [r.fixes for r in run.accepted] == [(bandit,)]
    assert run.matched == {bandit}


# -- command lines that need more than one program --------------------------------------------

CONVERTED = {
    "pipeline-run": (
        "subprocess.run(f'ps aux | grep {x}', shell=True, capture_output=True, text=True)",
        'harden_runtime.run([["ps", "aux"], "|", ["grep", *harden_runtime.words(x)]], '
        "capture_output=True, text=True)",
    ),
    "list-call": (
        "subprocess.call(f'make -C {x} || make -C {x} clean', shell=True)",
        'harden_runtime.call([["make", "-C", *harden_runtime.words(x)], "||", '
        '["make", "-C", *harden_runtime.words(x), "clean"]])',
    ),
    "append-check_call": (
        "subprocess.check_call(f'date >> {x}', shell=True)",
        'harden_runtime.check_call([["date"], ">>", str(x)])',
    ),
    "stderr-to-stdout-stays-stdlib": (
        "subprocess.run(f'make {x} 2>&1', shell=True, stdout=subprocess.PIPE)",
        'subprocess.run(["make", *harden_runtime.words(x)], stdout=subprocess.PIPE, '
        "stderr=subprocess.STDOUT)",
    ),
    "stderr-captured-needs-the-runner": (
        "subprocess.run(f'make {x} 2>&1', shell=True, capture_output=True)",
        'harden_runtime.run([["make", *harden_runtime.words(x)], "2>&1"], capture_output=True)',
    ),
    "quiet-popen": (
        "subprocess.Popen(f'make {x} >/dev/null 2>&1', shell=True)",
        'subprocess.Popen(["make", *harden_runtime.words(x)], stdout=subprocess.DEVNULL, '
        "stderr=subprocess.DEVNULL)",
    ),
    "cd-with-cwd-given": (
        "subprocess.run(f'cd {x} && make', shell=True, cwd='/src')",
        'harden_runtime.run([["cd", str(x)], "&&", ["make"]], cwd=\'/src\')',
    ),
    "variables": (
        "os.system(f'ls ${{OPTS}} \"$HOME\" ${{DIR:-/tmp}}/{x}')",
        'subprocess.call(["ls", *harden_runtime.fields(os.environ.get("OPTS", "")), '
        'os.environ.get("HOME", ""), f\'{os.environ.get("DIR") or "/tmp"}/{x}\']) << 8',
    ),
    "variables-from-env": (
        "subprocess.run(f'ls $HOME/{x} ~', shell=True, env=env)",
        'subprocess.run(["ls", f\'{env.get("HOME", "")}/{x}\', env.get("HOME", "~")], env=env)',
    ),
    "tilde": (
        "subprocess.getoutput(f'ls ~/notes {x}')",
        'subprocess.run(["ls", os.path.expanduser("~/notes"), *harden_runtime.words(x)], '
        'stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.removesuffix("\\n")',
    ),
    "popen-read": (
        "os.popen(f'ls {x} | wc -l').read()",
        'harden_runtime.run([["ls", *harden_runtime.words(x)], "|", ["wc", "-l"]], '
        "stdout=subprocess.PIPE, text=True).stdout",
    ),
    "popen-object-cd": (
        "os.popen(f'cd {x} && ls | wc -l')",
        'harden_runtime.popen([["cd", str(x)], "&&", ["ls"], "|", ["wc", "-l"]])',
    ),
    "getstatusoutput-cd": (
        "subprocess.getstatusoutput(f'cd {x} && ls < /dev/null')",
        'harden_runtime.getstatusoutput([["cd", str(x)], "&&", ["ls"], "<", "/dev/null"])',
    ),
    "getstatusoutput": (
        "subprocess.getstatusoutput(f'ls {x} 2>/dev/null')",
        'harden_runtime.getstatusoutput([["ls", *harden_runtime.words(x)], "2>", "/dev/null"])',
    ),
    "substitution": (
        "subprocess.check_output(f'echo {x} $(date +%F) \"`id -u`\"', shell=True)",
        'harden_runtime.check_output([["echo", *harden_runtime.words(x), '
        'harden_runtime.output([["date", "+%F"]], split=True), '
        'harden_runtime.output([["id", "-u"]])]])',
    ),
    "async-to-devnull": (
        "asyncio.create_subprocess_shell(f'ls {x} 2>/dev/null')",
        'asyncio.create_subprocess_exec("ls", *harden_runtime.words(x), stderr=subprocess.DEVNULL)',
    ),
}


@pytest.mark.parametrize(("call", "rewritten"), CONVERTED.values(), ids=CONVERTED.keys())
def test_command_line_is_converted(apply: Apply, call: str, rewritten: str) -> None:
    new, run = apply(f"import asyncio\n{HEADER}def f(x, env):\n    return {call}\n")
    assert not run.unfixed, [u.reason for u in run.unfixed]
    assert f"    return {rewritten}\n" in new
    compile(new, "new.py", "exec")


REFUSED_FOR_THE_CALL = {
    "popen-object": (
        "subprocess.Popen(f'ls {x} | wc', shell=True)",
        "needs harden's script runner, and a Popen object stands for one process: "
        "`Popen` is converted for one program only",
    ),
    "asyncio": (
        "asyncio.create_subprocess_shell(f'ls {x} | wc')",
        "needs harden's script runner, which is not asynchronous: `create_subprocess_shell` "
        "is converted for one program only",
    ),
    "runner-keyword": (
        "subprocess.run(f'ls {x} | wc', shell=True, start_new_session=True)",
        "`start_new_session=` is not taken by harden's script runner",
    ),
    "env-computed": (
        "subprocess.run(f'ls $HOME/{x}', shell=True, env={**env, 'A': '1'})",
        "`$VAR` or `~` would read `env=`, an expression harden would evaluate twice",
    ),
}


@pytest.mark.parametrize(
    ("call", "reason"), REFUSED_FOR_THE_CALL.values(), ids=REFUSED_FOR_THE_CALL.keys()
)
def test_call_the_runner_cannot_stand_in_for_is_reported(
    apply: Apply, call: str, reason: str
) -> None:
    source = f"import asyncio\n{HEADER}def f(x, env):\n    return {call}\n"
    new, run = apply(source)
    assert new == source
    assert [u.reason for u in run.unfixed] == [reason]


def test_a_script_variable_gets_a_list_annotation(apply: Apply) -> None:
    new, run = apply(HEADER + "def f(x):\n    cmd: str = f'ls {x} | wc'\n    os.system(cmd)\n")
    assert '    cmd: list[object] = [["ls", *harden_runtime.words(x)], "|", ["wc"]]\n' in new
    assert "`cmd` now holds the script" in run.accepted[0].note


def test_a_glued_expansion_is_noted(apply: Apply) -> None:
    _, run = apply(HEADER + "def f(x):\n    os.system(f'ls $HOME/{x}')\n")
    assert "`$HOME` glued to text is used whole" in run.accepted[0].note


def test_a_rewrite_inside_an_f_string_field_needs_the_f_string_rebuilt() -> None:
    # The inner rewrite needs double quotes and a backslash; before Python 3.12 an f-string
    # field may hold neither its own quote nor a backslash. With the outer call rewritten the
    # f-string is rebuilt and both land; with the outer one rejected the inner one is reported.
    source = HEADER + (
        "def f(name):\n"
        "    subprocess.run(f\"echo {subprocess.getoutput('whoami')} {name}\", shell=True)\n"
    )
    answers = iter([False, True])
    run = FileRun(path="m.py", decide=lambda rewrite: next(answers))
    new = ShellCommands(run).transform_module(cst.parse_module(source)).code
    assert new == source
    assert [u.reason.split(" that ")[0] for u in run.unfixed] == ["inside an f-string's {...}"]
    run = FileRun(path="m.py", decide=lambda rewrite: True)
    new = ShellCommands(run).transform_module(cst.parse_module(source)).code
    assert len(run.accepted) == 2 and not run.unfixed
    compile(new, "m.py", "exec")
