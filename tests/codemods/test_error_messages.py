"""The error-messages codemod: which exception text it rewrites, what it leaves, what it reports.

Each idiom is rewritten inside a tool handler of an mcp 1.x FastMCP server; the output must
compile, change nothing when the codemod runs again, and keep everything but the exception's
part. Refusals are checked with their reason, since the reason is what every report shows.
tests/codemods/test_error_messages_mcp.py calls the rewritten tools through a real client.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harden.codemods.base import FileRun
from harden.codemods.error_messages import ErrorMessages
from harden.codemods.mask_errors import MaskErrors
from harden.findings.model import Severity
from harden.phases import PhaseError, get_phase

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

HEADER = """\
import json
import logging
import traceback

from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.shared.exceptions import McpError
from mcp.types import CallToolResult, ErrorData, TextContent

mcp = FastMCP("demo")
BASE_URL = "https://internal.example:8443"


class LookupFailed(Exception):
    pass


"""

TOOL = """\
@mcp.tool()
async def lookup(path: str, ctx: Context):
    try:
        return backend(path)
    except Exception as e:
{lines}
"""


def tool(*lines: str) -> str:
    return TOOL.format(lines="\n".join(f"        {line}" for line in lines))


def rewrite(apply: Apply, source: str) -> tuple[str, FileRun]:
    """The codemod's output, checked to compile and to be left alone by a second run."""
    new, run = apply(source, ErrorMessages)
    compile(new, "after.py", "exec")
    again, second = apply(new, ErrorMessages)
    assert again == new
    assert not second.accepted
    return new, run


def from_tool(code: str) -> str:
    return code[code.index("@mcp.tool()") :]


REF = "harden_runtime.error_ref"

# id -> (the except block's lines, what they become)
IDIOMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "f-string": (('return f"Error: {e}"',), (f'return f"Error: {{{REF}(e)}}"',)),
    "repr-conversion": (('return f"Error: {e!r}"',), (f'return f"Error: {{{REF}(e)}}"',)),
    "concatenation": (('return "Failed: " + str(e)',), (f'return "Failed: " + {REF}(e)',)),
    "str": (("return str(e)",), (f"return {REF}(e)",)),
    "repr": (("return repr(e)",), (f"return {REF}(e)",)),
    "format-exc": (("return traceback.format_exc()",), (f"return {REF}()",)),
    "format-exception": (
        ('return "".join(traceback.format_exception(e))',),
        (f'return "".join([{REF}(e)])',),
    ),
    "percent": (('return "Error: %s" % e',), (f'return "Error: %s" % {REF}(e)',)),
    "percent-tuple": (
        ('return "%s failed: %s" % (path, e)',),
        (f'return "%s failed: %s" % (path, {REF}(e))',),
    ),
    "format": (('return "Error: {}".format(e)',), (f'return "Error: {{}}".format({REF}(e))',)),
    "dict": (('return {"error": str(e)}',), (f'return {{"error": {REF}(e)}}',)),
    "dict-of-exception": (('return {"error": e}',), (f'return {{"error": {REF}(e)}}',)),
    "success-dict": (
        ('return {"success": False, "error": f"Lookup failed: {e}"}',),
        (f'return {{"success": False, "error": f"Lookup failed: {{{REF}(e)}}"}}',),
    ),
    "json-dumps": (
        ('return json.dumps({"ok": False, "error": str(e)})',),
        (f'return json.dumps({{"ok": False, "error": {REF}(e)}})',),
    ),
    "text-content": (
        ('return [TextContent(type="text", text=f"Error: {e}")]',),
        (f'return [TextContent(type="text", text=f"Error: {{{REF}(e)}}")]',),
    ),
    "call-tool-result": (
        ('return CallToolResult(isError=True, content=[TextContent(type="text", text=str(e))])',),
        (
            "return CallToolResult(isError=True, "
            f'content=[TextContent(type="text", text={REF}(e))])',
        ),
    ),
    "exception-attribute": (
        ('return f"git failed: {e.stderr}"',),
        (f'return f"git failed: {{{REF}(e, e.stderr)}}"',),
    ),
    "exception-args": (("return str(e.args[0])",), (f"return {REF}(e, e.args[0])",)),
    "class-name-kept": (
        ('return f"{type(e).__name__}: {e}"',),
        (f'return f"{{type(e).__name__}}: {{{REF}(e)}}"',),
    ),
    "raise-value-error": (
        ('raise ValueError(f"Invalid input: {e}") from e',),
        (f'raise ValueError(f"Invalid input: {{{REF}(e)}}") from e',),
    ),
    "raise-runtime-error": (
        ("raise RuntimeError(str(e))",),
        (f"raise RuntimeError({REF}(e))",),
    ),
    "raise-exception-object": (("raise Exception(e)",), (f"raise Exception({REF}(e))",)),
    "raise-custom": (
        ('raise LookupFailed(f"lookup of {path} failed: {e}") from e',),
        (f'raise LookupFailed(f"lookup of {{path}} failed: {{{REF}(e)}}") from e',),
    ),
    "raise-tool-error": (
        ("raise ToolError(str(e)) from e",),
        (f"raise ToolError({REF}(e)) from e",),
    ),
    "raise-mcp-error": (
        ("raise McpError(ErrorData(code=-32603, message=str(e)))",),
        (f"raise McpError(ErrorData(code=-32603, message={REF}(e)))",),
    ),
    "ctx-error": (
        ('await ctx.error(f"lookup failed: {e}")', 'return "failed"'),
        (f'await ctx.error(f"lookup failed: {{{REF}(e)}}")', 'return "failed"'),
    ),
    "nested-messages": (
        ('return "a: " + shorten(str(e)) + f" / {e}"',),
        (f'return "a: " + shorten({REF}(e)) + f" / {{{REF}(e)}}"',),
    ),
    "variable": (
        ('message = f"Error: {e}"', "logging.error(message)", "return message"),
        (f'message = f"Error: {{{REF}(e)}}"', "logging.error(message)", "return message"),
    ),
    "appended": (
        ("errors = []", 'errors.append(f"{path}: {e}")', 'return "\\n".join(errors)'),
        ("errors = []", f'errors.append(f"{{path}}: {{{REF}(e)}}")', 'return "\\n".join(errors)'),
    ),
}


