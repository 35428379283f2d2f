"""Tests of the task spec models, their error paths and submission validation."""

import base64
import copy
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic import Field as PydanticField

from hpi_app.spec import (
    BLOCK_TYPES,
    FIELD_KINDS,
    Block,
    Field,
    Step,
    StepList,
    SubmissionError,
    error_details,
    iter_fields,
    json_path,
    load_steps,
    request_error_details,
    step_fields,
    tagged_union,
    validate_submission,
)

QUICK_START_BODY = {
    "title": "Approve deployment to production",
    "steps": [
        {
            "id": "approval",
            "title": "Review and Approve",
            "blocks": [
                {
                    "type": "mdsvex",
                    "content": "A new deployment is ready for **production**. "
                    "Please review the changes and approve.",
                },
                {
                    "type": "input",
                    "field": {
                        "name": "decision",
                        "label": "Decision",
                        "kind": "select",
                        "options": ["Approve", "Reject"],
                        "required": True,
                    },
                },
                {
                    "type": "input",
                    "field": {
                        "name": "comments",
                        "label": "Comments",
                        "kind": "textarea",
                        "required": False,
                        "placeholder": "Any additional notes...",
                    },
                },
            ],
        }
    ],
}

PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(16)).decode()

FIELD_EXAMPLES = {
    "text": {
        "name": "ticket",
        "label": "Ticket",
        "kind": "text",
        "pattern": "[A-Z]+-[0-9]+",
        "max_length": 20,
    },
    "textarea": {"name": "notes", "label": "Notes", "kind": "textarea", "min_length": 3, "required": False},
    "number": {"name": "amount", "label": "Amount", "kind": "number", "min": 0, "max": 100, "step": 0.5},
    "select": {
        "name": "decision",
        "label": "Decision",
        "kind": "select",
        "options": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}],
        "default": "approve",
    },
    "radio": {"name": "priority", "label": "Priority", "kind": "radio", "options": ["low", "high"]},
    "checkbox": {"name": "agree", "label": "I agree", "kind": "checkbox"},
    "date": {"name": "due", "label": "Due", "kind": "date"},
    "range": {"name": "confidence", "label": "Confidence", "kind": "range", "min": 0, "max": 10, "step": 2},
    "rating": {"name": "stars", "label": "Stars", "kind": "rating", "max_rating": 4},
    "file": {
        "name": "evidence",
        "label": "Evidence",
        "kind": "file",
        "accept": "image/*,.pdf",
        "max_file_size": 10_000_000,
        "max_files": 2,
    },
    "signature": {
        "name": "sig",
        "label": "Sign",
        "kind": "signature",
        "signature_mode": "draw",
        "pen_color": "#000",
    },
    "email": {"name": "contact", "label": "Contact", "kind": "email"},
    "url": {"name": "site", "label": "Site", "kind": "url"},
    "multiselect": {
        "name": "regions",
        "label": "Regions",
        "kind": "multiselect",
        "options": ["eu", "us", "asia"],
    },
}

BLOCK_EXAMPLES = {
    "input": {"type": "input", "field": FIELD_EXAMPLES["text"]},
    "mdsvex": {"type": "mdsvex", "content": "# Review\n\nPlease check **everything**."},
    "table": {
        "type": "table",
        "headers": ["Service", "Version", "Replicas"],
        "rows": [["api", "1.4.2", 3], ["worker", "1.4.2", 2]],
        "alignments": ["left", "center", "right"],
        "caption": "Deployment plan",
    },
    "image": {"type": "image", "url": "https://example.com/diff.png", "alt": "Diff", "caption": "The diff"},
    "callout": {
        "type": "callout",
        "severity": "warning",
        "title": "Careful",
        "content": "This hits **prod**.",
    },
    "pdf": {"type": "pdf", "url": "/api/v1/files/abc/report.pdf", "filename": "report.pdf", "height": 600},
    "download": {
        "type": "download",
        "downloads": [
            {
                "url": "https://example.com/a.csv",
                "filename": "a.csv",
                "size": 2048,
                "mime_type": "text/csv",
                "description": "Raw numbers",
            }
        ],
    },
    "divider": {"type": "divider"},
    "chart": {
        "type": "chart",
        "chart_type": "bar",
        "data": [{"month": "Jan", "sales": 10, "costs": 4}, {"month": "Feb", "sales": 12, "costs": 5}],
        "x": "month",
        "series": [{"key": "sales", "label": "Sales", "color": "#1f6feb"}, {"key": "costs"}],
        "caption": "Q1",
        "height": 300,
        "x_label": "Month",
        "y_label": "EUR",
    },
}


