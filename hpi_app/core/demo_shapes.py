"""The kinds of task the demo data is made of: the quick-start approval and others like it.

Each shape is a create body's spec (title, steps, template, metadata) and a few sets of answers a
person might give. Both are checked once by the same models that check a real create body and a
real submission (``TaskCreate``, ``validate_submission``), so a demo task is a task HPI could have
been sent and a demo answer one it would have accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from hpi_app.core.tasks.input import TaskCreate
from hpi_app.spec import load_steps, validate_submission


def _select(name: str, label: str, options: list[str], required: bool = True) -> dict[str, Any]:
    field = {"name": name, "label": label, "kind": "select", "options": options, "required": required}
    return {"type": "input", "field": field}


def _input(name: str, label: str, kind: str, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "field": {"name": name, "label": label, "kind": kind, "required": required, **extra},
    }


def _text(content: str) -> dict[str, Any]:
    return {"type": "mdsvex", "content": content}


# The quick-start page's task (../shared/seed/quick-start.txt), then others of its kind.
_SHAPES: list[dict[str, Any]] = [
    {
        "template_id": "deploy-approval",
        "titles": ["Approve deployment to production", "Approve deployment of {service} to production"],
        "steps": [
            {
                "id": "approval",
                "title": "Review and Approve",
                "blocks": [
                    _text(
                        "A new deployment is ready for **production**. Please review the changes and approve."
                    ),
                    _select("decision", "Decision", ["Approve", "Reject"]),
                    _input("comments", "Comments", "textarea", placeholder="Any additional notes..."),
                ],
            }
        ],
        "answers": [
            {"decision": "Approve"},
            {"decision": "Approve", "comments": "Looks good, ship it."},
            {"decision": "Reject", "comments": "The migration needs a rollback plan first."},
        ],
        "meta": {"team": ["platform", "payments", "search"], "env": ["production"]},
        "corr": "deploy",
        "expires_in": 86_400,
    },
    {
        "template_id": "expense-approval",
        "titles": ["Approve expense report from {person}", "Expense over limit: {person}"],
        "steps": [
            {
                "id": "review",
                "title": "Review the expense",
                "blocks": [
                    _text("An expense report needs a manager's approval. The receipts are attached."),
                    _select("decision", "Decision", ["Approve", "Reject", "Ask for details"]),
                    _input("amount_ok", "The amount matches the receipts", "checkbox"),
                    _input("note", "Note to the submitter", "textarea"),
                ],
            }
        ],
        "answers": [
            {"decision": "Approve", "amount_ok": True},
            {"decision": "Reject", "amount_ok": False, "note": "Hotel is over the travel policy."},
            {"decision": "Ask for details", "note": "Which project is this for?"},
        ],
        "meta": {"team": ["finance"], "region": ["emea", "amer", "apac"]},
        "corr": "exp",
        "expires_in": 604_800,
    },
    {
        "template_id": "code-review",
        "titles": ["Review pull request #{number} in {service}", "Security review for {service}"],
        "steps": [
            {
                "id": "review",
                "title": "Review",
                "blocks": [
                    _text("An automated change needs a human reviewer before it merges."),
                    _select("verdict", "Verdict", ["Approve", "Request changes", "Comment"]),
                    _input("risk", "Risk", "rating", max_rating=5),
                    _input("remarks", "Remarks", "textarea"),
                ],
            }
        ],
        "answers": [
            {"verdict": "Approve", "risk": 1},
            {"verdict": "Request changes", "risk": 4, "remarks": "Missing tests for the retry path."},
            {"verdict": "Comment", "risk": 2, "remarks": "Fine, but rename the flag."},
        ],
        "meta": {"team": ["platform", "search", "mobile"], "repo": ["api", "web", "ios"]},
        "corr": "pr",
        "expires_in": None,
    },
    {
        "template_id": "content-moderation",
        "titles": ["Moderate flagged comment on {service}", "Check reported image #{number}"],
        "steps": [
            {
                "id": "moderate",
                "title": "Moderate",
                "blocks": [
                    _text("A model flagged this content as possibly against the community rules."),
                    _select("action", "Action", ["Keep", "Hide", "Remove and warn"]),
                    _input("reason", "Reason", "text"),
                ],
            }
        ],
        "answers": [
            {"action": "Keep"},
            {"action": "Hide", "reason": "Spam"},
            {"action": "Remove and warn", "reason": "Harassment"},
        ],
        "meta": {"queue": ["comments", "images"], "lang": ["en", "de", "fr"]},
        "corr": "mod",
        "expires_in": 7_200,
    },
    {
        "template_id": "vendor-onboarding",
        "titles": ["Onboard vendor {company}", "Complete supplier details for {company}"],
        "steps": [
            {
                "id": "company",
                "title": "Company",
                "blocks": [
                    _text("Tell us about the company so we can set up payments."),
                    _input("legal_name", "Legal name", "text", required=True),
                    _input("contact", "Billing contact", "email", required=True),
                    _input("website", "Website", "url"),
                ],
            },
            {
                "id": "terms",
                "title": "Terms",
                "blocks": [
                    _select("payment_terms", "Payment terms", ["Net 15", "Net 30", "Net 60"]),
                    _input("start", "First delivery", "date"),
                    _input("accept", "I accept the supplier terms", "checkbox", required=True),
                ],
            },
        ],
        "answers": [
            {
                "legal_name": "Northwind Traders Ltd",
                "contact": "billing@northwind.example",
                "website": "https://northwind.example",
                "payment_terms": "Net 30",
                "start": "2026-03-02",
                "accept": True,
            },
            {
                "legal_name": "Contoso GmbH",
                "contact": "ap@contoso.example",
                "payment_terms": "Net 60",
                "accept": True,
            },
        ],
        "meta": {"team": ["procurement"], "tier": ["standard", "strategic"]},
        "corr": "vendor",
        "expires_in": 2_592_000,
    },
    {
        "template_id": "access-request",
        "titles": ["Grant {person} access to {service}", "Temporary admin access for {person}"],
        "steps": [
            {
                "id": "decide",
                "title": "Access request",
                "blocks": [
                    _text("Someone asked for access. Grant it only if their role needs it."),
                    _select("decision", "Decision", ["Grant", "Deny"]),
                    _input("days", "For how many days", "number", min=1, max=90),
                ],
            }
        ],
        "answers": [
            {"decision": "Grant", "days": 30},
            {"decision": "Grant", "days": 7},
            {"decision": "Deny"},
        ],
        "meta": {"team": ["security"], "system": ["aws", "github", "datadog"]},
        "corr": "access",
        "expires_in": 259_200,
    },
]

SERVICES = ["billing-api", "checkout", "search", "auth", "web", "ledger", "notifications", "reports"]
PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson"]
COMPANIES = ["Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "Wide World Importers"]
CANCEL_REASONS = ["No longer needed", "Superseded by a newer request", "Created by mistake", None]


@dataclass(frozen=True)
class Shape:
    """A kind of demo task: its spec as a create would store it, and answers it accepts."""

    template_id: str
    titles: tuple[str, ...]
    steps: list[dict[str, Any]]
    answers: tuple[dict[str, Any], ...]
    meta: dict[str, list[str]]
    corr: str
    expires_in: int | None


@cache
def shapes() -> tuple[Shape, ...]:
    """Every shape, its steps and answers checked by the create body and submission models."""
    made = []
    for raw in _SHAPES:
        title = raw["titles"][0].format(service="web", person="Ada", company="Contoso", number=1)
        body = TaskCreate.model_validate(
            {"title": title, "steps": raw["steps"], "expires_in": raw["expires_in"]}
        )
        steps = [step.model_dump(mode="json", exclude_none=True) for step in body.steps]
        loaded = load_steps(steps)
        answers = tuple(validate_submission(loaded, answer) for answer in raw["answers"])
        made.append(
            Shape(
                raw["template_id"],
                tuple(raw["titles"]),
                steps,
                answers,
                raw["meta"],
                raw["corr"],
                body.expires_in,
            )
        )
    return tuple(made)
