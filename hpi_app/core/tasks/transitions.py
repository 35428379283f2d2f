"""A task's transitions: complete, cancel and expire (each exactly once), and opening its page.

Expiring honours the task's ``on_expire`` policy: ``complete`` finishes it with the policy's
answers (``completed_by: "policy:on_expire"``), ``cancel`` cancels it with the policy's reason,
each written, recorded and announced exactly as a person's completion or cancellation. Every
transition cancels the task's scheduled actions still waiting, in its own transaction.

Finishing a task is one conditional UPDATE: only a pending task that is not overdue matches, so
of two racing callers exactly one changes the row (SQLite: one writer at a time; PostgreSQL: the
second waits on the row lock, then finds it no longer pending). RETURNING hands back what the
timeline, the outbox and the answer need, so nothing is read before or after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, update
from sqlmodel import Session, func, select

from hpi_app.core import idempotency, link_rows, timeline
from hpi_app.core.errors import InvalidInput
from hpi_app.core.events import Change, bus
from hpi_app.core.idempotency import IdempotencyRequest, Replay
from hpi_app.core.processes import steps as process_steps
from hpi_app.core.processes.changes import announce as announce_process_changes
from hpi_app.core.tasks.changes import TASK, publish_change, record_change, subject
from hpi_app.core.tasks.create import NewTask, new_task
from hpi_app.core.tasks.rules import is_overdue, is_task_id, not_pending, task_not_found
from hpi_app.core.tasks.schedules import cancel_open
from hpi_app.db import read_first, session_scope
from hpi_app.models import Submission, Task, new_id, utcnow
from hpi_app.spec import SubmissionError, load_steps, validate_submission
from hpi_app.vocab import POLICY_ACTOR, ExpiryAction, TaskStatus

_TASKS = Task.__table__
_NOW = bindparam("now", type_=_TASKS.c.expires_at.type)
_PENDING = (_TASKS.c.id == bindparam("task_id"), _TASKS.c.status == TaskStatus.PENDING)
_NOT_OVERDUE = or_(_TASKS.c.expires_at.is_(None), _TASKS.c.expires_at > _NOW)
_OVERDUE = (*_PENDING, _TASKS.c.expires_at.is_not(None), _TASKS.c.expires_at <= _NOW)
_CANCELLED = {"status": TaskStatus.CANCELLED, "cancelled_at": _NOW, "cancel_reason": bindparam("reason")}
_CANCEL = (
    update(_TASKS)
    .where(*_PENDING, _TASKS.c.org_id == bindparam("org"), _NOT_OVERDUE)
    .values(**_CANCELLED)
    .returning(_TASKS.c.sinks, _TASKS.c.correlation_key, _TASKS.c.expires_at, _TASKS.c.assignee_id)
)
_COMPLETED = {
    "status": TaskStatus.COMPLETED,
    "completed_at": _NOW,
    "completed_by": bindparam("actor"),
    "data": bindparam("answers", type_=_TASKS.c.data.type),
}
# The completed task is the caller's answer: the whole row, as a Task.
_COMPLETE = select(Task).from_statement(
    update(_TASKS).where(*_PENDING, _NOT_OVERDUE).values(**_COMPLETED).returning(*_TASKS.c)
)
_EXPIRE = (
    update(_TASKS)
    .where(*_OVERDUE)
    .values(status=TaskStatus.EXPIRED, expired_at=_NOW)
    .returning(
        _TASKS.c.org_id, _TASKS.c.sinks, _TASKS.c.correlation_key, _TASKS.c.expires_at, _TASKS.c.assignee_id
    )
)
# on_expire: complete or cancel an overdue task, as a person's completion or cancellation would.
_EXPIRY_POLICY = select(_TASKS.c.on_expire).where(_TASKS.c.id == bindparam("task_id"))
_POLICY_COMPLETE = select(Task).from_statement(
    update(_TASKS).where(*_OVERDUE).values(**_COMPLETED).returning(*_TASKS.c)
)
_POLICY_CANCEL = (
    update(_TASKS)
    .where(*_OVERDUE)
    .values(**_CANCELLED)
    .returning(
        _TASKS.c.org_id, _TASKS.c.sinks, _TASKS.c.correlation_key, _TASKS.c.expires_at, _TASKS.c.assignee_id
    )
)
# Where a task stands, for the refusals (and, with its steps, for validating a submission).
_STATE = select(_TASKS.c.id, _TASKS.c.org_id, _TASKS.c.status, _TASKS.c.expires_at).where(
    _TASKS.c.id == bindparam("task_id")
)
_STATE_AND_STEPS = _STATE.add_columns(_TASKS.c.steps)
_INSERT_SUBMISSION = insert(Submission.__table__)


@dataclass(frozen=True)
class CancelledTask:
    """What cancelling came to: the cancelled task, or the first answer to a repeated key."""

    task: NewTask | None
    replay: Replay | None = None


def _refusal(session: Session, task_id: str, org_id: str | None = None) -> Exception:
    """Why a conditional change matched no row: 404, or 409 with the task's current state.

    Reads the row in the change's transaction (which it then rolls back). A task found pending
    was overdue (the only other reason not to match): it is expired first, as a read would.
    """
    state = session.connection().execute(_STATE, {"task_id": task_id}).first()
    session.rollback()
    if state is None or (org_id is not None and state.org_id != org_id):
        return task_not_found(task_id)
    if state.status == TaskStatus.PENDING:
        expire_task(task_id)
        state = read_first(_STATE, {"task_id": task_id}) or state
    return not_pending(state)


def complete_task(
    task_id: str,
    data: Any,
    *,
    org_id: str | None = None,
    actor: str | None = None,
    through_link: str | None = None,
) -> Task:
    """Accept a submission: validate ``data`` against the spec and finish the task.

    Exactly one of several concurrent submissions wins; the others get a Conflict and
    change nothing. The task's change, its submission, timeline entry and outbox deliveries are
    written in one transaction; ``task.completed`` is published after it commits.

    Args:
        task_id: The task.
        data: The submitted answers, keyed by field name.
        org_id: When given, the task must belong to this organisation.
        actor: Who submitted (a member id or an email), for the timeline.
        through_link: The link the submission came through, if any: a withdrawn or expired
            link is refused in the same transaction, and nothing is written.

    Returns:
        The completed task.
    """
    current = read_first(_STATE_AND_STEPS, {"task_id": task_id}) if is_task_id(task_id) else None
    if current is None or (org_id is not None and current.org_id != org_id):
        raise task_not_found(task_id)
    if is_overdue(current):
        expire_task(current.id)
        raise not_pending(read_first(_STATE, {"task_id": current.id}) or current)
    if current.status != TaskStatus.PENDING:
        raise not_pending(current)
    try:
        cleaned = validate_submission(load_steps(current.steps), data)
    except SubmissionError as exc:
        raise InvalidInput(
            "Some answers need attention.", code="invalid_submission", details=exc.details
        ) from None
    now = utcnow()
    with session_scope(write=True) as session:
        closed = through_link and link_rows.closed_reason(session, through_link, current.id, now)
        if closed:
            raise link_rows.link_closed(closed)
        task = session.scalars(
            _COMPLETE, {"task_id": current.id, "now": now, "actor": actor, "answers": cleaned}
        ).first()
        if task is None:
            raise _refusal(session, current.id)
        recorded, process_news = _completed(session, task, cleaned, actor, now)
        session.commit()
    publish_change(task, TaskStatus.COMPLETED, recorded)
    announce_process_changes(process_news)
    return task


def submission_row(
    task_id: str, data: dict, actor: str | None, at: datetime, submission_id: str | None = None
) -> dict[str, Any]:
    """A completion's submission row, as ``_INSERT_SUBMISSION`` (and the bulk path) write it."""
    return {
        "id": submission_id or new_id(),
        "task_id": task_id,
        "data": data,
        "submitted_by": actor,
        "submitted_at": at,
    }


