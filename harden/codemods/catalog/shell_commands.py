"""The shell-commands codemod's metadata and BEFORE/AFTER examples (phase 5: commands run
without a shell), and the callees it handles.

The examples are documentation that runs: tests/codemods/test_examples.py applies the codemod
to each `before` and expects its `after` exactly (or the refusal named by `unfixed`). Data only,
for what needs it without loading the codemod (the command line's rule tables, the engine's
prefilter); harden/codemods/shell_commands.py does the rewriting. It never imports libcst.
"""

from __future__ import annotations

import re

from harden.codemods.call_sites import Sink
from harden.codemods.info import CodemodInfo, Example

# The callees it handles, by qualified name; the subprocess functions only with `shell=`.
SUBPROCESS_SHELL_KW = frozenset(
    f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output", "Popen")
)
SYSTEM = frozenset({"os.system", "posix.system"})
POPEN = frozenset({"os.popen"})
GETOUTPUT = frozenset({"subprocess.getoutput"})
GETSTATUSOUTPUT = frozenset({"subprocess.getstatusoutput"})
ASYNC_SHELL = frozenset(
    {"asyncio.create_subprocess_shell", "asyncio.subprocess.create_subprocess_shell"}
)

_EXAMPLES = (
    Example(
        before=(
            "import subprocess\n\n"
            "def log(repo: str, n: int) -> str:\n"
            "    cmd = f\"git -C {repo} log -n {n} --format='%h %s'\"\n"
            "    return subprocess.run(cmd, shell=True, capture_output=True, "
            "text=True).stdout\n"
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\n"
            "def log(repo: str, n: int) -> str:\n"
            '    cmd = ["git", "-C", *harden_runtime.words(repo), "log", "-n", str(n), '
            '"--format=%h %s"]\n'
            "    return subprocess.run(cmd, capture_output=True, text=True).stdout\n"
        ),
    ),
    Example(
        before=(
            "import subprocess\n\ndef git_operation(operation: str) -> str:\n"
            '    if "reset --hard" in operation:\n        raise ValueError(operation)\n'
            '    return subprocess.check_output(f"git {operation}", shell=True, text=True)\n'
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\n"
            "def git_operation(operation: str) -> str:\n"
            '    if "reset --hard" in operation:\n        raise ValueError(operation)\n'
            '    return subprocess.check_output(["git", *harden_runtime.fields(operation)], '
            "text=True)\n"
        ),
    ),
    Example(
        before="import os\n\ndef clean(path):\n    os.system('rm -rf ' + path)\n",
        after=(
            "import subprocess\nimport harden_runtime\n\ndef clean(path):\n"
            '    subprocess.run(["rm", "-rf", *harden_runtime.words(path)])\n'
        ),
    ),
    Example(
        before=(
            "import os\n\ndef ok(host: str) -> bool:\n"
            "    return os.system(f'ping -c 1 {host}') == 0\n"
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\ndef ok(host: str) -> bool:\n"
            '    return subprocess.call(["ping", "-c", "1", *harden_runtime.words(host)]) '
            "<< 8 == 0\n"
        ),
    ),
    Example(
        before="import os\n\ndef who() -> str:\n    return os.popen('whoami').read()\n",
        after=(
            "import subprocess\n\ndef who() -> str:\n"
            '    return subprocess.run(["whoami"], stdout=subprocess.PIPE, text=True).stdout\n'
        ),
    ),
    Example(
        before=(
            "from subprocess import getoutput\n\n"
            "def kernel() -> str:\n    return getoutput('uname -r')\n"
        ),
        after=(
            "import subprocess\n\ndef kernel() -> str:\n"
            '    return subprocess.run(["uname", "-r"], stdout=subprocess.PIPE, '
            'stderr=subprocess.STDOUT, text=True).stdout.removesuffix("\\n")\n'
        ),
    ),
    Example(
        before=(
            "import asyncio\n\nasync def tail(path: str, extra_args: str = ''):\n"
            "    return await asyncio.create_subprocess_shell(\n"
            "        f'tail {extra_args} \"{path}\"', stdout=asyncio.subprocess.PIPE\n    )\n"
        ),
        after=(
            "import asyncio\nimport shlex\n\nasync def tail(path: str, extra_args: str = ''):\n"
            "    return await asyncio.create_subprocess_exec(\n"
            '        "tail", *shlex.split(extra_args), path, '
            "stdout=asyncio.subprocess.PIPE\n    )\n"
        ),
    ),
    Example(
        before=(
            "import subprocess\n\ndef pods(name: str) -> str:\n"
            "    return subprocess.check_output("
            "f'kubectl get pods -A | grep {name}', shell=True, text=True)\n"
        ),
        after=(
            "import harden_runtime\n\ndef pods(name: str) -> str:\n"
            '    return harden_runtime.check_output([["kubectl", "get", "pods", "-A"], "|", '
            '["grep", *harden_runtime.words(name)]], text=True)\n'
        ),
    ),
    Example(
        before=(
            "import subprocess\n\ndef history(repo: str, path: str) -> str:\n"
            "    cmd = f'cd {repo} && git log --oneline -- {path} 2>&1'\n"
            "    return subprocess.check_output(cmd, shell=True, text=True)\n"
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\n"
            "def history(repo: str, path: str) -> str:\n"
            '    cmd = ["git", "log", "--oneline", "--", *harden_runtime.words(path)]\n'
            "    return subprocess.check_output(cmd, text=True, stderr=subprocess.STDOUT, "
            "cwd=repo)\n"
        ),
    ),
    Example(
        before=(
            "import os\n\ndef index() -> int:\n"
            "    return os.system('ls -1t ~/notes/*.md > $TMPDIR/index.txt')\n"
        ),
        after=(
            "import os\nimport harden_runtime\n\ndef index() -> int:\n"
            '    return harden_runtime.system([["ls", "-1t", harden_runtime.glob('
            '"{}/notes/*.md", os.path.expanduser("~"))], ">", '
            'f\'{os.environ.get("TMPDIR", "")}/index.txt\'])\n'
        ),
    ),
    Example(
        before=(
            'import subprocess\n\nDISK_USAGE = "df -h"\n\ndef disk() -> str:\n'
            "    return subprocess.check_output(DISK_USAGE, shell=True, text=True)\n"
        ),
        after=(
            'import subprocess\n\nDISK_USAGE = "df -h"\n\ndef disk() -> str:\n'
            '    return subprocess.check_output(["df", "-h"], text=True)\n'
        ),
    ),
    Example(
        before=(
            "import subprocess\n\ndef ping_command(host: str, count: int) -> str:\n"
            '    return f"ping -c {count} {host}"\n\n'
            "def ping(host: str) -> int:\n"
            "    return subprocess.call(ping_command(host, 3), shell=True)\n"
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\n"
            "def ping_command(host: str, count: int) -> str:\n"
            '    return f"ping -c {count} {host}"\n\n'
            "def ping(host: str) -> int:\n"
            '    return subprocess.call(["ping", "-c", "3", *harden_runtime.words(host)])\n'
        ),
    ),
    Example(
        before=(
            "import subprocess\n\ndef _run(cmd: str) -> str:\n"
            "    return subprocess.check_output(cmd, shell=True, text=True)\n\n"
            'def disk() -> str:\n    return _run("df -h")\n\n'
            'def uptime() -> str:\n    return _run("uptime -p")\n'
        ),
        after=(
            "import subprocess\nimport shlex\n\ndef _run(cmd: str) -> str:\n"
            "    return subprocess.check_output(shlex.split(cmd), text=True)\n\n"
            'def disk() -> str:\n    return _run("df -h")\n\n'
            'def uptime() -> str:\n    return _run("uptime -p")\n'
        ),
    ),
    # A command built by several statements: each adds its own arguments to a list.
    Example(
        before=(
            "import subprocess\n\n"
            "def search(pattern: str, ignore_case: bool) -> str:\n"
            '    cmd = "grep -n"\n'
            "    if ignore_case:\n"
            '        cmd += " -i"\n'
            '    cmd += f" {pattern} notes.txt"\n'
            "    return subprocess.check_output(cmd, shell=True, text=True)\n"
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\n"
            "def search(pattern: str, ignore_case: bool) -> str:\n"
            '    cmd = ["grep", "-n"]\n'
            "    if ignore_case:\n"
            '        cmd += ["-i"]\n'
            '    cmd += [*harden_runtime.words(pattern), "notes.txt"]\n'
            "    return subprocess.check_output(cmd, text=True)\n"
        ),
    ),
    # A module-level template: its text is known, so the call gets the argument list.
    Example(
        before=(
            'import subprocess\n\nCOUNT = "grep -c {} notes.txt"\n\n'
            "def count(word: str) -> str:\n"
            "    return subprocess.check_output(COUNT.format(word), shell=True, text=True)\n"
        ),
        after=(
            'import subprocess\nimport harden_runtime\n\nCOUNT = "grep -c {} notes.txt"\n\n'
            "def count(word: str) -> str:\n"
            "    return subprocess.check_output("
            '["grep", "-c", *harden_runtime.words(word), "notes.txt"], text=True)\n'
        ),
    ),
    # A private runner whose calls pass command text built from values: each passes a list.
    Example(
        before=(
            "import subprocess\n\ndef _run(cmd: str) -> str:\n"
            "    return subprocess.check_output(cmd, shell=True, text=True)\n\n"
            'def head(path: str) -> str:\n    return _run(f"head -n 5 {path}")\n\n'
            'def disk() -> str:\n    return _run("df -h")\n'
        ),
        after=(
            "import subprocess\nimport harden_runtime\n\ndef _run(cmd: list[str]) -> str:\n"
            "    return subprocess.check_output(cmd, text=True)\n\n"
            "def head(path: str) -> str:\n"
            '    return _run(["head", "-n", "5", *harden_runtime.words(path)])\n\n'
            'def disk() -> str:\n    return _run(["df", "-h"])\n'
        ),
    ),
    Example.kept(
        (
            "import subprocess\n\ndef write(path: str, text: str):\n"
            '    subprocess.run(f"cat > {path} <<EOF\\n{text}\\nEOF", shell=True)\n'
        ),
        "needs a shell: heredoc",
    ),
    # A command harden cannot read here, or a `shell=` flag: the runtime reads it when the
    # call runs (shell_shim.py).
    Example(
        before=(
            "import subprocess\n\ndef run(command: str):\n    subprocess.run(command, shell=True)\n"
        ),
        after=(
            "import harden_runtime\n\ndef run(command: str):\n"
            "    harden_runtime.run(command, shell=True)\n"
        ),
    ),
    Example(
        before="import subprocess\n\ndef run(flag):\n    subprocess.run('ls', shell=flag)\n",
        after="import harden_runtime\n\ndef run(flag):\n    harden_runtime.run('ls', shell=flag)\n",
    ),
    Example(
        before="import os\n\ndef run(self):\n    return os.popen(self.command, 'r').read()\n",
        after=(
            "import harden_runtime\n\ndef run(self):\n"
            "    return harden_runtime.popen(self.command, 'r').read()\n"
        ),
    ),
    Example(
        before=(
            "import subprocess\n\ndef run(command):\n"
            "    return subprocess.getoutput(encoding='utf-8', cmd=command)\n"
        ),
        after=(
            "import harden_runtime\n\ndef run(command):\n"
            "    return harden_runtime.getoutput(command, encoding='utf-8')\n"
        ),
    ),
    Example.kept(
        (
            "import subprocess\n\ndef run(command, size):\n"
            "    return subprocess.Popen(command, size, shell=True)\n"
        ),
        "positional arguments after the command",
    ),
)