@pytest.mark.parametrize(("before", "after"), IDIOMS.values(), ids=IDIOMS.keys())
def test_each_idiom_is_rewritten(apply: Apply, before: tuple[str, ...], after: tuple[str, ...]):
    new, run = rewrite(apply, HEADER + tool(*before))
    assert from_tool(new) == tool(*after)
    assert "import harden_runtime\n" in new
    assert run.accepted and not run.unfixed
    assert run.uses_runtime


def test_format_exc_drops_the_traceback_import_only_when_unused(apply: Apply) -> None:
    source = HEADER + tool("return traceback.format_exc()")
    new, _ = rewrite(apply, source)
    assert "import traceback\n" not in new
    new, _ = rewrite(apply, source + "\n\ndef debug():\n    traceback.print_stack()\n")
    assert "import traceback\n" in new


def test_a_message_keeps_its_other_values_and_names_them_for_the_reviewer(apply: Apply) -> None:
    new, run = rewrite(apply, HEADER + tool('return f"GET {BASE_URL}/{path} failed: {e}"'))
    assert f'return f"GET {{BASE_URL}}/{{path}} failed: {{{REF}(e)}}"' in new
    (rewrite_,) = run.accepted
    assert "Kept as they were: `BASE_URL`, `path`" in rewrite_.note
    assert "keeps its type, keys and isError" in rewrite_.note
    assert rewrite_.before == 'f"GET {BASE_URL}/{path} failed: {e}"'


def test_notes_say_what_kind_of_place_changed(apply: Apply) -> None:
    _, run = rewrite(apply, HEADER + tool("raise ValueError(str(e)) from e"))
    assert "The same exception type is raised" in run.accepted[0].note
    _, run = rewrite(apply, HEADER + tool('await ctx.error(f"{e}")', "return None"))
    assert "log notification carries the reference" in run.accepted[0].note


def test_one_message_is_one_rewrite(apply: Apply) -> None:
    new, run = rewrite(apply, HEADER + tool('return f"{e}\\n{traceback.format_exc()}"'))
    assert f'return f"{{{REF}(e)}}\\n{{{REF}()}}"' in new
    assert len(run.accepted) == 1
    assert [f.severity for f in run.detected()] == [Severity.HIGH]


# -- left alone -----------------------------------------------------------------------------------

