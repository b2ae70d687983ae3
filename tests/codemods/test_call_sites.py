"""The cheap ast check must never miss a call that libcst resolves to a sink.

`call_sites.call_lines` decides which files and lines libcst looks at; a call it misses is a
finding lost. So for every codemod example, every fixture server and a set of import forms,
each call whose qualified name (libcst's QualifiedNameProvider, the codemods' own test) is a
sink must be on a line it returns, and the text prefilter must let the file through.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from harden.ast_names import parse
from harden.codemods.call_sites import Sink, call_lines
from harden.codemods.catalog import ALL_INFO
from harden.codemods.catalog.shell_commands import INFO

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

IMPORT_FORMS = {
    "alias": "from os import system as run\nrun('ls')\n",
    "module alias": "import subprocess as sp\nsp.run('ls', shell=True)\n",
    "dotted import": "import os.path\nos.system('ls')\n",
    "import inside a function": "def f():\n    import os\n    return os.popen('ls').read()\n",
    "guarded alternatives": (
        "try:\n    from subprocess import getoutput as out\n"
        "except ImportError:\n    from commands import getoutput as out\n"
        "out('uname')\n"
    ),
    "submodule": "from asyncio import subprocess as asp\nasp.create_subprocess_shell('ls')\n",
    "parenthesised alias": "from os import (\n    system as sh,\n)\nsh('ls')\n",
    "multi-line call": "import subprocess\nsubprocess.run(\n    'ls',\n    shell=True,\n)\n",
    "star import": "from subprocess import *\ngetoutput('ls')\n",
}

SOURCES = (
    {f"{info.id}-{i}": e.before for info in ALL_INFO for i, e in enumerate(info.examples)}
    | {p.name: p.read_text() for p in sorted((FIXTURES / "servers").rglob("*.py"))}
    | {"tricky": (FIXTURES / "focus" / "tricky_lines.py").read_text()}
    | IMPORT_FORMS
)


def _resolved_lines(source: str, sinks: tuple[Sink, ...]) -> set[int]:
    """Lines of the calls libcst resolves to a sink (passing the sink's keyword, if any)."""
    lines: set[int] = set()

    class Calls(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

        def visit_Call(self, node: cst.Call) -> None:
            keywords = {arg.keyword.value for arg in node.args if arg.keyword is not None}
            qualified = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, ())}
            if any(s.name in qualified and s.keyword in (None, *keywords) for s in sinks):
                lines.add(self.get_metadata(PositionProvider, node).start.line)

    MetadataWrapper(cst.parse_module(source)).visit(Calls())
    return lines


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_every_call_libcst_resolves_is_found(source: str) -> None:
    module = parse(source)
    assert module is not None
    found = set(call_lines(module, INFO.sinks))
    resolved = _resolved_lines(source, INFO.sinks)
    assert resolved <= found
    if resolved:
        assert INFO.wants(source)


@pytest.mark.parametrize("source", IMPORT_FORMS.values(), ids=IMPORT_FORMS.keys())
def test_each_import_form_is_a_real_hit(source: str) -> None:
    # These sources each call a sink once; the check must find it (not only libcst).
    module = parse(source)
    assert module is not None
    assert call_lines(module, INFO.sinks)


@pytest.mark.parametrize(
    "source",
    [
        "import platform\nplatform.system()\n",
        "import subprocess\nsubprocess.run(['ls'])\n",  # no shell= keyword
        "def system(cmd):\n    return cmd\nsystem('ls')\n",  # a local function of that name
        "class Runner:\n    def popen(self, cmd):\n        return cmd\nRunner().popen('ls')\n",
        "from .os import system\nsystem('ls')\n",  # a relative import is not the stdlib
    ],
    ids=["other module", "no keyword", "local def", "method", "relative import"],
)
def test_calls_that_cannot_be_sinks_are_not_hits(source: str) -> None:
    module = parse(source)
    assert module is not None
    assert call_lines(module, INFO.sinks) == []


def test_a_file_ast_cannot_parse_gives_none() -> None:
    assert parse("def f(:\n") is None
