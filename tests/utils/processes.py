"""Process bodies and store counts the process tests build on."""

from __future__ import annotations

import copy
from typing import Any

from hpi_app.models import Process, ProcessStep, Task, TimelineEntry
from tests.utils.store import row_counts

THREE_STEPS: dict[str, Any] = {
    "namespace": "ops.deploy",
    "name": "Deploy release 1.4",
    "steps": [
        {"key": "build", "label": "Build the image"},
        {"key": "approve", "label": "Approve the release", "human": True},
        {"key": "rollout", "label": "Roll out"},
    ],
}


def process_body(**overrides: Any) -> dict[str, Any]:
    """A three-step process body (build, a human approval, rollout), with ``overrides`` applied."""
    body = copy.deepcopy(THREE_STEPS)
    body.update(overrides)
    return body


def approval_task(process_id: str | None = None, step: str | None = "approve", **overrides: Any) -> dict:
    """A task body with one optional checkbox, as the human step of a process."""
    body: dict[str, Any] = {
        "title": "Approve release 1.4",
        "steps": [
            {
                "id": "s",
                "title": "Approve",
                "blocks": [
                    {
                        "type": "input",
                        "field": {"name": "ok", "label": "OK", "kind": "checkbox", "required": False},
                    }
                ],
            }
        ],
    }
    if process_id is not None:
        body["process_id"] = process_id
    if step is not None:
        body["process_step"] = step
    body.update(overrides)
    return body


def store_counts() -> dict[str, int]:
    """How many processes, steps, tasks and timeline entries the store holds."""
    return row_counts(Process, ProcessStep, Task, TimelineEntry)