LEFT_ALONE = {
    "deliberate-text": ('return "Lookup failed"',),
    "deliberate-tool-error": ('raise ToolError("Lookup failed") from e',),
    "logged-only": ('logging.error(f"lookup failed: {e}")', 'return "Lookup failed"'),
    "exit-code": ('return f"exit status {e.returncode}"',),
    "class-name": ('return f"{type(e).__name__} while reading"',),
    "tested-not-shown": ('return {"retry": "timeout" in str(e)}',),
    "measured-not-shown": ("return len(str(e))",),
    "re-raised": ("raise",),
    "raised-as-is": ("raise e",),
}


@pytest.mark.parametrize("lines", LEFT_ALONE.values(), ids=LEFT_ALONE.keys())
def test_messages_without_exception_text_are_left_alone(apply: Apply, lines: tuple[str, ...]):
    source = HEADER + tool(*lines)
    new, run = apply(source, ErrorMessages)
    assert new == source
    assert not run.proposed and not run.unfixed


def test_functions_no_handler_calls_are_left_alone(apply: Apply) -> None:
    source = (
        HEADER
        + "def report(e: Exception) -> str:\n    return f'failed: {e}'\n\n\n"
        + "def unused():\n    try:\n        pass\n    except OSError as e:\n        return str(e)\n"
    )
    new, run = apply(source, ErrorMessages)
    assert new == source
    assert not run.proposed and not run.unfixed


# -- helpers --------------------------------------------------------------------------------------

HELPER_SERVER = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("files")


def error_result(error, action):
    """One shape for every tool's failure."""
    return {"ok": False, "error": f"{action} failed: {error}"}


@mcp.tool()
def read(path: str) -> dict:
    try:
        return {"ok": True, "text": open(path).read()}
    except OSError as e:
        return error_result(e, "read")


@mcp.tool()
def remove(path: str) -> dict:
    try:
        os.remove(path)
    except OSError as err:
        return error_result(err, action="remove")
    return {"ok": True}