class CreateBody(BaseModel):
    """A stand-in for the REST layer's create-task body."""

    title: str
    steps: StepList


def keep_keys_of(dumped: object, example: object) -> object:
    """Drops from ``dumped`` (recursively) the keys ``example`` lacks, such as filled-in defaults."""
    if isinstance(dumped, dict) and isinstance(example, dict):
        return {k: keep_keys_of(v, example[k]) for k, v in dumped.items() if k in example}
    if isinstance(dumped, list) and isinstance(example, list) and len(dumped) == len(example):
        return [keep_keys_of(d, e) for d, e in zip(dumped, example, strict=True)]
    return dumped


def body_with_blocks(*blocks: dict) -> dict:
    """Returns a create body with one step holding ``blocks``."""
    return {"title": "T", "steps": [{"id": "s1", "title": "Step one", "blocks": list(blocks)}]}


def input_block(**field: object) -> dict:
    """Returns an input block for a field built from keyword arguments."""
    return {"type": "input", "field": {"name": "f", "label": "F", "kind": "text", **field}}


def errors_of(body: dict) -> list[dict[str, str]]:
    """Validates ``body`` and returns its error details (fails if it is valid)."""
    with pytest.raises(ValidationError) as info:
        CreateBody.model_validate(body)
    return error_details(info.value)


def paths_of(body: dict) -> list[str]:
    """Returns the JSON paths of ``body``'s validation errors."""
    return [detail["field"] for detail in errors_of(body)]


def test_quick_start_body_parses_and_dumps_back_unchanged():
    body = CreateBody.model_validate(QUICK_START_BODY)
    assert [f.name for f in iter_fields(body.steps)] == ["decision", "comments"]
    decision = body.steps[0].blocks[1].field
    assert [(o.value, o.label) for o in decision.options] == [("Approve", "Approve"), ("Reject", "Reject")]
    assert body.model_dump(mode="json", exclude_none=True) == QUICK_START_BODY


def test_every_kind_and_type_has_an_example():
    assert set(FIELD_EXAMPLES) == set(FIELD_KINDS)
    assert set(BLOCK_EXAMPLES) == set(BLOCK_TYPES)


@pytest.mark.parametrize("kind", sorted(FIELD_EXAMPLES))
def test_every_field_kind_parses(kind):
    field = TypeAdapter(Field).validate_python(FIELD_EXAMPLES[kind])
    assert field.kind == kind
    dumped = TypeAdapter(Field).dump_python(field, mode="json", exclude_none=True)
    assert keep_keys_of(dumped, FIELD_EXAMPLES[kind]) == FIELD_EXAMPLES[kind]


@pytest.mark.parametrize("block_type", sorted(BLOCK_EXAMPLES))
def test_every_block_type_parses(block_type):
    block = TypeAdapter(Block).validate_python(BLOCK_EXAMPLES[block_type])
    assert block.type == block_type
    dumped = TypeAdapter(Block).dump_python(block, mode="json", exclude_none=True)
    assert keep_keys_of(dumped, BLOCK_EXAMPLES[block_type]) == BLOCK_EXAMPLES[block_type]


def test_a_task_with_every_block_parses():
    body = CreateBody.model_validate(body_with_blocks(*BLOCK_EXAMPLES.values()))
    assert [b.type for b in body.steps[0].blocks] == list(BLOCK_EXAMPLES)


def test_required_defaults_to_true_and_defaults_fill_in():
    field = TypeAdapter(Field).validate_python({"name": "a", "label": "A", "kind": "rating"})
    assert field.required is True
    assert field.max_rating == 5
    date = TypeAdapter(Field).validate_python({"name": "d", "label": "D", "kind": "date"})
    assert date.include_time is False


