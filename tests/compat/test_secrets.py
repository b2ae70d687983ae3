"""Phase 5's secrets part against this environment's SDK, through its own in-memory client.

A server of this SDK whose tools return a secret environment variable's value (in a structured
result, in a JSON dump of the environment) and a token of a well-known form is written to a
temporary directory, hardened there with the installed `harden apply --phase 5 --only secrets
--in-place`, and called as written and as hardened. Warn-only (the default), every result is
what the server as written returns and the runtime logs SECRET_WOULD_REDACT per tool, kind and
variable, never a value; under ENFORCE_SECRET_MASKING=true the client gets `[redacted:NAME]` in
place of each secret, and nothing else of the result changes. A value shorter than 8 characters
(`DEBUG_TOKEN=1`) is never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from compat_support import FAMILY, JSON, connect, events, loaded_as_deployed
from conftest import harden_command

API_KEY = "sk-live-9c1e3f5a7b2d4e6f"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMtYm90In0.c2lnbmF0dXJlLXNpZ25lZA"
ENVIRONMENT = {"BILLING_API_KEY": API_KEY, "DEBUG_TOKEN": "1"}

SERVER_CLASS = {
    "mcp1": "from mcp.server.fastmcp import FastMCP as Server\n",
    "mcp2": "from mcp.server.mcpserver import MCPServer as Server\n",
    "fastmcp": "from fastmcp import FastMCP as Server\n",
}[FAMILY]

SOURCE = f"""\
from __future__ import annotations

import json
import os

{SERVER_CLASS}
mcp = Server("billing")


@mcp.tool()
def get_config(region: str) -> dict[str, str]:
    return {{"region": region, "api_key": os.environ["BILLING_API_KEY"]}}


@mcp.tool()
def dump_env() -> str:
    return json.dumps({{k: v for k, v in os.environ.items()}})


@mcp.tool()
def session_token() -> str:
    return "Bearer {JWT}"


@mcp.tool()
def debug_flag() -> str:
    return "DEBUG_TOKEN=" + os.environ["DEBUG_TOKEN"]
"""
CALLS = {
    "get_config": {"region": "eu"},
    "dump_env": {},
    "session_token": {},
    "debug_flag": {},
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    original = tmp_path_factory.mktemp("secrets-original")
    hardened = tmp_path_factory.mktemp("secrets-hardened")
    for directory in (original, hardened):
        (directory / "billing_server.py").write_text(SOURCE)
    process = subprocess.run(
        [harden_command(), "apply", "-p", "5", "--only", "secrets", "--in-place", str(hardened)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    return {"original": original, "hardened": hardened, "output": process.stderr}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ENFORCE_SECRET_MASKING", raising=False)
    monkeypatch.delenv("HARDEN_SECRET_ALLOW", raising=False)
    yield


async def _exchange(module: ModuleType) -> dict[str, JSON]:
    async with connect(module.mcp) as session:
        return {name: await session.call_tool(name, arguments) for name, arguments in CALLS.items()}


def run(directory: Path, label: str) -> tuple[dict[str, JSON], list[dict[str, Any]]]:
    """Each call's result on the server in `directory`, and the runtime's lines meanwhile."""
    with loaded_as_deployed(directory / "billing_server.py", label) as (module, captured):
        results = asyncio.run(_exchange(module))
    stderr = captured.getvalue()
    assert API_KEY not in stderr and JWT not in stderr, "a secret's value was logged"
    return results, [e for e in events(stderr) if e["event"].startswith("SECRET_")]


def found(lines: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    return {(line["tool"], line["kind"], line["name"]) for line in lines}


def test_the_scan_reports_the_exposures_and_every_tool_is_guarded(servers: dict) -> None:
    source = (servers["hardened"] / "billing_server.py").read_text()
    assert source.count("@harden_runtime.mask_secrets") == len(CALLS)
    output = servers["output"]
    assert "secret-exposure" in output or "returns the secret variable BILLING_API_KEY" in output


@pytest.mark.usefixtures("environment")
def test_warn_only_results_are_unchanged_and_each_secret_is_logged(servers: dict) -> None:
    before, quiet = run(servers["original"], "original")
    after, lines = run(servers["hardened"], "hardened")
    assert quiet == []
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert API_KEY in json.dumps(before["get_config"]), "the test must start from a leak"
    assert found(lines) == {
        ("get_config", "env", "BILLING_API_KEY"),
        ("dump_env", "env", "BILLING_API_KEY"),
        ("session_token", "JWT", None),
    }
    assert {line["event"] for line in lines} == {"SECRET_WOULD_REDACT"}


@pytest.mark.usefixtures("environment")
def test_enforced_the_client_gets_each_secret_redacted(
    servers: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _ = run(servers["original"], "original")
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    after, lines = run(servers["hardened"], "hardened")
    assert {line["event"] for line in lines} == {"SECRET_REDACTED"}
    shown = json.dumps(after)
    assert API_KEY not in shown and JWT not in shown
    config = after["get_config"]
    text = config["content"][0]["text"]
    assert "[redacted:BILLING_API_KEY]" in text and '"eu"' in text
    if config.get("structuredContent"):
        assert config["structuredContent"]["api_key"] == "[redacted:BILLING_API_KEY]"
        assert config["structuredContent"]["region"] == "eu"
    dumped = json.loads(after["dump_env"]["content"][0]["text"])
    assert dumped["BILLING_API_KEY"] == "[redacted:BILLING_API_KEY]"
    assert dumped["DEBUG_TOKEN"] == "1"
    before_keys = json.loads(before["dump_env"]["content"][0]["text"]).keys()
    assert dumped.keys() - {"ENFORCE_SECRET_MASKING"} == before_keys
    assert after["session_token"]["content"][0]["text"] == "Bearer [redacted:JWT]"
    assert after["debug_flag"] == before["debug_flag"], "a short value is no secret"
    assert os.environ["DEBUG_TOKEN"] == "1"
