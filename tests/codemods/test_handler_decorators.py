"""Phases 1-3 put their decorator in one place and one order, whatever was applied before.

The runtime decorators must sit below the registering decorator (above it, SDKs register the
unwrapped function) and keep the order observe, rate_limit, validate; a phase applied twice,
or after a later one, must not add a second copy or reorder what is there.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import libcst as cst
import pytest

from harden.codemods.base import FileRun, PlannedCodemod
from harden.codemods.observe import Observe
from harden.codemods.rate_limit import RateLimit
from harden.codemods.validate import Validate

Apply = Callable[..., tuple[str, FileRun]]

SERVER = """\
from __future__ import annotations

import functools

from mcp.server.fastmcp import Context, FastMCP

mcp = FastMCP("demo")


def traced(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)

    return inner


@mcp.tool()
@traced
def echo(text: str) -> str:
    return text


@mcp.tool(name="add-numbers")
async def add(a: int, b: int, ctx: Context) -> int:
    return a + b


class Toolbox:
    def __init__(self, server: FastMCP) -> None:
        self.mcp = server
        self.mcp.tool()(self.size)

    def size(self, path: str) -> int:
        return len(path)


@mcp.resource("config://{name}")
def config(name: str) -> str:
    return name
"""

PHASES: dict[str, type[PlannedCodemod]] = {
    "observe": Observe,
    "validate": Validate,
    "rate_limit": RateLimit,
}
ORDER = ["observe", "rate_limit", "validate"]


def _apply_all(apply: Apply, source: str, codemods: Sequence[type[PlannedCodemod]]) -> str:
    for codemod in codemods:
        source, _ = apply(source, codemod)
    return source


def _decorators_above(source: str, function: str) -> list[str]:
    """The decorator lines directly above `def function` (or `async def`)."""
    lines = source.splitlines()
    index = next(
        i for i, line in enumerate(lines) if re.match(rf"\s*(async )?def {function}\(", line)
    )
    found = []
    while lines[index - 1].strip().startswith("@"):
        index -= 1
        found.insert(0, lines[index].strip())
    return found


@pytest.mark.parametrize("order", list(itertools.permutations(PHASES)), ids="-".join)
def test_any_phase_order_gives_the_same_code(apply: Apply, order: tuple[str, ...]) -> None:
    canonical = _apply_all(apply, SERVER, [PHASES[name] for name in ORDER])
    assert _apply_all(apply, SERVER, [PHASES[name] for name in order]) == canonical
    # and again: nothing changes the second time
    assert _apply_all(apply, canonical, list(PHASES.values())) == canonical


def test_decorators_go_below_the_registration_in_runtime_order(apply: Apply) -> None:
    new = _apply_all(apply, SERVER, list(PHASES.values()))
    assert _decorators_above(new, "echo") == [
        "@mcp.tool()",
        "@harden_runtime.observe",
        "@harden_runtime.rate_limit",
        "@harden_runtime.validate",
        "@traced",  # the user's own decorator stays closest to the function
    ]
    assert _decorators_above(new, "add") == [
        '@mcp.tool(name="add-numbers")',
        '@harden_runtime.observe(tool="add-numbers")',
        '@harden_runtime.rate_limit(tool="add-numbers")',
        '@harden_runtime.validate(tool="add-numbers")',
    ]
    # registered by a call elsewhere: directly above `def`
    assert _decorators_above(new, "size") == [
        "@harden_runtime.observe",
        "@harden_runtime.rate_limit",
        "@harden_runtime.validate",
    ]
    # resources are observed, not validated or rate-limited
    assert _decorators_above(new, "config") == [
        '@mcp.resource("config://{name}")',
        "@harden_runtime.observe",
    ]
    compile(new, "server.py", "exec")


def test_a_function_registered_under_two_names_is_logged_by_its_own(apply: Apply) -> None:
    source = (
        "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n\n\n"
        "def ping() -> str:\n    return 'pong'\n\n\n"
        "mcp.tool(name='ping')(ping)\nmcp.tool(name='health')(ping)\n"
    )
    new, run = apply(source, Observe)
    assert _decorators_above(new, "ping") == ["@harden_runtime.observe"]
    assert "not one literal" in run.accepted[0].note


def test_a_package_module_imports_the_runtime_relatively() -> None:
    run = FileRun(path="pkg/server.py", decide=lambda rewrite: True, below_root=True)
    new = Observe(run).transform_module(cst.parse_module(SERVER)).code
    assert "from . import harden_runtime" in new
    assert "except ImportError:" in new