def test_unknown_keys_are_ignored():
    block = input_block(colour="blue")
    block["extra"] = 1
    body = CreateBody.model_validate({**body_with_blocks(block), "whatever": True})
    dumped = body.model_dump(mode="json")
    assert "extra" not in dumped["steps"][0]["blocks"][0]
    assert "colour" not in dumped["steps"][0]["blocks"][0]["field"]


def test_option_objects_stay_objects_and_label_defaults_to_value():
    field = TypeAdapter(Field).validate_python(
        {
            "name": "c",
            "label": "C",
            "kind": "radio",
            "options": ["a", {"value": "b", "label": "Bee"}, {"value": "c"}],
        }
    )
    assert [(o.value, o.label) for o in field.options] == [("a", "a"), ("b", "Bee"), ("c", "c")]
    dumped = TypeAdapter(Field).dump_python(field, mode="json", exclude_none=True)
    assert dumped["options"] == ["a", {"value": "b", "label": "Bee"}, {"value": "c", "label": "c"}]
    assert field.option_label("b") == "Bee"


def test_unknown_block_type_names_its_path_and_the_choices():
    body = body_with_blocks(*[BLOCK_EXAMPLES["divider"]] * 3, {"type": "foo", "content": "x"})
    [detail] = errors_of(body)
    assert detail["field"] == "steps[0].blocks[3].type"
    assert detail["message"] == (
        "unknown block type 'foo'; expected one of: "
        "callout, chart, divider, download, image, input, mdsvex, pdf, table"
    )


def test_missing_block_type_and_non_object_block():
    details = errors_of(body_with_blocks({"content": "x"}, 7))
    assert details[0]["field"] == "steps[0].blocks[0].type"
    assert details[0]["message"].startswith("is required")
    assert details[1] == {"field": "steps[0].blocks[1]", "message": 'must be an object with a "type"'}


def test_unknown_field_kind_names_its_path():
    [detail] = errors_of(body_with_blocks(BLOCK_EXAMPLES["divider"], input_block(kind="colour")))
    assert detail["field"] == "steps[0].blocks[1].field.kind"
    assert detail["message"].startswith("unknown field kind 'colour'; expected one of: checkbox, date")


def test_missing_label_is_required():
    block = input_block()
    del block["field"]["label"]
    assert errors_of(body_with_blocks(block)) == [
        {"field": "steps[0].blocks[0].field.label", "message": "is required"}
    ]


def test_blank_label_and_bad_name():
    details = errors_of(body_with_blocks(input_block(label="  ", name="my field")))
    assert {d["field"] for d in details} == {
        "steps[0].blocks[0].field.label",
        "steps[0].blocks[0].field.name",
    }


def test_duplicate_step_id_points_at_the_second_step():
    body = copy.deepcopy(QUICK_START_BODY)
    body["steps"].append({"id": "approval", "title": "Again", "blocks": [BLOCK_EXAMPLES["divider"]]})
    [detail] = errors_of(body)
    assert detail["field"] == "steps[1].id"
    assert "duplicate step id 'approval'" in detail["message"]


def test_duplicate_field_name_across_steps_points_at_the_second_field():
    body = copy.deepcopy(QUICK_START_BODY)
    body["steps"].append(
        {"id": "second", "title": "More", "blocks": [BLOCK_EXAMPLES["divider"], input_block(name="comments")]}
    )
    [detail] = errors_of(body)
    assert detail["field"] == "steps[1].blocks[1].field.name"
    assert "already used at steps[0].blocks[2].field.name" in detail["message"]


def test_default_not_among_options():
    block = input_block(kind="select", options=["Approve", "Reject"], default="Maybe")
    [detail] = errors_of(body_with_blocks(block))
    assert detail["field"] == "steps[0].blocks[0].field.default"
    assert detail["message"] == "is not a valid value for this field: Choose one of: Approve, Reject"


