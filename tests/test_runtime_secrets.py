"""The runtime's mask_secrets decorator, through the mcp 1.x SDK's in-memory client.

A result a client gets that holds the value of a secret-looking environment variable, or a
credential of a well-known form, must log SECRET_WOULD_REDACT (tool, kind, variable name; never
the value) and go out unchanged; under ENFORCE_SECRET_MASKING=true each occurrence must become
`[redacted:NAME]`, in the text content and in the structured content alike. Short values and
allow-listed ones are no secrets; a direct call is never touched.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import OrderedDict
from typing import Any, NamedTuple

import anyio
import pytest
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session
from pydantic import BaseModel

from harden import runtime
from harden.codemods.secret_returns import NOT_SECRET_NAMES, SECRET_NAME

pytestmark = pytest.mark.usefixtures("fresh_runtime")

API_KEY = "sk-live-4f9a1c2e7b3d5a6f"
QUOTED_PASSWORD = 'pa"ss\\word-77'  # as a JSON dump shows it: escaped
AWS = "AKIAQWERTYUIOPASDFGH"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-1234567890-abcdefghij"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl"
KEY_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


@dataclasses.dataclass
class Settings:
    region: str
    key: str


class Config(BaseModel):
    region: str
    key: str


@dataclasses.dataclass(frozen=True)
class Frozen:
    key: str
    derived: str = dataclasses.field(init=False, default="")


class Pair(NamedTuple):
    name: str
    value: str


def deep(levels: int, value: object) -> object:
    for _ in range(levels):
        value = [value]
    return value


def server() -> FastMCP:
    mcp = FastMCP("secrets")

    @mcp.tool()
    @runtime.observe
    @runtime.mask_secrets
    def get_config() -> str:
        return f"region=eu key={os.environ['SERVICE_API_KEY']}"

    @mcp.tool()
    @runtime.mask_secrets
    def dump_env() -> str:
        return json.dumps(dict(os.environ))

    @mcp.tool()
    @runtime.mask_secrets
    def structured() -> Config:
        return Config(region="eu", key=os.environ["SERVICE_API_KEY"])

    @mcp.tool()
    @runtime.mask_secrets
    def nested() -> dict[str, Any]:
        return {"items": [{"settings": Settings("eu", os.environ["SERVICE_API_KEY"])}]}

    @mcp.tool()
    @runtime.mask_secrets
    def shapes() -> str:
        return "\n".join(
            [AWS, GITHUB, SLACK, JWT, KEY_BLOCK, "postgres://app:hunter22@db:5432/app"]
        )

    @mcp.tool()
    @runtime.mask_secrets
    def compact_json() -> str:
        # A URL and an e-mail address in compact JSON: no password there.
        return json.dumps(
            {"homepage": "https://api.example.com", "email": "bob@example.com"},
            separators=(",", ":"),
        )

    @mcp.tool()
    @runtime.mask_secrets
    def keyed() -> dict[str, int]:
        return {os.environ["SERVICE_API_KEY"]: 1}

    @mcp.tool()
    @runtime.mask_secrets
    def buried() -> list[Any]:
        return deep(12, os.environ["SERVICE_API_KEY"])  # type: ignore[return-value]

    @mcp.tool()
    @runtime.mask_secrets
    async def harmless() -> str:
        return "DEBUG=1 PORT=8080 see https://example.org/docs and ~/.ssh"

    return mcp


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_API_KEY", API_KEY)
    monkeypatch.setenv("DB_PASSWORD", QUOTED_PASSWORD)
    monkeypatch.setenv("DEBUG_TOKEN", "1")  # too short to be a secret
    monkeypatch.setenv("REGION", "eu-west-1-long")  # not a secret's name


def call(tool: str) -> Any:
    async def run() -> Any:
        async with create_connected_server_and_client_session(server()._mcp_server) as client:
            return await client.call_tool(tool, {})

    return anyio.run(run)


def lines(capsys: pytest.CaptureFixture[str], event: str = "SECRET_WOULD_REDACT") -> list[dict]:
    captured = capsys.readouterr()
    assert captured.out == ""
    escaped = json.dumps(QUOTED_PASSWORD)[1:-1]
    for secret in (API_KEY, QUOTED_PASSWORD, escaped, AWS, GITHUB, SLACK, JWT, "MIIEpAIBAAKCAQEA"):
        assert secret not in captured.err, "a secret's value must never be logged"
    records = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    return [r for r in records if r["event"] == event]


def found(records: list[dict]) -> set[tuple[str, str | None, int]]:
    return {(r["kind"], r["name"], r["count"]) for r in records}


@pytest.mark.usefixtures("environment")
def test_warn_only_logs_the_variable_and_sends_the_result_unchanged(capsys) -> None:
    result = call("get_config")
    assert result.content[0].text == f"region=eu key={API_KEY}"
    (record,) = lines(capsys)
    assert (record["tool"], record["caller"]) == ("get_config", "local")
    assert found([record]) == {("env", "SERVICE_API_KEY", 1)}


@pytest.mark.usefixtures("environment")
def test_enforce_redacts_each_occurrence_with_the_variable_name(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    assert call("get_config").content[0].text == "region=eu key=[redacted:SERVICE_API_KEY]"
    assert found(lines(capsys, "SECRET_REDACTED")) == {("env", "SERVICE_API_KEY", 1)}


@pytest.mark.usefixtures("environment")
def test_a_dumped_environment_is_redacted_escaped_values_included(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    text = call("dump_env").content[0].text
    dumped = json.loads(text)  # still the JSON it was
    assert dumped["SERVICE_API_KEY"] == "[redacted:SERVICE_API_KEY]"
    assert dumped["DB_PASSWORD"] == "[redacted:DB_PASSWORD]"
    assert dumped["DEBUG_TOKEN"] == "1" and dumped["REGION"] == "eu-west-1-long"
    names = {r["name"] for r in lines(capsys, "SECRET_REDACTED")}
    assert {"SERVICE_API_KEY", "DB_PASSWORD"} <= names
    assert not names & {"DEBUG_TOKEN", "REGION", "PWD", "PATH", "HOME"}


@pytest.mark.usefixtures("environment")
def test_structured_content_and_nested_models_are_redacted(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    result = call("structured")
    assert result.structuredContent == {"region": "eu", "key": "[redacted:SERVICE_API_KEY]"}
    assert API_KEY not in result.content[0].text
    nested = call("nested")
    assert API_KEY not in nested.content[0].text
    assert "[redacted:SERVICE_API_KEY]" in nested.content[0].text
    assert len(lines(capsys, "SECRET_REDACTED")) == 2


def test_credentials_of_well_known_forms_are_found_wherever_they_come_from(
    capsys, monkeypatch
) -> None:
    result = call("shapes").content[0].text
    assert AWS in result, "warn-only: unchanged"
    assert found(lines(capsys)) == {
        ("AWS_ACCESS_KEY", None, 1),
        ("GITHUB_TOKEN", None, 1),
        ("SLACK_TOKEN", None, 1),
        ("JWT", None, 1),
        ("PRIVATE_KEY", None, 1),
        ("URL_PASSWORD", None, 1),
    }
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    assert call("shapes").content[0].text.splitlines() == [
        "[redacted:AWS_ACCESS_KEY]",
        "[redacted:GITHUB_TOKEN]",
        "[redacted:SLACK_TOKEN]",
        "[redacted:JWT]",
        "[redacted:PRIVATE_KEY]",
        "postgres://app:[redacted:URL_PASSWORD]@db:5432/app",
    ]


@pytest.mark.usefixtures("environment")
def test_short_values_allowed_names_and_allowed_values_are_no_secrets(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    assert call("harmless").content[0].text.startswith("DEBUG=1 PORT=8080")
    assert lines(capsys, "SECRET_REDACTED") == []
    monkeypatch.setenv("HARDEN_SECRET_ALLOW", f"SERVICE_API_KEY,{AWS}")
    assert call("get_config").content[0].text == f"region=eu key={API_KEY}"
    assert AWS in call("shapes").content[0].text.splitlines()
    assert ("AWS_ACCESS_KEY", None, 1) not in found(lines(capsys, "SECRET_REDACTED"))


@pytest.mark.usefixtures("environment")
def test_a_direct_call_is_never_touched(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    tool = server()._tool_manager.get_tool("get_config")
    assert tool is not None
    assert tool.fn() == f"region=eu key={API_KEY}"
    assert lines(capsys, "SECRET_REDACTED") == []


@pytest.mark.usefixtures("environment")
def test_a_url_in_compact_json_is_no_password(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    text = call("compact_json").content[0].text
    assert json.loads(text)["email"] == "bob@example.com"
    assert lines(capsys, "SECRET_REDACTED") == []


@pytest.mark.usefixtures("environment")
def test_a_secret_that_cannot_be_redacted_is_logged_and_withheld_under_enforce(
    capsys, monkeypatch
) -> None:
    for tool in ("keyed", "buried"):
        result = call(tool)
        assert API_KEY in json.dumps(result.model_dump()), "warn-only: unchanged"
        assert found(lines(capsys)) == {("env", "SERVICE_API_KEY", 1)}, tool
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    for tool in ("keyed", "buried"):
        result = call(tool)
        assert result.isError and API_KEY not in json.dumps(result.model_dump())
        assert "withheld" in result.content[0].text
        (record,) = lines(capsys, "SECRET_REDACTED")
        assert record["withheld"] is True


@pytest.mark.usefixtures("environment")
def test_results_keep_their_types_when_redacted(monkeypatch) -> None:
    monkeypatch.setenv("ENFORCE_SECRET_MASKING", "true")
    runtime.configure()
    redacted = "[redacted:SERVICE_API_KEY]"
    settings = runtime._settings()
    found: dict = {}
    redact = runtime._redactor(settings, API_KEY, found)
    assert redact is not None
    frozen = runtime._redacted(Frozen(API_KEY), redact, 0)
    assert isinstance(frozen, Frozen) and frozen.key == redacted
    pair = runtime._redacted(Pair("k", API_KEY), redact, 0)
    assert isinstance(pair, Pair) and pair.value == redacted
    ordered = runtime._redacted(OrderedDict(a=API_KEY), redact, 0)
    assert isinstance(ordered, OrderedDict) and ordered["a"] == redacted


def test_paths_numbers_and_lowercase_words_are_no_secrets(monkeypatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/srv/app/credentials.json")
    monkeypatch.setenv("DB_PASSWORD", "1234567890")
    monkeypatch.setenv("SORT_KEY", "customer_id")
    monkeypatch.setenv("PASSWORD_STORE_DIR", "/home/app/.password-store")
    monkeypatch.setenv("HARDEN_SECRET_ALLOW", "SOME_API_KEY")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_51Habc0123456789")
    runtime.configure()
    names = {name for _, name, _ in runtime._settings().secrets}
    assert "STRIPE_API_KEY" in names
    assert not names & {
        "GOOGLE_APPLICATION_CREDENTIALS",
        "DB_PASSWORD",
        "SORT_KEY",
        "PASSWORD_STORE_DIR",
        "HARDEN_SECRET_ALLOW",
    }


def test_text_a_client_shapes_costs_one_pass_not_a_backtracking_search() -> None:
    """A JWT-like run and many key headers with no end: found as candidates, never
    searched again from each position (the old patterns took seconds on these)."""
    settings = runtime._settings()
    for text in ("eyJ" * 100_000 + ".", "-----BEGIN RSA PRIVATE KEY-----" * 5_000):
        found: dict = {}
        redact = runtime._redactor(settings, text, found)
        assert redact is not None
        assert found in ({}, {("PRIVATE_KEY", None): 5_000})
    jwt_found: dict = {}
    runtime._redactor(settings, f"token: {JWT}.", jwt_found)
    assert jwt_found == {("JWT", None): 1}


def test_the_scan_and_the_runtime_agree_on_what_names_a_secret() -> None:
    assert SECRET_NAME.pattern == runtime._SECRET_NAME.pattern
    assert NOT_SECRET_NAMES == runtime._NOT_SECRET_NAMES
