"""Example spec bodies and helpers shared by the spec tests."""

import base64

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from hpi_app.spec.steps import StepList
from hpi_app.validation import error_details
from tests.utils.bodies import SEED_TASK

# The quick-start page's body (one copy, in tests/utils); the spec tests only read it.
QUICK_START_BODY = SEED_TASK

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


def assert_parses_and_dumps_back(union: object, example: dict, tag: str) -> None:
    """``example`` parses as the ``union`` member its ``tag`` key names, and dumps back to itself."""
    parsed = TypeAdapter(union).validate_python(example)
    assert getattr(parsed, tag) == example[tag]
    dumped = TypeAdapter(union).dump_python(parsed, mode="json", exclude_none=True)
    assert keep_keys_of(dumped, example) == example


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