@pytest.mark.parametrize(
    ("field", "path", "message"),
    [
        ({"kind": "number", "min": 10, "max": 1}, "field.max", "must be greater than or equal to min (10)"),
        ({"kind": "range", "min": 5, "max": 4}, "field.max", "must be greater than or equal to min (5)"),
        ({"kind": "range", "min": 0}, "field.max", "is required"),
        ({"kind": "number", "step": 0}, "field.step", "must be greater than 0"),
        ({"kind": "number", "min": "1"}, "field.min", "must be a number"),
        (
            {"kind": "text", "min_length": 5, "max_length": 2},
            "field.max_length",
            "must be at least min_length (5)",
        ),
        ({"kind": "text", "pattern": "(["}, "field.pattern", None),
        ({"kind": "select", "options": []}, "field.options", "must have at least one item"),
        ({"kind": "radio", "options": ["a", "b", "a"]}, "field.options[2]", "duplicate option value 'a'"),
        ({"kind": "multiselect", "options": ["a", 3]}, "field.options[1]", None),
        ({"kind": "select"}, "field.options", "is required"),
        ({"kind": "rating", "max_rating": 11}, "field.max_rating", "must be at most 10"),
        ({"kind": "signature", "signature_mode": "type"}, "field.signature_mode", "must be one of: draw"),
        ({"kind": "signature", "pen_color": "red;background:url(x)"}, "field.pen_color", None),
        ({"kind": "file", "max_files": 0}, "field.max_files", "must be greater than 0"),
        (
            {"kind": "number", "default": "5"},
            "field.default",
            "is not a valid value for this field: Must be a number",
        ),
        ({"kind": "checkbox", "default": "yes"}, "field.default", None),
        ({"kind": "text", "required": "maybe"}, "field.required", "must be true or false"),
    ],
)
def test_field_spec_errors(field, path, message):
    [detail] = errors_of(body_with_blocks(input_block(**field)))
    assert detail["field"] == f"steps[0].blocks[0].{path}"
    if message is not None:
        assert detail["message"] == message
    if path == "field.pattern":
        assert detail["message"].startswith("is not a valid regular expression")


@pytest.mark.parametrize(
    ("block", "path"),
    [
        ({"type": "table", "headers": ["a", "b"], "rows": [["1", "2"], ["3"]]}, "rows[1]"),
        ({"type": "table", "headers": ["a"], "alignments": ["left", "right"]}, "alignments"),
        ({"type": "table", "headers": ["a"], "alignments": ["middle"]}, "alignments[0]"),
        ({"type": "table", "headers": ["a"], "rows": [[{"x": 1}]]}, "rows[0][0]"),
        ({"type": "image", "url": "javascript:alert(1)"}, "url"),
        ({"type": "image", "url": "data:image/png;base64,AAAA"}, "url"),
        ({"type": "image", "url": "//evil.example/x.png"}, "url"),
        ({"type": "pdf", "url": "file:///etc/passwd"}, "url"),
        ({"type": "download", "downloads": [{"url": "vbscript:x", "filename": "a"}]}, "downloads[0].url"),
        ({"type": "download", "downloads": [{"url": "/f/1"}]}, "downloads[0].filename"),
        ({"type": "download", "downloads": []}, "downloads"),
        ({"type": "callout", "severity": "fatal", "content": "x"}, "severity"),
        ({"type": "callout"}, "content"),
        ({"type": "chart", "chart_type": "radar", "series": [{"key": "y"}]}, "chart_type"),
        ({"type": "chart", "chart_type": "line", "series": []}, "series"),
        ({"type": "chart", "chart_type": "line", "series": [{"key": "y"}], "data": [1]}, "data[0]"),
        ({"type": "mdsvex"}, "content"),
    ],
)
def test_block_spec_errors(block, path):
    [detail] = errors_of(body_with_blocks(block))
    assert detail["field"] == f"steps[0].blocks[0].{path}"
    assert detail["message"]