def _completed(session: Session, task: Task, cleaned: dict, actor: str | None, now: datetime) -> tuple:
    """In the completion's transaction: its submission, timeline entry, deliveries and process step."""
    session.connection().execute(_INSERT_SUBMISSION, submission_row(task.id, cleaned, actor, now))
    cancel_open(session, task.id, now)
    recorded = record_change(session, task, TaskStatus.COMPLETED, actor)
    return recorded, process_steps.task_completed(session, task)


def cancel_task(
    org_id: str,
    task_id: str,
    reason: str | None,
    *,
    actor: str | None,
    idempotency_request: IdempotencyRequest | None = None,
) -> CancelledTask:
    """Cancel a pending task of ``org_id`` on behalf of ``actor`` (a member id).

    The change, its timeline entry, its outbox deliveries and the ``Idempotency-Key`` record are
    written in one transaction; ``task.cancelled`` is published after it commits.

    Raises:
        NotFound: No such task in the organisation.
        Conflict: The task is no longer pending (an overdue one is expired first).
    """
    now = utcnow()
    with session_scope(write=True) as session:
        if idempotency_request is not None:
            replay = idempotency.find_replay(session, org_id, idempotency_request)
            if replay is not None:
                return CancelledTask(None, replay)
        if not is_task_id(task_id):
            raise task_not_found(task_id)
        won = (
            session.connection()
            .execute(_CANCEL, {"task_id": task_id, "org": org_id, "now": now, "reason": reason})
            .first()
        )
        if won is None:
            raise _refusal(session, task_id, org_id)
        task = new_task(
            id=task_id,
            org_id=org_id,
            status=TaskStatus.CANCELLED,
            cancelled_at=now,
            cancel_reason=reason,
            sinks=won.sinks,
            correlation_key=won.correlation_key,
            expires_at=won.expires_at,
            assignee_id=won.assignee_id,
        )
        detail = {"reason": reason} if reason else None
        cancel_open(session, task_id, now)
        recorded = record_change(session, task, TaskStatus.CANCELLED, actor, detail)
        cancelled = CancelledTask(task)
        if idempotency_request is not None:
            idempotency.record(session, org_id, idempotency_request, cancelled)
        session.commit()
    publish_change(task, TaskStatus.CANCELLED, recorded)
    return cancelled


