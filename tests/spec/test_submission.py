"""Tests of submission validation: every kind's answers, required answers, unknown keys, one step."""

import pytest

from hpi_app.spec.steps import iter_fields, load_steps
from hpi_app.spec.submission import SubmissionError, validate_submission
from tests.spec.examples import (
    FIELD_EXAMPLES,
    PNG_DATA_URL,
    QUICK_START_BODY,
    input_block,
)

ALL_KINDS_STEPS = [
    {
        "id": "one",
        "title": "Basics",
        "blocks": [
            {"type": "input", "field": FIELD_EXAMPLES[k]} for k in ("text", "textarea", "number", "select")
        ],
    },
    {
        "id": "two",
        "title": "More",
        "blocks": [
            {"type": "input", "field": FIELD_EXAMPLES[k]}
            for k in (
                "radio",
                "checkbox",
                "date",
                "range",
                "rating",
                "file",
                "signature",
                "email",
                "url",
                "multiselect",
            )
        ],
    },
]


VALID_ANSWERS = {
    "ticket": "OPS-42",
    "notes": "Looks good",
    "amount": 12.5,
    "decision": "approve",
    "priority": "high",
    "agree": True,
    "due": "2026-03-01",
    "confidence": 4,
    "stars": 4,
    "evidence": ["/api/v1/files/abc", "https://example.com/b.pdf"],
    "sig": {"mode": "draw", "data": PNG_DATA_URL, "timestamp": "2026-02-24T12:00:00Z"},
    "contact": "ops@example.com",
    "site": "https://example.com/x?y=1",
    "regions": ["eu", "us"],
}


@pytest.fixture
def steps():
    """The parsed steps of a task using every field kind."""
    return load_steps(ALL_KINDS_STEPS)


def submission_details(steps, data, **kwargs) -> list[dict[str, str]]:
    """Validates a submission that must fail and returns its details."""
    with pytest.raises(SubmissionError) as info:
        validate_submission(steps, data, **kwargs)
    return info.value.details


def test_valid_submission_of_every_kind(steps):
    assert validate_submission(steps, VALID_ANSWERS) == VALID_ANSWERS


def test_quick_start_submission_and_optional_comment_left_out():
    steps = load_steps(QUICK_START_BODY["steps"])
    data = {"decision": "Approve", "comments": "Looks good, ship it!"}
    assert validate_submission(steps, data) == data
    assert validate_submission(steps, {"decision": "Reject", "comments": ""}) == {"decision": "Reject"}
    assert submission_details(steps, {"decision": "Maybe"}) == [
        {"field": "data.decision", "message": "Choose one of: Approve, Reject"}
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ticket", 42, "Must be text"),
        ("ticket", "ops-42", "Does not match the required format"),
        ("ticket", "OPS-" + "1" * 30, "Must be at most 20 characters"),
        ("notes", "ab", "Must be at least 3 characters"),
        ("amount", True, "Must be a number"),
        ("amount", "12", "Must be a number"),
        ("amount", -1, "Must be at least 0"),
        ("amount", 101, "Must be at most 100"),
        ("amount", 12.25, "Must be in steps of 0.5"),
        ("decision", "Approve", "Choose one of: Approve, Reject"),
        ("priority", "urgent", "Choose one of: low, high"),
        ("agree", "yes", "Must be ticked or not (true or false)"),
        ("agree", False, "This box must be ticked"),
        ("due", "01/03/2026", "Enter a valid date, like 2026-02-24"),
        ("due", "2026-02-30", "Enter a valid date, like 2026-02-24"),
        ("due", "2026-03-01T10:00", "Enter a valid date, like 2026-02-24"),
        ("confidence", 5, "Must be in steps of 2"),
        ("confidence", 12, "Must be at most 10"),
        ("stars", 5, "Choose a rating from 1 to 4"),
        ("stars", 0, "Choose a rating from 1 to 4"),
        ("stars", 2.5, "Choose a rating from 1 to 4"),
        ("evidence", "https://example.com/a.pdf", "Must be a list of uploaded file URLs"),
        ("evidence", ["javascript:alert(1)"], "Must be a list of uploaded file URLs"),
        ("evidence", ["/a", "/b", "/c"], "Upload at most 2 files"),
        (
            "sig",
            {"mode": "draw", "data": "data:image/jpeg;base64,AAAA", "timestamp": "2026-02-24T12:00:00Z"},
            None,
        ),
        (
            "sig",
            {"mode": "draw", "data": "data:image/png;base64,AAAA", "timestamp": "2026-02-24T12:00:00Z"},
            None,
        ),
        ("sig", {"mode": "type", "data": PNG_DATA_URL, "timestamp": "2026-02-24T12:00:00Z"}, None),
        ("sig", {"mode": "draw", "data": PNG_DATA_URL}, None),
        ("sig", "my name", None),
        ("contact", "not-an-email", "Enter a valid email address, like name@example.com"),
        ("contact", "a@b", "Enter a valid email address, like name@example.com"),
        ("site", "ftp://example.com", "Enter a valid web address starting with http:// or https://"),
        ("site", "https://", "Enter a valid web address starting with http:// or https://"),
        ("regions", "eu", "Choose any of: eu, us, asia"),
        ("regions", ["eu", "mars"], "Not an option: mars. Choose from: eu, us, asia"),
    ],
)
def test_invalid_answer_names_its_field(steps, name, value, message):
    details = submission_details(steps, {**VALID_ANSWERS, name: value})
    assert [d["field"] for d in details] == [f"data.{name}"]
    expected = message or "The signature could not be read; please sign again"
    assert details[0]["message"] == expected


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_required_answers_missing_or_empty(steps, empty):
    data = {name: empty for name in VALID_ANSWERS}
    details = submission_details(steps, data)
    required = [f.name for f in iter_fields(steps) if f.required]
    assert [d["field"] for d in details] == [f"data.{n}" for n in required]
    messages = {d["field"]: d["message"] for d in details}
    assert messages["data.ticket"] == "This field is required"
    assert messages["data.agree"] == "This box must be ticked"
    assert "data.notes" not in messages


