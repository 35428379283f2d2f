"""The task body the benchmarks create.

A copy of ``tests/utils/bodies.py``'s ``SEED_TASK`` (the quick-start page's task): the benchmarks
don't import the tests.
"""

from __future__ import annotations

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
