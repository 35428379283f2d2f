"""The update fold: each ``{type, ...}`` update moves a running process on (SPEC §11), once.

Every change to a process starts with one conditional UPDATE of its row that only matches while
it is running (``lock_running``). It takes the row's lock (PostgreSQL; SQLite has one writer at a
time), so concurrent updates of one process queue behind each other and each sees the steps the
one before it wrote: none is lost. An update that matches no row is refused (404, or 409 with the
state it ended in); an unknown step rolls the whole update back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Row
from sqlmodel import Session, select

from hpi_app.core.errors import DomainError
from hpi_app.core.events import Change
from hpi_app.core.processes.changes import UPDATED, announce, record_change
from hpi_app.core.processes.input import STEP_UPDATES, parse_update
from hpi_app.core.processes.rules import is_process_id, process_finished, process_not_found, unknown_step
from hpi_app.db import session_scope
from hpi_app.models import Process, ProcessStep, utcnow
from hpi_app.vocab import ProcessStatus, StepStatus

_PROCESSES = Process.__table__
_STATE = select(_PROCESSES.c.id, _PROCESSES.c.org_id, _PROCESSES.c.status).where(
    _PROCESSES.c.id == bindparam("process_id")
)


def lock_running(
    session: Session, process_id: str, org_id: str | None, now: datetime, **values: Any
) -> Row | None:
    """Touch a running process's row (with ``values``), taking its lock; None when none matched.

    Args:
        session: The change's transaction.
        process_id: The process.
        org_id: When given, the process must belong to this organisation.
        now: The change's time (the row's ``updated_at``).
        **values: More columns to set in the same statement (``status``, ``current_step``, ...).
    """
    if not is_process_id(process_id):
        return None
    conditions = [_PROCESSES.c.id == process_id, _PROCESSES.c.status == ProcessStatus.RUNNING]
    if org_id is not None:
        conditions.append(_PROCESSES.c.org_id == org_id)
    statement = (
        update(_PROCESSES)
        .where(*conditions)
        .values(updated_at=now, **values)
        .returning(_PROCESSES.c.id, _PROCESSES.c.org_id, _PROCESSES.c.started_at)
    )
    return session.connection().execute(statement).first()


def refusal(session: Session, process_id: str, org_id: str | None, field: str | None = None) -> DomainError:
    """Why ``lock_running`` matched no row: 404 (no such process here), or 409 (it has finished)."""
    state = None
    if is_process_id(process_id):
        state = session.connection().execute(_STATE, {"process_id": process_id}).first()
    if state is None or (org_id is not None and state.org_id != org_id):
        return process_not_found(process_id, field)
    return process_finished(state, field)


def step_of(session: Session, process_id: str, key: str, field: str = "step") -> ProcessStep:
    """A step of a locked process by its key (400 naming ``field`` for an unknown one)."""
    step = session.get(ProcessStep, (process_id, key))
    if step is None:
        known = session.exec(
            select(ProcessStep.key).where(ProcessStep.process_id == process_id).order_by(ProcessStep.position)
        ).all()
        raise unknown_step(key, list(known), field)
    return step


def finish_step(step: ProcessStep, status: str, now: datetime) -> None:
    """End a step (completed or failed) at ``now``, with its duration from when it started."""
    step.status = status
    step.completed_at = now
    step.duration_ms = int((now - step.started_at).total_seconds() * 1000) if step.started_at else None


@dataclass(frozen=True)
class Updated:
    """What an update came to: the process, the update's type, and when it was applied."""

    process_id: str
    update_type: str
    timestamp: datetime


def _process_values(update: Any) -> dict[str, Any]:
    if update.type == "step_started":
        return {"current_step": update.step}
    if update.type == "completed":
        return {"status": ProcessStatus.COMPLETED, "summary": update.summary}
    if update.type == "failed":
        return {"status": ProcessStatus.FAILED, "error": update.error}
    return {}


def _apply_to_step(step: ProcessStep, update: Any, now: datetime) -> None:
    if update.type == "step_started":
        # A step started again (after it failed, say) begins afresh: nothing of its last run stays.
        step.status, step.started_at = StepStatus.RUNNING, now
        step.completed_at = step.duration_ms = step.error = None
        step.detail = update.detail if update.detail is not None else step.detail
    elif update.type == "step_completed":
        finish_step(step, StepStatus.COMPLETED, now)
        step.detail = update.detail if update.detail is not None else step.detail
        step.data = update.data if update.data is not None else step.data
    elif update.type == "step_failed":
        finish_step(step, StepStatus.FAILED, now)
        step.error = update.error
    elif update.type == "progress":
        step.progress_message = update.message
        if update.percent is not None:
            step.progress_percent = update.percent


def _detail(update: Any) -> dict[str, Any]:
    shown = update.model_dump(mode="json", exclude_none=True, exclude={"data"})
    if getattr(update, "data", None) is not None:
        shown["has_data"] = True
    return shown


def fold(
    session: Session, org_id: str, process_id: str, update: Any, actor: str | None, now: datetime
) -> Change:
    """Apply one validated update in the caller's transaction; returns the change to publish."""
    values = _process_values(update)
    if update.type in ("completed", "failed"):
        values["completed_at"] = now
    if lock_running(session, process_id, org_id, now, **values) is None:
        raise refusal(session, process_id, org_id)
    if update.type in STEP_UPDATES:
        step = step_of(session, process_id, update.step)
        _apply_to_step(step, update, now)
        session.add(step)
        session.flush()
    kind = update.type if update.type in ("completed", "failed") else UPDATED
    return record_change(session, org_id, process_id, kind, actor, _detail(update))


def update_process(org_id: str, process_id: str, raw: Any, *, actor: str | None = None) -> Updated:
    """Validate a flat ``{type, ...}`` update and fold it into the process, in one transaction.

    Raises:
        InvalidInput: An unknown ``type`` or ``step``, or a field that breaks the update's rules.
        NotFound: No such process in the organisation.
        Conflict: The process has already completed or failed.
    """
    update = parse_update(raw)
    now = utcnow()
    with session_scope(write=True) as session:
        change = fold(session, org_id, process_id, update, actor, now)
        session.commit()
    announce([change])
    return Updated(process_id, update.type, now)