def test_absent_optional_answer_is_left_out(steps):
    data = {k: v for k, v in VALID_ANSWERS.items() if k != "notes"}
    assert "notes" not in validate_submission(steps, data)


def test_optional_checkbox_may_be_false():
    steps = load_steps([{"id": "s", "title": "S", "blocks": [input_block(kind="checkbox", required=False)]}])
    assert validate_submission(steps, {"f": False}) == {"f": False}
    assert validate_submission(steps, {}) == {}


def test_unknown_answer_keys_are_named(steps):
    details = submission_details(steps, {**VALID_ANSWERS, "hacker": 1})
    assert details == [{"field": "data.hacker", "message": "This task has no such field"}]


def test_data_must_be_an_object(steps):
    assert submission_details(steps, ["x"])[0]["field"] == "data"


def test_only_step_checks_that_step_alone(steps):
    step_one = {k: VALID_ANSWERS[k] for k in ("ticket", "notes", "amount", "decision")}
    assert validate_submission(steps, {**step_one, "stars": 99}, only_step="one") == step_one
    details = submission_details(steps, {"ticket": "bad"}, only_step="one")
    assert [d["field"] for d in details] == ["data.ticket", "data.amount", "data.decision"]
    details = submission_details(steps, {**step_one, "nope": 1}, only_step="one")
    assert details == [{"field": "data.nope", "message": "This task has no such field"}]
    with pytest.raises(ValueError, match="unknown step"):
        validate_submission(steps, {}, only_step="missing")


@pytest.mark.parametrize(
    ("field", "value", "cleaned"),
    [
        ({"kind": "number", "step": 0.1}, 0.30000000000000004, 0.30000000000000004),
        ({"kind": "number", "min": 1, "step": 2}, 5, 5),
        ({"kind": "range", "min": 0, "max": 1, "step": 0.1}, 0.7, 0.7),
        ({"kind": "rating"}, 4.0, 4),
        ({"kind": "multiselect", "options": ["a", "b"]}, ["b", "a", "b"], ["b", "a"]),
        ({"kind": "date", "include_time": True}, "2026-02-24T14:30", "2026-02-24T14:30"),
        ({"kind": "date", "include_time": True}, "2026-02-24T14:30:05+02:00", "2026-02-24T14:30:05+02:00"),
        ({"kind": "date", "include_time": True}, "2026-02-24T14:30:05.123Z", "2026-02-24T14:30:05.123Z"),
        ({"kind": "email"}, " ops@example.com ", "ops@example.com"),
        ({"kind": "text", "pattern": "[a-z]+"}, "abc", "abc"),
        (
            {"kind": "signature"},
            {"mode": "draw", "data": PNG_DATA_URL, "timestamp": 1771934400000, "x": 1},
            None,
        ),
    ],
)
def test_answers_that_pass(field, value, cleaned):
    steps = load_steps([{"id": "s", "title": "S", "blocks": [input_block(**field)]}])
    result = validate_submission(steps, {"f": value})
    if cleaned is None:
        assert result["f"] == {"mode": "draw", "data": PNG_DATA_URL, "timestamp": 1771934400000}
    else:
        assert result == {"f": cleaned}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            {"kind": "date", "include_time": True},
            "2026-02-24",
            "Enter a valid date and time, like 2026-02-24T14:30",
        ),
        (
            {"kind": "date", "include_time": True},
            "2026-02-24 14:30",
            "Enter a valid date and time, like 2026-02-24T14:30",
        ),
        ({"kind": "number", "min": 1, "step": 2}, 4, "Must be in steps of 2 starting from 1"),
        ({"kind": "number"}, float("nan"), "Must be a finite number"),
        ({"kind": "text", "pattern": "[a-z]+"}, "abc1", "Does not match the required format"),
        ({"kind": "text", "min_length": 1, "max_length": 1}, "ab", "Must be at most 1 character"),
        (
            {"kind": "url"},
            "javascript:alert(1)",
            "Enter a valid web address starting with http:// or https://",
        ),
    ],
)
def test_answers_that_fail(field, value, message):
    steps = load_steps([{"id": "s", "title": "S", "blocks": [input_block(**field)]}])
    assert submission_details(steps, {"f": value}) == [{"field": "data.f", "message": message}]


def test_submission_error_message_lists_details():
    steps = load_steps(QUICK_START_BODY["steps"])
    with pytest.raises(SubmissionError, match=r"data\.decision: This field is required"):
        validate_submission(steps, {})