INFO = CodemodInfo(
    id="shell-commands",
    phase=5,
    title="Commands run without a shell",
    rule="shell-command",
    rationale=(
        "A command string handed to /bin/sh lets any value spliced into it add commands of its "
        "own (`; rm -rf ~`, `$(curl ...)`). Running the program directly with an argument list "
        "makes every value one inert argument. The conversion follows sh's quoting rules word by "
        "word, so the program receives exactly the arguments it received before for every input "
        "without shell syntax in it. Pipelines, redirections, lists, variables, `~`, globs and "
        "`$(...)` keep their meaning: one program runs through the same stdlib call (`cd DIR &&` "
        "becomes `cwd=`, `2>&1` `stderr=subprocess.STDOUT`), anything more through the vendored "
        "runtime's script runner; what neither can express (heredocs, loops, functions) is "
        "reported, never half-converted."
    ),
    prefilter=tuple(
        re.compile(pattern)
        for pattern in (
            # shell= with anything but a literal False/None (those run no shell)
            r"shell\s*=(?!=)\s*(?!False\b|None\b)",
            # a call of the function, or an import that renames it (`from os import system as
            # run`); subprocess.Popen matters only with shell=, matched above
            r"popen(?:\s*\(|\s+as\s)",
            r"getoutput(?:\s*\(|\s+as\s)",
            r"getstatusoutput(?:\s*\(|\s+as\s)",
            r"create_subprocess_shell(?:\s*\(|\s+as\s)",
            # ... but not platform.system() or subsystem()
            r"system(?:\s*\((?<!platform\.system\()(?<!\wsystem\()|\s+as\s)",
        )
    ),
    sinks=(
        *(Sink(name, keyword="shell") for name in sorted(SUBPROCESS_SHELL_KW)),
        *(
            Sink(name)
            for name in sorted(SYSTEM | POPEN | GETOUTPUT | GETSTATUSOUTPUT | ASYNC_SHELL)
        ),
    ),
    examples=_EXAMPLES,
)
