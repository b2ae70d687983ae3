"""Messages written for the client keep their exception's text, and the review note says why.

Phase 5 replaces an exception's text with a reference, because it is written for the developer.
Three kinds of exception are written for the client instead, and stay: pydantic's validation
error, the project's own exception classes raised only with literal messages and plain-data
arguments, and what a `try` block raises itself with a literal message. Everything else, and
any clause that also catches something else, is still rewritten.
"""

from __future__ import annotations

import textwrap

from harden import engine

ERRORS = """\
    class CommandSecurityError(Exception):
        '''A command the policy refuses.'''


    def check(command: str) -> None:
        if "rm" in command:
            raise CommandSecurityError(f"command not allowed: {command}")
"""

SERVER = """\
    import subprocess

    from mcp.server.fastmcp import FastMCP
    from pydantic import BaseModel, ValidationError

    from .errors import CommandSecurityError, check

    mcp = FastMCP("ops")


    class Query(BaseModel):
        limit: int


    @mcp.tool()
    def run(command: str) -> str:
        try:
            check(command)
            return subprocess.run(["echo", command], capture_output=True, text=True).stdout
        except CommandSecurityError as e:
            return f"Security violation: {e}"
        except OSError as e:
            return f"Error: {e}"


    @mcp.tool()
    def either(command: str) -> str:
        try:
            check(command)
            return open(command).read()
        except (CommandSecurityError, OSError) as e:
            return f"Error: {e}"


    @mcp.tool()
    def query(limit: str) -> str:
        try:
            return str(Query.model_validate({"limit": limit}).limit)
        except ValidationError as e:
            return f"Invalid input: {e}"


    @mcp.tool()
    def positive(n: int) -> str:
        try:
            if n < 0:
                raise ValueError("n must not be negative")
        except ValueError as e:
            return f"Error: {e}"
        try:
            if n > 100:
                raise ValueError("n is too large")
            return str(int(str(n)))
        except ValueError as e:
            return f"Error: {e}"
"""


def test_messages_meant_for_the_client_stay_and_the_rest_become_references() -> None:
    files = [
        ("pkg/__init__.py", ""),
        ("pkg/errors.py", textwrap.dedent(ERRORS)),
        ("pkg/server.py", textwrap.dedent(SERVER)),
    ]
    changes = engine.apply(files, ["error-messages"], phase=5, jobs=1)
    rewritten = {(r.path, r.span.line): r.before for r in changes.rewrites}
    # OSError's text, a clause that also catches OSError, and a try block that calls int()
    assert rewritten == {
        ("pkg/server.py", 23): 'f"Error: {e}"',
        ("pkg/server.py", 32): 'f"Error: {e}"',
        ("pkg/server.py", 55): 'f"Error: {e}"',
    }
    assert changes.kept == [
        "pkg/server.py:21: kept the exception's text: `CommandSecurityError` is the project's "
        "own exception, raised everywhere with messages built only from literals and the "
        "raising function's arguments",
        "pkg/server.py:40: kept the exception's text: `ValidationError` is pydantic's "
        "validation error, which names the invalid argument",
        "pkg/server.py:49: kept the exception's text: the `try` block raises it itself with a "
        "literal message, and calls nothing else",
    ]


def test_a_message_built_from_another_exception_makes_the_class_a_leak_again() -> None:
    leaky = (
        ERRORS
        + """

    def wrap(error: Exception) -> None:
        raise CommandSecurityError(str(error))
    """
    )
    files = [
        ("pkg/__init__.py", ""),
        ("pkg/errors.py", textwrap.dedent(leaky)),
        ("pkg/server.py", textwrap.dedent(SERVER)),
    ]
    changes = engine.apply(files, ["error-messages"], phase=5, jobs=1)
    assert ("pkg/server.py", 21) in {(r.path, r.span.line) for r in changes.rewrites}
    assert not any("CommandSecurityError" in note for note in changes.kept)
