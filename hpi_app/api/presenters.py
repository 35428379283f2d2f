"""The REST door's view of domain objects: the JSON bodies of HPI's API (its field names)."""

from __future__ import annotations

from typing import Any

from hpi_app import routes
from hpi_app.core.delivery_log import DeliveryRecord
from hpi_app.core.outbox import public_sink
from hpi_app.core.subjects import id_key
from hpi_app.core.tasks import CancelledTask, CreatedTask, Notified, TemplateUse
from hpi_app.models import DeliveryAttempt, iso
from hpi_app.vocab import DeliveryStatus


def task_public(task: Any, base_url: str, *, include_definition: bool = False) -> dict[str, Any]:
    """The task object of the API; its definition (``steps``, ``instructions_mdsvex``) only if asked for."""
    finished = task.completed_at or task.cancelled_at or task.expired_at
    duration_ms = int((finished - task.created_at).total_seconds() * 1000) if finished else None
    definition = (
        {"instructions_mdsvex": task.instructions_mdsvex, "steps": task.steps} if include_definition else {}
    )
    return {
        "task_id": task.id,
        "org_id": task.org_id,
        "title": task.title,
        **definition,
        "status": task.status,
        "created_at": iso(task.created_at),
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by,
        "data": task.data,
        "payload": task.payload,
        "metadata": task.meta,
        "cancelled_at": iso(task.cancelled_at),
        "cancel_reason": task.cancel_reason,
        "assignee_id": task.assignee_id,
        "assignee_type": task.assignee_type,
        "created_by": task.created_by,
        "correlation_key": task.correlation_key,
        "corr_id": task.correlation_key,
        "template_id": task.template_id,
        "process_id": task.process_id,
        "process_step": task.process_step,
        "link_id": task.link_id,
        "url": routes.task_link(base_url, task.link_id),
        "requires_otp": task.requires_otp,
        "duration_ms": duration_ms,
        "expires_at": iso(task.expires_at),
        "expired_at": iso(task.expired_at),
        "reminders": task.reminders,
        "escalation": task.escalation,
        "on_expire": task.on_expire,
        "reminded_count": task.reminded_count or 0,
        "escalated_count": task.escalated_count or 0,
    }


def task_created(created: CreatedTask, base_url: str) -> dict[str, Any]:
    """The answer to a created task: its ids, link and expiry (and generated webhook secrets, once)."""
    task = created.task
    answer: dict[str, Any] = {
        "task_id": task.id,
        "link_id": task.link_id,
        "url": routes.task_link(base_url, task.link_id),
        "requires_otp": task.requires_otp,
        "created_at": iso(task.created_at),
        "expires_at": iso(task.expires_at),
    }
    if created.webhook_secrets:
        answer["webhook_secrets"] = created.webhook_secrets
    return answer


def task_cancelled(cancelled: CancelledTask) -> dict[str, Any]:
    """The answer to a cancelled task."""
    return {"task_id": cancelled.task.id, "status": cancelled.task.status}


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
