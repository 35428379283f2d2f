"""Tests of the field kinds: parsing, defaults, options and field-level spec errors."""

import pytest
from pydantic import TypeAdapter

from hpi_app.spec.blocks import BLOCK_TYPES
from hpi_app.spec.fields import FIELD_KINDS, Field
from tests.spec.examples import (
    BLOCK_EXAMPLES,
    FIELD_EXAMPLES,
    assert_parses_and_dumps_back,
    body_with_blocks,
    errors_of,
    input_block,
)


def test_every_kind_and_type_has_an_example():
    assert set(FIELD_EXAMPLES) == set(FIELD_KINDS)
    assert set(BLOCK_EXAMPLES) == set(BLOCK_TYPES)


@pytest.mark.parametrize("kind", sorted(FIELD_EXAMPLES))
def test_every_field_kind_parses(kind):
    assert FIELD_EXAMPLES[kind]["kind"] == kind
    assert_parses_and_dumps_back(Field, FIELD_EXAMPLES[kind], "kind")


def test_required_defaults_to_true_and_defaults_fill_in():
    field = TypeAdapter(Field).validate_python({"name": "a", "label": "A", "kind": "rating"})
    assert field.required is True
    assert field.max_rating == 5
    date = TypeAdapter(Field).validate_python({"name": "d", "label": "D", "kind": "date"})
    assert date.include_time is False


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


def test_each_field_checks_its_own_answers():
    email = TypeAdapter(Field).validate_python({"name": "e", "label": "E", "kind": "email"})
    assert email.check(" ops@example.com ") == "ops@example.com"
    multiselect = TypeAdapter(Field).validate_python(FIELD_EXAMPLES["multiselect"])
    assert multiselect.check(["us", "eu", "us"]) == ["us", "eu"]
    number = TypeAdapter(Field).validate_python(FIELD_EXAMPLES["number"])
    with pytest.raises(ValueError, match=r"Must be in steps of 0\.5"):
        number.check(0.25)


def test_a_field_kind_without_its_own_check_cannot_be_made():
    from typing import Literal

    from hpi_app.spec.base import FieldBase

    class Unchecked(FieldBase):
        kind: Literal["unchecked"]

    with pytest.raises(TypeError, match="abstract"):
        Unchecked(name="x", label="X", kind="unchecked")
