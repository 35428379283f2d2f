"""Tests of the block types: parsing, unknown types and block-level spec errors."""

import pytest

from hpi_app.spec.blocks import Block
from tests.spec.examples import (
    BLOCK_EXAMPLES,
    CreateBody,
    assert_parses_and_dumps_back,
    body_with_blocks,
    errors_of,
    input_block,
)


@pytest.mark.parametrize("block_type", sorted(BLOCK_EXAMPLES))
def test_every_block_type_parses(block_type):
    assert BLOCK_EXAMPLES[block_type]["type"] == block_type
    assert_parses_and_dumps_back(Block, BLOCK_EXAMPLES[block_type], "type")


def test_a_task_with_every_block_parses():
    body = CreateBody.model_validate(body_with_blocks(*BLOCK_EXAMPLES.values()))
    assert [b.type for b in body.steps[0].blocks] == list(BLOCK_EXAMPLES)


def test_unknown_keys_are_ignored():
    block = input_block(colour="blue")
    block["extra"] = 1
    body = CreateBody.model_validate({**body_with_blocks(block), "whatever": True})
    dumped = body.model_dump(mode="json")
    assert "extra" not in dumped["steps"][0]["blocks"][0]
    assert "colour" not in dumped["steps"][0]["blocks"][0]["field"]


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
