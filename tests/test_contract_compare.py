"""The parts of `harden contract` that need no server: the normalisation rules, the comparison
and its expected changes, the cases file, the read-only gate of --generate, the reports, and
what `harden plan` says of a verified branch."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harden.contract.cases import CasesError, load_cases
from harden.contract.compare import MISSING, compare, leaf_differences, replaced_by_ref
from harden.contract.generate import generated_calls, may_generate
from harden.contract.model import Call, Contract
from harden.contract.normalise import RULES, UnknownRule, chosen_rules, normalised_text
from harden.contract.render import as_json, as_markdown
from harden.contract.verified import Verification, branch_state

ALL = chosen_rules()


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        (
            "error-ref",
            "failed: internal error (ref 3f9c2a1b4d5e)",
            "failed: internal error (ref <ref>)",
        ),
        ("timestamp", "at 2026-12-07T05:22:10.75+00:00 ok", "at <timestamp>+00:00 ok"),
        ("timestamp", "at 2026-12-07 05:22 ok", "at <timestamp> ok"),
        (
            "duration",
            "took 0.52s, then 12 ms, then 3 seconds",
            "took <duration>, then <duration>, then <duration>",
        ),
        (
            "temp-path",
            "wrote /tmp/tmpab12cd34/out.txt, done",
            "wrote <tmp>/tmp<random>/out.txt, done",
        ),
        ("temp-path", "see /tmp/notes-x_9abc1d.csv", "see <tmp>/notes-<random>.csv"),
        ("temp-path", "in /tmp/pytest-of-me/pytest-12/test_a0/x", "in <tmp>/test_a0/x"),
        ("temp-path", "(/var/folders/q1/zz9k2/T/report.csv)", "(<tmp>/report.csv)"),
        ("temp-path", "/home/me/tmp/x and /tmpfs/x", "/home/me/tmp/x and /tmpfs/x"),
    ],
)
def test_each_rule_rewrites_only_what_it_names(rule: str, text: str, expected: str) -> None:
    (chosen,) = [r for r in RULES if r.name == rule]
    assert chosen.apply(text) == expected
    others = [r for r in RULES if r.name != rule]
    assert normalised_text("no volatile text here: 2026 and 12", others) == (
        "no volatile text here: 2026 and 12"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("at 2024-05-01T10:00:00Z", "at 2024-05-01T10:00:00+02:00"),  # another zone
        ("at 2024-05-01T10:00:00Z", "at 2024-05-01T10:00:00"),  # no zone any more
        ("wrote /tmp/report.csv", "wrote /tmp/report.json"),  # another file
        ("wrote /tmp/tmpab12cd34/out.txt", "wrote /tmp/tmpzz99yy88/err.txt"),
        ("retry in 5 s", "retry in 500 s"),  # durations only when switched on
    ],
)
def test_the_default_rules_keep_real_differences(before: str, after: str) -> None:
    assert normalised_text(before, ALL) != normalised_text(after, ALL)


def test_rules_are_switched_on_and_off_by_name_and_a_typo_is_refused() -> None:
    assert [r.name for r in chosen_rules()] == ["error-ref", "timestamp", "temp-path"]
    assert [r.name for r in chosen_rules(["duration"], ["temp-path"])] == [
        "error-ref",
        "timestamp",
        "duration",
    ]
    assert normalised_text("retry in 5 s", chosen_rules(["duration"])) == "retry in <duration>"
    with pytest.raises(UnknownRule, match="no normalisation rule durations"):
        chosen_rules((), ["durations"])
    with pytest.raises(UnknownRule, match="no normalisation rule clock"):
        chosen_rules(["clock"])
    with pytest.raises(UnknownRule, match="rule duration switched both on and off"):
        chosen_rules(["duration"], ["duration"])


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            "Error executing tool x: disk on fire",
            "Error executing tool x: internal error (ref 0123456789ab)",
            "0123456789ab",
        ),
        (
            '{"ok": false, "error": "no such table"}',
            '{"ok": false, "error": "internal error (ref 0123456789ab)"}',
            "0123456789ab",
        ),
        # The text around the ref changed too: not what phase 5 does.
        ("Error executing tool x: boom", "Tool x failed: internal error (ref 0123456789ab)", None),
        # A ref where there was one already is no replacement.
        ("internal error (ref aaaaaaaaaaaa)", "internal error (ref 0123456789ab)", None),
        ("plain", "plain too", None),
        (1, 2, None),
    ],
)
def test_an_error_text_replaced_by_a_ref_is_recognised(
    before: object, after: object, expected: str | None
) -> None:
    assert replaced_by_ref(before, after, ALL) == expected


REF = "internal error (ref 0123456789ab)"


@pytest.mark.parametrize(
    ("before", "after", "context", "expected"),
    [
        # A successful call that now fails into error_ref(e): a failure, whatever it said.
        ("found 42 notes: a, b, c", REF, {}, None),
        ("found 42 notes: a, b, c", f"{REF}\n", {}, None),
        # The recorded result was an error: its whole text was the exception's.
        ("'nope'", REF, {"was_error": True}, "0123456789ab"),
        # A string under a key naming an error, or one that reads as an exception's text.
        ("no such table: users", REF, {"key": "error"}, "0123456789ab"),
        ("no such table: users", REF, {"key": "lastError"}, "0123456789ab"),
        ("no such table: users", REF, {"key": "result"}, None),
        ("[Errno 2] No such file or directory: '/x'", REF, {}, "0123456789ab"),
        ("sqlite3.OperationalError: no such table", REF, {}, "0123456789ab"),
        ("Traceback (most recent call last):\n  ...", REF, {}, "0123456789ab"),
        # Part of the text replaced, the rest kept: an expected change even in a success.
        ("found 3 notes; skipped: disk on fire", f"found 3 notes; skipped: {REF}", {}, REF[-13:-1]),
    ],
)
def test_a_whole_text_replaced_by_a_ref_is_expected_only_where_an_error_was(
    before: str, after: str, context: dict, expected: str | None
) -> None:
    assert replaced_by_ref(before, after, ALL, **context) == expected


def test_compare_fails_a_success_that_became_a_ref_and_accepts_a_masked_error() -> None:
    recorded = _contract(
        [],
        {
            "search": _text("found 42 notes: a, b, c"),
            "raised": _text("Error executing tool t: 'nope'", error=True),
            "lowlevel": _text("'nope'", error=True),
        },
    )
    live = _contract(
        [],
        {
            "search": _text(REF),
            "raised": _text(f"Error executing tool t: {REF}", error=True),
            "lowlevel": _text(REF, error=True),
        },
    )
    result = compare(recorded, live, ALL)
    assert [(d.item, d.path) for d in result.failures] == [("search", "content[0].text")]
    assert [d.item for d in result.expected] == ["raised", "lowlevel"]


def test_matching_the_text_around_refs_does_not_backtrack() -> None:
    before = "\n".join(f"line {number} of the report" for number in range(400))
    after = "\n".join([REF] * 6) + "\nthe end"
    started = time.perf_counter()
    assert replaced_by_ref(before, after, ALL) is None
    assert replaced_by_ref(before + "\nthe end", after, ALL) == "0123456789ab"
    assert time.perf_counter() - started < 0.5


def test_leaf_differences_name_each_place() -> None:
    before = {"a": {"b": [1, 2], "c": "x"}, "odd key": 1}
    after = {"a": {"b": [1, 3, 4], "d": "x"}, "odd key": 1}
    assert list(leaf_differences(before, after)) == [
        ("a.b[1]", 2, 3),
        ("a.b[2]", MISSING, 4),
        ("a.c", "x", MISSING),
        ("a.d", MISSING, "x"),
    ]
    assert list(leaf_differences({"x y": 1}, {"x y": 2})) == [("['x y']", 1, 2)]
    assert list(leaf_differences(1, True)) == [("", 1, True)], "a bool is not an int"


def _contract(tools: list[dict], results: dict[str, dict]) -> Contract:
    calls = [Call(call_id, "tool", "t") for call_id in results]
    listings = {"tools": tools, "resources": [], "resourceTemplates": [], "prompts": []}
    return Contract({"serverInfo": {"name": "s"}}, listings, calls, results)


def _text(text: str, error: bool = False) -> dict:
    return {"content": [{"type": "text", "text": text}], "isError": error}


def test_compare_separates_failures_from_expected_changes() -> None:
    tool = {"name": "t", "inputSchema": {"type": "object"}}
    recorded = _contract(
        [tool],
        {
            "masked": _text("Error: /srv/db is locked", error=True),
            "stamped": _text("done at 2026-01-01T00:00:00Z"),
            "flipped": _text("ok"),
        },
    )
    live = _contract(
        [{**tool, "annotations": {"readOnlyHint": True}}],
        {
            "masked": _text("Error: internal error (ref 0123456789ab)", error=True),
            "stamped": _text("done at 2026-12-07T05:00:00Z"),
            "flipped": _text("ok", error=True),
        },
    )
    result = compare(recorded, live, ALL)
    assert [(d.section, d.item, d.path) for d in result.failures] == [
        ("tools", "t", "annotations"),
        ("calls", "flipped", "isError"),
    ]
    assert [(d.item, d.path, d.ref) for d in result.expected] == [
        ("masked", "content[0].text", "0123456789ab")
    ]
    assert result.calls == 3 and not result.passed
    document = json.loads(as_json(result, {"branch": "b"}))
    assert document["branch"] == "b"
    assert document["failures"][0] == {
        "section": "tools",
        "item": "t",
        "path": "annotations",
        "change": "added",
        "after": {"readOnlyHint": True},
    }
    markdown = as_markdown(result, "harden contract")
    assert markdown.startswith("### ❌ harden contract: 2 difference(s), 3 call(s) compared")
    assert "| `calls.masked content[0].text` | `0123456789ab` |" in markdown


def test_a_pipe_in_a_value_does_not_break_the_markdown_table() -> None:
    recorded = _contract([], {"c": _text("a | b")})
    live = _contract([], {"c": _text("a | c")})
    markdown = as_markdown(compare(recorded, live, ALL), "t")
    assert '| `"a \\| b"` | `"a \\| c"` |' in markdown


def test_generation_calls_only_read_only_or_safe_tools() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    tools = [
        {"name": "look", "inputSchema": schema, "annotations": {"readOnlyHint": True}},
        {"name": "wipe", "inputSchema": schema, "annotations": {"destructiveHint": True}},
        {"name": "hinted_false", "inputSchema": schema, "annotations": {"readOnlyHint": False}},
        {"name": "plain", "inputSchema": schema},
        {"name": "listed", "inputSchema": schema},
    ]
    assert [t["name"] for t in tools if may_generate(t, frozenset({"listed"}))] == [
        "look",
        "listed",
    ]
    calls, skipped = generated_calls(tools, 3, frozenset({"listed"}))
    assert {call.name for call in calls} == {"look", "listed"} and not skipped
    assert all(isinstance(call.arguments["n"], int) for call in calls)
    assert [c.id for c in calls if c.name == "look"] == [f"generated:look#{i}" for i in (1, 2, 3)]
    assert generated_calls(tools, 3, frozenset({"listed"}))[0] == calls, "deterministic"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[call]]\ntool = "a"\nargs = {}\n', "[[call]] number 1: unknown key 'args'"),
        ("[[call]]\narguments = {}\n", "[[call]] number 1: `tool` (a string) is required"),
        ('[[call]]\ntool = "a"\nexpect_error = "yes"\n', "`expect_error` is true or false"),
        (
            '[[call]]\nid = "x"\ntool = "a"\n[[call]]\nid = "x"\ntool = "b"\n',
            "the id 'x' is given 2 times",
        ),
        ('safe = "a"\n', "`safe` is a list of tool names"),
        ('[[tools]]\nname = "a"\n', "unknown key 'tools'"),
        ("[[call]\n", "Expected"),
    ],
)
def test_a_bad_cases_file_is_refused_with_its_place(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "cases.toml"
    path.write_text(text)
    with pytest.raises(CasesError, match=None) as raised:
        load_cases(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_cases_get_ids_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "cases.toml"
    path.write_text(
        'safe = ["a"]\n[[call]]\ntool = "a"\n[[call]]\ntool = "a"\narguments = { x = 1 }\n'
        '[[resource]]\nuri = "r://x"\n[[prompt]]\nname = "p"\nexpect_error = false\n'
    )
    cases = load_cases(path)
    assert [(c.id, c.kind, c.name, c.arguments) for c in cases.calls] == [
        ("tool:a", "tool", "a", {}),
        ("tool:a#2", "tool", "a", {"x": 1}),
        ("resource:r://x", "resource", "r://x", {}),
        ("prompt:p", "prompt", "p", {}),
    ]
    assert cases.safe == frozenset({"a"})


def test_plan_calls_a_verification_stale_once_the_branch_base_or_contract_moved() -> None:
    passed = Verification("b1", "m1", "HEAD", "c1", passed=True, failures=0, expected=1)
    assert branch_state(passed, "b1", "m1", "c1") == "verified"
    assert branch_state(passed, "b2", "m1", "c1") == "stale", "the branch moved"
    assert branch_state(passed, "b1", "m2", "c1") == "stale", "the base moved"
    assert branch_state(passed, "b1", None, "c1") == "stale", "the base is gone"
    assert branch_state(passed, "b1", "m1", "c2") == "stale", "the contract was re-recorded"
    assert branch_state(passed, "b1", "m1", None) == "stale", "the contract was deleted"
    failed = Verification("b1", "m1", "HEAD", None, passed=False, failures=2, expected=0)
    assert branch_state(failed, "b1", "m1", None) == "failed"
    assert branch_state(None, "b1", "m1", None) == "not verified"
    assert branch_state(passed, None, "m1", "c1") == "not verified"
