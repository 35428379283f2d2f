"""A process's human steps and their tasks: a task joins a step, and its completion completes it.

The tasks core calls these inside its own transactions (creating a task, completing one), so a
task and its step change together or not at all. This module imports nothing of ``core.tasks``:
it is handed the task's values. Each returns the process changes to publish after the commit
(``changes.announce``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from hpi_app.core.errors import InvalidInput
from hpi_app.core.events import Change
from hpi_app.core.processes.changes import UPDATED, record_change
from hpi_app.core.processes.fold import finish_step, lock_running, refusal, step_of
from hpi_app.models import ProcessStep, utcnow
from hpi_app.vocab import StepStatus


def check_fields(process_id: str | None, process_step: str | None) -> None:
    """Refuse a ``process_step`` without a ``process_id`` (400 naming it)."""
    if process_step is not None and not process_id:
        raise InvalidInput(
            "process_step names a step of a process: give process_id too.",
            details=[{"field": "process_step", "message": "needs process_id"}],
        )


def join_task(
    session: Session,
    org_id: str,
    process_id: str,
    process_step: str | None,
    task_id: str,
    actor: str | None,
) -> list[Change]:
    """Make a new task part of a running process (and the task of ``process_step``), in its transaction.

    The caller has already refused a ``process_step`` without a ``process_id`` (:func:`check_fields`,
    before its write transaction begins).

    Raises:
        NotFound: No such process in the organisation (naming ``process_id``).
        Conflict: The process has completed or failed (naming ``process_id``).
        InvalidInput: The process has no step ``process_step`` (naming ``process_step``).
    """
    now = utcnow()
    if lock_running(session, process_id, org_id, now) is None:
        raise refusal(session, process_id, org_id, field="process_id")
    detail: dict[str, Any] = {"type": "task_added", "task_id": task_id}
    if process_step is not None:
        step = step_of(session, process_id, process_step, field="process_step")
        step.task_id = task_id
        session.add(step)
        session.flush()
        detail["step"] = process_step
    return [record_change(session, org_id, process_id, UPDATED, actor, detail)]


def task_completed(session: Session, task: Any) -> list[Change]:
    """Complete the step a just-completed task does, with the task's data, in the task's transaction.

    ``task`` needs ``id``, ``org_id``, ``process_id``, ``process_step``, ``data``, ``created_at``,
    ``completed_at`` and ``completed_by``. A task of no step, or of a process that has finished,
    changes no process.
    """
    if not task.process_id or not task.process_step:
        return []
    now: datetime = task.completed_at or utcnow()
    if lock_running(session, task.process_id, task.org_id, now) is None:
        return []
    step = session.get(ProcessStep, (task.process_id, task.process_step))
    # Only the step's own task, while the step is still open, completes it (a step finished over
    # REST, or handed to a newer task, keeps what it has).
    if step is None or step.task_id != task.id or step.status not in (StepStatus.PENDING, StepStatus.RUNNING):
        return []
    if step.started_at is None:
        step.started_at = task.created_at  # the human step began when its task was made
    finish_step(step, StepStatus.COMPLETED, now)
    step.data = task.data
    session.add(step)
    session.flush()
    detail = {"type": "step_completed", "step": step.key, "task_id": task.id}
    return [record_change(session, task.org_id, task.process_id, UPDATED, task.completed_by, detail)]
