"""Tests of the app-wide error formatting: JSON paths, tagged unions and request errors."""

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField

from hpi_app.validation import error_details, json_path, request_error_details, tagged_union
from tests.spec.examples import (
    CreateBody,
    body_with_blocks,
    input_block,
)


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
