"""Tasks as every door shows them: the JSON bodies of HPI's task API (its field names)."""

from __future__ import annotations

from typing import Any

from hpi_app import routes
from hpi_app.core.tasks.create import CreatedTask
from hpi_app.core.tasks.transitions import CancelledTask
from hpi_app.models import iso


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
