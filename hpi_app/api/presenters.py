"""The REST door's view of domain objects: the JSON bodies of HPI's API (its field names).

The task bodies every door shares (``task_public``, ...) live in ``core.tasks.public``.
"""

from __future__ import annotations

from typing import Any

from hpi_app.core.delivery_log import DeliveryRecord
from hpi_app.core.outbox import public_sink
from hpi_app.core.subjects import id_key
from hpi_app.core.tasks import Notified, TemplateUse
from hpi_app.core.tasks.public import task_cancelled, task_created, task_public
from hpi_app.models import DeliveryAttempt, iso
from hpi_app.vocab import DeliveryStatus

__all__ = [
    "attempt_public",
    "delivery_public",
    "task_cancelled",
    "task_created",
    "task_notified",
    "task_public",
    "templates_public",
]


def task_notified(notified: Notified) -> dict[str, Any]:
    """The answer to a reminder: the task and who was emailed."""
    return {"task_id": notified.task_id, "notified": notified.notified}


def templates_public(uses: list[TemplateUse]) -> dict[str, Any]:
    """The templates in use (of tasks or of processes): each ``template_id``, how many, the newest's time."""
    return {
        "templates": [
            {"template_id": use.template_id, "count": use.count, "last_used_at": iso(use.last_used_at)}
            for use in uses
        ]
    }


def attempt_public(attempt: DeliveryAttempt) -> dict[str, Any]:
    """One attempt of a delivery, as the API shows it."""
    return {
        "attempt": attempt.attempt,
        "started_at": iso(attempt.started_at),
        "ok": attempt.ok,
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
    }


def delivery_public(record: DeliveryRecord) -> dict[str, Any]:
    """A delivery with its attempts, as the API shows it (never the sink's secret)."""
    row = record.delivery
    about: dict[str, Any] = {"task_id": None}
    if row.subject_kind:
        about[id_key(row.subject_kind)] = row.subject_id
    return {
        "delivery_id": row.id,
        "webhook_id": row.webhook_id,
        **about,
        "sink_id": row.sink_id,
        "event": row.event,
        "sink": public_sink(row.sink),
        "status": row.status,
        "attempt_count": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": iso(row.created_at),
        "next_attempt_at": iso(row.next_attempt_at) if row.status == DeliveryStatus.PENDING else None,
        "deadline_at": iso(row.deadline_at),
        "delivered_at": iso(row.delivered_at),
        "attempts": [attempt_public(a) for a in record.attempts],
    }
