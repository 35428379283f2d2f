"""Helpers for the task-route tests: a real SMTP server for reminders, store counts, task bodies."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from hpi_app.core.tasks import notify
from hpi_app.models import Delivery, Submission, Task, TimelineEntry
from tests.utils.receivers import SmtpReceiver
from tests.utils.store import row_counts, subject_rows

# A task with no required field: completing it with no body at all is valid.
OPTIONAL_ONLY = {
    "title": "Any notes?",
    "steps": [
        {
            "id": "notes",
            "title": "Notes",
            "blocks": [
                {
                    "type": "input",
                    "field": {"name": "note", "label": "Note", "kind": "text", "required": False},
                }
            ],
        }
    ],
}
BOTH_SINKS = [
    {
        "type": "webhook",
        "url": "https://receiver.example.com/hook",
        "events": ["completed", "cancelled", "reminded", "escalated"],
    }
]


@contextmanager
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpReceiver]:
    """A local SMTP server the reminders are sent to (``HPI_SMTP_URL`` pointed at it)."""
    with SmtpReceiver() as smtp:
        monkeypatch.setattr(notify, "settings", dataclasses.replace(notify.settings, smtp_url=smtp.url))
        yield smtp


def store_counts() -> dict[str, int]:
    """How many rows the tables a task change writes hold (a refused request must leave them)."""
    return row_counts(Task, TimelineEntry, Delivery, Submission)


def timeline_kinds(task_id: str) -> list[str]:
    """The kinds of a task's timeline entries, oldest first."""
    return [entry.kind for entry in subject_rows(TimelineEntry, task_id, TimelineEntry.id)]


def deliveries(task_id: str) -> list[Delivery]:
    """A task's queued deliveries, oldest first."""
    return subject_rows(Delivery, task_id, Delivery.created_at)
