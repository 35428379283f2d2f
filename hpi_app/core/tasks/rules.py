"""The small rules every task operation shares: which ids are task ids, when a task is overdue, refusals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from hpi_app.core.errors import Conflict, NotFound
from hpi_app.models import Task, utcnow
from hpi_app.vocab import TaskStatus

MAX_LIST_LIMIT = 200

_REFUSALS = {
    TaskStatus.COMPLETED: ("This task has already been completed.", "task_completed"),
    TaskStatus.CANCELLED: ("This task was cancelled.", "task_cancelled"),
    TaskStatus.EXPIRED: ("This task has expired.", "task_expired"),
}


def is_task_id(value: str) -> bool:
    """Whether ``value`` can be a task id (a UUID)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def is_overdue(task: Any, now: datetime | None = None) -> bool:
    """Whether a pending task's expiry has passed (``task`` needs ``status`` and ``expires_at``)."""
    return (
        task.status == TaskStatus.PENDING
        and task.expires_at is not None
        and task.expires_at <= (now or utcnow())
    )


def task_not_found(task_id: str) -> NotFound:
    """The refusal for a task that does not exist or belongs to another organisation."""
    return NotFound(f"No task with id {task_id}.", code="task_not_found")


def locked_task(session: Session, org_id: str | None, task_id: str) -> Task:
    """The task's row, locked for the caller's transaction (404 when not in ``org_id``)."""
    task = (
        session.exec(select(Task).where(Task.id == task_id).with_for_update()).first()
        if is_task_id(task_id)
        else None
    )
    if task is None or (org_id is not None and task.org_id != org_id):
        raise task_not_found(task_id)
    return task


def not_pending(task: Any) -> Conflict:
    """The refusal for acting on a task that is no longer pending (says which final state it is in).

    ``task`` may be a task or a row with the task's ``id`` and ``status``.
    """
    message, code = _REFUSALS.get(task.status, ("This task is not pending.", "task_not_pending"))
    return Conflict(message, code=code, extra={"status": task.status, "task_id": task.id})