def expire_task(task_id: str) -> bool:
    """Expire one overdue pending task by its ``on_expire`` policy; True if this call did it (once)."""
    now = utcnow()
    process_news = []
    with session_scope(write=True) as session:
        connection = session.connection()
        policy = connection.execute(_EXPIRY_POLICY, {"task_id": task_id}).scalar() or {}
        action = policy.get("action", ExpiryAction.EXPIRE)
        params = {"task_id": task_id, "now": now}
        if action == ExpiryAction.COMPLETE:
            answers = policy.get("data") or {}
            task = session.scalars(
                _POLICY_COMPLETE, params | {"actor": POLICY_ACTOR, "answers": answers}
            ).first()
            if task is None:
                session.rollback()
                return False
            recorded, process_news = _completed(session, task, answers, POLICY_ACTOR, now)
            kind = TaskStatus.COMPLETED
        else:
            cancel = action == ExpiryAction.CANCEL
            reason = policy.get("reason")
            statement, params = (_POLICY_CANCEL, params | {"reason": reason}) if cancel else (_EXPIRE, params)
            won = connection.execute(statement, params).first()
            if won is None:
                session.rollback()
                return False
            kind = TaskStatus.CANCELLED if cancel else TaskStatus.EXPIRED
            task = new_task(
                id=task_id,
                org_id=won.org_id,
                status=kind,
                **({"cancelled_at": now, "cancel_reason": reason} if cancel else {"expired_at": now}),
                sinks=won.sinks,
                correlation_key=won.correlation_key,
                expires_at=won.expires_at,
                assignee_id=won.assignee_id,
            )
            cancel_open(session, task_id, now)
            detail = {"reason": reason} if cancel and reason else None
            recorded = record_change(session, task, kind, POLICY_ACTOR if cancel else None, detail)
        session.commit()
    publish_change(task, kind, recorded)
    announce_process_changes(process_news)
    return True


def expire_due(limit: int = 500) -> int:
    """Expire every pending task whose expiry has passed; returns how many this call expired."""
    now = utcnow()
    with session_scope() as session:
        due = session.exec(
            select(Task.id)
            .where(Task.status == TaskStatus.PENDING, Task.expires_at.is_not(None), Task.expires_at <= now)
            .limit(limit)
        ).all()
    return sum(expire_task(task_id) for task_id in due)


def next_expiry() -> datetime | None:
    """When the next pending task expires, if any does."""
    with session_scope() as session:
        return session.exec(
            select(func.min(Task.expires_at)).where(
                Task.status == TaskStatus.PENDING, Task.expires_at.is_not(None)
            )
        ).one()


def record_opened(task: Task, actor: str | None) -> None:
    """Note on the timeline that someone opened a pending task's page (once per actor)."""
    if task.status != TaskStatus.PENDING:
        return
    about = subject(task.id)
    with session_scope(write=True) as session:
        if timeline.has_entry(session, about, "opened", actor):
            return
        event_id = timeline.record(session, task.org_id, about, "opened", actor)
        session.commit()
    bus.publish(Change(TASK.event_name("opened"), task.org_id, about, task.status, False, event_id))
