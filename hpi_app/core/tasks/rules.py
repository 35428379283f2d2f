"""The small rules every task operation shares: which ids are task ids, when a task is overdue, refusals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from hpi_app.core.errors import Conflict, NotFound
from hpi_app.models import utcnow
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


def not_pending(task: Any) -> Conflict:
    """The refusal for acting on a task that is no longer pending (says which final state it is in).

    ``task`` may be a task or a row with the task's ``id`` and ``status``.
    """
    message, code = _REFUSALS.get(task.status, ("This task is not pending.", "task_not_pending"))
    return Conflict(message, code=code, extra={"status": task.status, "task_id": task.id})