def test_bad_table_row_and_javascript_image_messages():
    details = errors_of(
        body_with_blocks(
            {"type": "table", "headers": ["a", "b", "c"], "rows": [["1", "2", "3"], ["1", "2"]]},
            {"type": "image", "url": "javascript:alert(1)"},
        )
    )
    assert details == [
        {"field": "steps[0].blocks[0].rows[1]", "message": "has 2 cells but the table has 3 headers"},
        {"field": "steps[0].blocks[1].url", "message": "must be an http(s) URL or a path starting with '/'"},
    ]


def test_step_level_errors():
    assert errors_of({"title": "T", "steps": []}) == [
        {"field": "steps", "message": "must have at least one item"}
    ]
    details = errors_of({"title": "T", "steps": [{"id": "", "title": "A", "blocks": []}]})
    assert [d["field"] for d in details] == ["steps[0].id", "steps[0].blocks"]
    assert paths_of({"title": "T", "steps": [{"id": "x" * 101, "blocks": [{"type": "divider"}]}]}) == [
        "steps[0].id",
        "steps[0].title",
    ]


def test_json_path_strips_body_and_union_tags_but_keeps_user_keys():
    loc = ("body", "steps", 0, "blocks", 1, "block:input", "field", "field:select", "options", 2)
    assert json_path(loc) == "steps[0].blocks[1].field.options[2]"
    assert json_path(("metadata", "input")) == "metadata.input"
    assert json_path(("metadata", "my key")) == 'metadata["my key"]'
    assert json_path(("title",)) == "title"
    assert json_path(()) == ""


class _Webhook(BaseModel):
    type: Literal["webhook"]
    url: str


class _Email(BaseModel):
    type: Literal["email"]
    to: str


def test_tagged_union_for_other_unions_and_plain_discriminators():
    class Body(BaseModel):
        tagged: list[tagged_union({"webhook": _Webhook, "email": _Email}, key="type", prefix="sink")]
        plain: list[Annotated[_Webhook | _Email, PydanticField(discriminator="type")]] = []

    with pytest.raises(ValidationError) as info:
        Body.model_validate({"tagged": [{"type": "x"}, {"type": "webhook"}], "plain": [{"type": "x"}, {}]})
    assert error_details(info.value) == [
        {"field": "tagged[0].type", "message": "unknown sink type 'x'; expected one of: email, webhook"},
        {"field": "tagged[1].url", "message": "is required"},
        {"field": "plain[0].type", "message": "unknown type 'x'; expected one of: webhook, email"},
        {"field": "plain[1].type", "message": "is required"},
    ]


def test_request_error_details_for_fastapi_style_errors():
    with pytest.raises(ValidationError) as info:
        CreateBody.model_validate(body_with_blocks(input_block(kind="nope")))
    fastapi_errors = [{**e, "loc": ("body", *e["loc"])} for e in info.value.errors()]
    assert request_error_details(fastapi_errors)[0]["field"] == "steps[0].blocks[0].field.kind"
    json_error = {
        "type": "json_invalid",
        "loc": ("body", 12),
        "msg": "JSON decode error",
        "ctx": {"error": "x"},
    }
    [detail] = request_error_details([json_error])
    assert detail["field"] == "body"
    assert "not valid JSON" in detail["message"]
    [detail] = request_error_details([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    assert detail == {"field": "body", "message": "a JSON request body is required"}


def test_load_steps_with_prefix():
    steps = load_steps(QUICK_START_BODY["steps"])
    assert isinstance(steps[0], Step)
    with pytest.raises(ValidationError) as info:
        load_steps([{"id": "a", "title": "A", "blocks": [{"type": "bogus"}]}])
    assert error_details(info.value, prefix=("steps",))[0]["field"] == "steps[0].blocks[0].type"


def test_step_fields_and_iter_fields():
    body = CreateBody.model_validate(
        {
            "title": "T",
            "steps": [
                {"id": "a", "title": "A", "blocks": [input_block(name="x"), BLOCK_EXAMPLES["divider"]]},
                {"id": "b", "title": "B", "blocks": [BLOCK_EXAMPLES["mdsvex"], input_block(name="y")]},
            ],
        }
    )
    assert [f.name for f in step_fields(body.steps[1])] == ["y"]
    assert [f.name for f in iter_fields(body.steps)] == ["x", "y"]


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
