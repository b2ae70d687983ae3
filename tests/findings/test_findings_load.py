"""Loading a findings file: format told by content, and every failure a one-line FindingsError.

These tests must never rely on a file's name or extension to pick the reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harden.findings.load import (
    UNKNOWN,
    FindingsError,
    detect_format,
    load_findings,
    read_findings,
)

Loader = Callable[[str], Path]

OUTPUTS = {
    "bandit.json": "bandit",
    "bandit.sarif": "sarif",
    "ruff.json": "ruff",
    "ruff.sarif": "sarif",
    "semgrep.sarif": "sarif",
    "codeql.sarif": "sarif",
    "mcp-security-scan.json": "mcp-security-scan",
}


def write(tmp_path: Path, content: str | bytes, name: str = "findings.txt") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def one_line_error(path: Path, root: Path) -> str:
    with pytest.raises(FindingsError) as caught:
        load_findings(path, root)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize(("name", "expected"), OUTPUTS.items())
def test_the_format_is_told_by_content(
    stored_output: Loader, tmp_path: Path, data_dir: Path, name: str, expected: str
) -> None:
    source = stored_output(name)
    data = json.loads(source.read_text(encoding="utf-8"))
    assert detect_format(data) == expected
    # A misleading name changes nothing.
    disguised = write(tmp_path, source.read_bytes(), "results.xml")
    assert load_findings(disguised, data_dir) == load_findings(source, data_dir)


def test_harden_reports_and_empty_ruff_output_are_recognised() -> None:
    assert detect_format({"tool": "harden", "kind": "scan", "findings": []}) == "harden"
    assert detect_format([]) == "ruff"


def test_a_byte_order_mark_is_tolerated(
    stored_output: Loader, tmp_path: Path, data_dir: Path
) -> None:
    source = stored_output("bandit.json")
    with_bom = write(tmp_path, b"\xef\xbb\xbf" + source.read_bytes())
    assert load_findings(with_bom, data_dir) == load_findings(source, data_dir)


def test_malformed_json_names_the_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "results": [,]\n}')
    message = one_line_error(path, tmp_path)
    assert "malformed JSON at line 2, column 15" in message


def test_json_nested_too_deeply_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert one_line_error(path, tmp_path) == (f"{path}: nested too deeply to be a scanner's report")


@pytest.mark.parametrize(
    "content", ["[1, 2, 3]", "{}", '"text"', "null", '[{"code": "S602"}]', '{"results": []}']
)
def test_documents_of_no_known_format_are_refused(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, content)
    assert one_line_error(path, tmp_path) == f"{path}: {UNKNOWN}"


def test_a_sarif_log_of_another_version_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"version": "2.0.0", "runs": []}))
    assert "SARIF version '2.0.0' is not supported" in one_line_error(path, tmp_path)


def test_unreadable_and_undecodable_files_are_findings_errors(tmp_path: Path) -> None:
    assert "cannot read it" in one_line_error(tmp_path / "missing.json", tmp_path)
    assert "not UTF-8" in one_line_error(write(tmp_path, b"\xff\xfe[]"), tmp_path)


def test_a_scan_that_failed_is_not_read_as_a_clean_one(tmp_path: Path) -> None:
    report = {"trust_score": 0, "error": "Request timed out\nretry", "findings": []}
    path = write(tmp_path, json.dumps(report))
    assert "scan failed: Request timed out retry" in one_line_error(path, tmp_path)


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"results": {}, "metrics": {}}, "Bandit JSON.results is not an array"),
        ({"results": [7], "metrics": {}}, "Bandit JSON results[0] is not an object"),
        (
            {"results": [{"test_id": "B602", "filename": "a.py"}], "metrics": {}},
            "has no 'line_number'",
        ),
        ([{"code": "S602", "filename": 3, "location": {}}], "filename is not a string"),
        ({"trust_score": 1, "findings": [{"file_path": "a.py"}]}, "neither 'name' nor"),
        (
            {
                "trust_score": 1,
                "findings": [
                    {"name": "n", "file_path": "a", "line_number": 1, "severity": "dire\nly"}
                ],
            },
            "'dire\\nly' is not a severity",
        ),
        ({"version": "2.1.0", "runs": [{"results": []}]}, "SARIF runs[0] has no 'tool'"),
        ({"version": "2.1.0", "runs": {}}, "SARIF log.runs is not an array"),
        ({"tool": "harden", "kind": "diff"}, "neither 'scan' nor 'apply'"),
        ({"tool": "harden", "kind": "apply", "unfixed": [{}]}, "unfixed[0] has no 'finding'"),
    ],
)
def test_structurally_wrong_documents_are_findings_errors(
    tmp_path: Path, document: object, complaint: str
) -> None:
    assert complaint in one_line_error(write(tmp_path, json.dumps(document)), tmp_path)


def _mutations(node: Any) -> Iterator[None]:
    """Damage the document in place, one value at a time: removed, or replaced by another type."""
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in list(children):
        if isinstance(node, dict):
            del node[key]
            yield
        for wrong in (None, 7, True, "x", [], {}, [1]):
            node[key] = wrong
            yield
        node[key] = child
        if isinstance(child, dict | list):
            yield from _mutations(child)


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_damage_to_a_real_output_escapes_as_another_exception(
    stored_output: Loader, data_dir: Path, name: str
) -> None:
    document = json.loads(stored_output(name).read_text(encoding="utf-8"))
    for _ in _mutations(document):
        try:
            read_findings(document, data_dir)
        except FindingsError as error:
            assert "\n" not in str(error)