'''


def test_a_central_helper_is_rewritten_once_and_its_callers_left_alone(apply: Apply) -> None:
    new, run = rewrite(apply, HELPER_SERVER)
    assert len(run.accepted) == 1
    (change,) = run.accepted
    assert change.after == f'f"{{action}} failed: {{{REF}(error)}}"'
    assert "`error_result` is called by MCP handlers" in change.note
    assert new == HELPER_SERVER.replace(
        'f"{action} failed: {error}"', f'f"{{action}} failed: {{{REF}(error)}}"'
    ).replace(
        "from mcp.server.fastmcp import FastMCP\n",
        "from mcp.server.fastmcp import FastMCP\nimport harden_runtime\n",
    )


def test_helpers_are_followed_through_methods_and_several_levels(apply: Apply) -> None:
    source = (
        HEADER
        + "class Tools:\n"
        + "    def __init__(self, server: FastMCP) -> None:\n"
        + "        server.tool()(self.fetch)\n\n"
        + "    def fetch(self, url: str) -> str:\n"
        + "        try:\n            return get(url)\n"
        + "        except OSError as e:\n            return self._fail(e)\n\n"
        + "    def _fail(self, error: OSError) -> str:\n"
        + "        return _describe(error)\n\n\n"
        + "def _describe(error: BaseException | None) -> str:\n"
        + "    return 'failed: ' + repr(error)\n"
    )
    new, run = rewrite(apply, source)
    assert f"return 'failed: ' + {REF}(error)\n" in new
    assert len(run.accepted) == 1


def test_a_helper_some_callers_give_other_values_is_reported(apply: Apply) -> None:
    source = HELPER_SERVER.replace(
        '    return {"ok": True}\n',
        '    return error_result("nothing to do", action="remove")\n',
    )
    new, run = apply(source, ErrorMessages)
    assert new == source
    (unfixed,) = run.unfixed
    assert unfixed.reason.startswith("`error` holds an exception only on some paths")
    assert unfixed.finding.rule_id == "error-text-leak"


def test_a_helper_annotated_to_take_an_exception_or_a_message_is_reported(apply: Apply) -> None:
    # `_json_error(e)` from one tool, `_json_error("x is required")` from another: rewriting
    # the helper would hide the message written for the client.
    for annotation in ("Exception | str", "Union[str, OSError]", "Optional[Exception | str]"):
        source = HELPER_SERVER.replace(
            "from mcp.server.fastmcp import FastMCP\n",
            "from typing import Optional, Union\n\nfrom mcp.server.fastmcp import FastMCP\n",
        ).replace(
            "def error_result(error, action):", f"def error_result(error: {annotation}, action):"
        )
        new, run = apply(source, ErrorMessages)
        assert new == source, annotation
        (unfixed,) = run.unfixed
        assert unfixed.reason.startswith("`error` holds an exception only on some paths")


# -- reported, not rewritten ----------------------------------------------------------------------

REFUSED = {
    "format-reads-attributes": (
        ('return "cannot open {0.filename}: {0.strerror}".format(e)',),
        "the format string reads `{0.filename}` from the exception",
    ),
    "format-reads-named-attribute": (
        ('return "cannot open {err.filename}".format(err=e)',),
        "the format string reads `{err.filename}` from the exception",
    ),
    "format-not-literal": (
        ("return TEMPLATE.format(e)",),
        "the format string is not a literal harden can read",
    ),
    "handed-to-another-module": (
        ("return describe_error(e)",),
        "the exception goes to `describe_error`, imported from `.errors`; harden rewrites "
        "only what this module's own functions build",
    ),
}


@pytest.mark.parametrize(("lines", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_leaks_it_cannot_rewrite_are_reported(
    apply: Apply, lines: tuple[str, ...], reason: str
) -> None:
    source = "from .errors import describe_error\n" + HEADER + tool(*lines)
    new, run = apply(source, ErrorMessages)
    assert new == source
    assert [u.reason for u in run.unfixed] == [reason]
    assert run.detected()[0].rule_id == "error-text-leak"


def test_a_handler_it_cannot_prove_is_reported_with_the_reason(apply: Apply) -> None:
    source = (
        "import traceback\n\nfrom .app import mcp\n\n\n"
        "def _fail(e: Exception) -> str:\n    return f'failed: {e}'\n\n\n"
        "@mcp.tool()\n"
        "def ping(host: str) -> str:\n"
        "    try:\n        return probe(host)\n"
        "    except Exception as e:\n"
        "        return traceback.format_exc() if host else _fail(e)\n"
    )
    new, run = apply(source, ErrorMessages)
    assert new == source
    reasons = sorted(u.reason for u in run.unfixed)
    assert reasons == [
        "`_fail` is not provably an MCP handler: it is only called from such a function",
        "`ping` is not provably an MCP handler: `mcp` is imported from `.app`; its class is "
        "not visible in this module",
    ]
    severities = {u.finding.line: u.finding.severity for u in run.unfixed}
    assert sorted(severities.values()) == [Severity.MEDIUM, Severity.HIGH]


def test_scan_reports_every_leak_with_a_message(apply: Apply) -> None:
    source = HEADER + tool('return {"error": str(e), "trace": traceback.format_exc()}')
    _, run = apply(source, ErrorMessages)
    found = run.detected()
    assert [f.severity for f in found] == [Severity.MEDIUM, Severity.HIGH]
    assert found[0].message == "an exception's text reaches the client: returned by `lookup`"
    assert found[1].message == "a traceback reaches the client: returned by `lookup`"


# -- the framework default: mask_errors -----------------------------------------------------------


def test_mask_errors_goes_innermost_and_notes_fastmcps_own_switch(apply: Apply) -> None:
    source = (
        "from fastmcp import FastMCP\n\n"
        'mcp = FastMCP("x")\n\n\n'
        "@mcp.tool()\n"
        "def ping() -> str:\n"
        '    return "pong"\n'
    )
    new, run = apply(source, MaskErrors)
    assert "@mcp.tool()\n@harden_runtime.mask_errors\ndef ping" in new
    assert "mask_error_details=True" in run.accepted[0].note
    _, run = apply(source.replace("from fastmcp", "from mcp.server.fastmcp"), MaskErrors)
    assert "mask_error_details" not in run.accepted[0].note
    assert run.detected()[0].rule_id == "mcp-tool-error-unmasked"


# -- phase 5 halves -------------------------------------------------------------------------------


def test_phase_5_has_a_commands_an_errors_and_a_secrets_part() -> None:
    phase = get_phase(5)
    assert phase.codemod_ids == ("shell-commands", "error-messages", "mask-errors", "mask-secrets")
    errors = phase.only("errors")
    assert (errors.slug, errors.codemod_ids) == ("errors", ("error-messages", "mask-errors"))
    assert phase.only("commands").codemod_ids == ("shell-commands",)
    assert phase.only("secrets").codemod_ids == ("mask-secrets",)
    with pytest.raises(PhaseError, match="phase 5 has no part 'shell'; its parts are commands"):
        phase.only("shell")
    with pytest.raises(PhaseError, match=r"phase 1 \(observe\) has no parts to pick with --only"):
        get_phase(1).only("errors")
