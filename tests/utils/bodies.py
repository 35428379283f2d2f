"""Task bodies the tests build on."""

from __future__ import annotations

import copy
from typing import Any

SEED_TASK: dict[str, Any] = {
    "title": "Approve deployment to production",
    "steps": [
        {
            "id": "approval",
            "title": "Review and Approve",
            "blocks": [
                {
                    "type": "mdsvex",
                    "content": (
                        "A new deployment is ready for **production**. Please review the changes and approve."
                    ),
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


def seed_task(**overrides: Any) -> dict[str, Any]:
    """The quick-start page's task body, with ``overrides`` applied."""
    body = copy.deepcopy(SEED_TASK)
    body.update(overrides)
    return body
