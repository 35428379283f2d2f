"""Tests of steps: the quick-start body, repeated ids and names, load_steps and the field iterators."""

import copy

import pytest
from pydantic import ValidationError

from hpi_app.spec.steps import Step, iter_fields, load_steps, step_fields
from hpi_app.validation import error_details
from tests.spec.examples import (
    BLOCK_EXAMPLES,
    QUICK_START_BODY,
    CreateBody,
    errors_of,
    input_block,
    paths_of,
)


def test_quick_start_body_parses_and_dumps_back_unchanged():
    body = CreateBody.model_validate(QUICK_START_BODY)
    assert [f.name for f in iter_fields(body.steps)] == ["decision", "comments"]
    decision = body.steps[0].blocks[1].field
    assert [(o.value, o.label) for o in decision.options] == [("Approve", "Approve"), ("Reject", "Reject")]
    assert body.model_dump(mode="json", exclude_none=True) == QUICK_START_BODY


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
