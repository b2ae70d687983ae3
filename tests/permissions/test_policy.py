"""The phase 6 policy decorator: built as the runtime takes it, read back as written."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from harden import runtime
from harden.permissions.parsed_modules import ParsedModule
from harden.permissions.policy import build_decorator, policy_decorator, read_policy
from harden.permissions.uses import covered_by


def function_with(decorator: cst.Decorator) -> tuple[cst.FunctionDef, ParsedModule]:
    code = cst.Module([]).code_for_node(decorator)
    module = cst.parse_module(f"import harden_runtime\n\n{code}\ndef tool():\n    pass\n")
    parsed = ParsedModule("module.py", "module", MetadataWrapper(module))
    function = parsed.wrapper.module.body[1]
    assert isinstance(function, cst.FunctionDef)
    return function, parsed


@pytest.mark.parametrize(
    ("policy", "tool", "lowlevel", "code"),
    [
        ((), None, False, "@harden_runtime.permissions(uses=())"),
        (("exec:git",), None, False, '@harden_runtime.permissions(uses=("exec:git",))'),
        (
            ("fs:read:/data/😀", 'fs:read:/a "quoted" folder'),
            "outil-é",
            False,
            '@harden_runtime.permissions(uses=("fs:read:/data/😀", '
            '"fs:read:/a \\"quoted\\" folder"), tool="outil-é")',
        ),
        (
            ("fs:read:/srv", "net:api.example.com:443"),
            "count-notes",
            False,
            '@harden_runtime.permissions(uses=("fs:read:/srv", "net:api.example.com:443"), '
            'tool="count-notes")',
        ),
        (
            {"search": ("fs:read:/srv",), "ping": ()},
            None,
            True,
            '@harden_runtime.permissions(uses={"search": ("fs:read:/srv",), "ping": ()}, '
            "lowlevel=True)",
        ),
    ],
)
def test_the_decorator_is_written_and_read_back(
    policy: object, tool: str | None, lowlevel: bool, code: str
) -> None:
    decorator = build_decorator(policy, tool, lowlevel=lowlevel)  # type: ignore[arg-type]
    assert cst.Module([]).code_for_node(decorator).strip() == code
    function, parsed = function_with(decorator)
    found = policy_decorator(function, parsed.qualified)
    assert found is not None
    assert read_policy(found) == policy
    # What the runtime takes: the decorator, evaluated, wraps a function.
    expression = code.removeprefix("@").replace("harden_runtime.", "runtime.")
    assert callable(eval(expression, {"runtime": runtime})(lambda: None))


@pytest.mark.parametrize(
    "decorator",
    [
        "harden_runtime.permissions(uses=USES)",
        'harden_runtime.permissions(uses=("exec:" + name,))',
        "harden_runtime.permissions",
    ],
)
def test_a_policy_that_is_not_literal_is_not_read(decorator: str) -> None:
    function, parsed = function_with(cst.Decorator(cst.parse_expression(decorator)))
    found = policy_decorator(function, parsed.qualified)
    assert found is not None and read_policy(found) is None


def test_another_decorator_is_no_policy() -> None:
    function, parsed = function_with(cst.Decorator(cst.parse_expression("permissions(uses=())")))
    assert policy_decorator(function, parsed.qualified) is None


@pytest.mark.parametrize(
    ("use", "policy", "covered"),
    [
        ("exec:git", ("exec:git",), True),
        ("fs:read:/srv", ("fs:write:/srv",), True),
        ("fs:write:/srv", ("fs:read:/srv",), False),
        ("net:api.example.com:", ("net:api.example.com:443",), True),
        ("net:api.example.com:443", ("net:api.example.com:",), False),
        ("net:api.example.co:", ("net:api.example.com:443",), False),
    ],
)
def test_what_a_policy_covers_is_what_the_runtime_allows(
    use: str, policy: tuple[str, ...], covered: bool
) -> None:
    assert covered_by(use, policy) is covered
    # The runtime's own judgement of the same use under the same policy (no allow-lists set).
    listed = frozenset(policy)
    assert (use in listed or runtime._permitted(use, listed)) is covered
