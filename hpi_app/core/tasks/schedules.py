"""A task's scheduled actions as rows: planned at create, leased and done by workers, cancelled when it ends.

Each reminder and escalation step of a task's policy is a ``ScheduledAction`` row, so it is in
the store (it survives restarts) and any number of workers share it. A worker **leases** a due
action with one conditional UPDATE (only an action nobody holds, or whose lease ran out,
matches), sends its mail, then marks it **done** with another (only the lease holder's, not yet
done or cancelled, matches): however many workers race, one records it. A task that ends
cancels its open actions in the transaction that ends it (``cancel_open``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, update
from sqlmodel import Session, func, select

from hpi_app.db import session_scope
from hpi_app.models import ScheduledAction, utcnow
from hpi_app.vocab import ActionKind

LEASE = timedelta(seconds=120)

_ACTIONS = ScheduledAction.__table__
_INSERT = insert(_ACTIONS)
_OPEN = (_ACTIONS.c.done_at.is_(None), _ACTIONS.c.cancelled_at.is_(None))
_NOW = bindparam("now", type_=_ACTIONS.c.due_at.type)
_LEASE = (
    update(_ACTIONS)
    .where(
        _ACTIONS.c.id == bindparam("action_id"),
        *_OPEN,
        _ACTIONS.c.due_at <= _NOW,
        or_(_ACTIONS.c.claimed_until.is_(None), _ACTIONS.c.claimed_until <= _NOW),
    )
    .values(
        claimed_by=bindparam("worker"),
        claimed_until=bindparam("until", type_=_ACTIONS.c.claimed_until.type),
        attempts=_ACTIONS.c.attempts + 1,
    )
    .returning(_ACTIONS.c.task_id, _ACTIONS.c.kind, _ACTIONS.c.seq, _ACTIONS.c.due_at)
)
_DONE = (
    update(_ACTIONS)
    .where(_ACTIONS.c.id == bindparam("action_id"), *_OPEN, _ACTIONS.c.claimed_by == bindparam("worker"))
    .values(done_at=_NOW, outcome=bindparam("outcome", type_=_ACTIONS.c.outcome.type))
)
_CANCEL = update(_ACTIONS).where(_ACTIONS.c.task_id == bindparam("of_task"), *_OPEN).values(cancelled_at=_NOW)


@dataclass(frozen=True)
class Leased:
    """A due action this worker holds: which task, what kind, its number and when it was due."""

    id: int
    task_id: str
    kind: str
    seq: int
    due_at: datetime


def plan(session: Session, task: Any, now: datetime) -> datetime | None:
    """In the create's transaction: the first reminder and every escalation step of ``task``.

    Returns:
        When the earliest of them is due (None: the task has no policy to schedule).
    """
    rows = []
    if task.reminders:
        rows.append((ActionKind.REMIND, 1, now + timedelta(seconds=task.reminders["after"])))
    for index, step in enumerate(task.escalation or []):
        rows.append((ActionKind.ESCALATE, index, now + timedelta(seconds=step["after"])))
    for kind, seq, due in rows:
        _insert(session, task, kind, seq, due, now)
    return min((due for _, _, due in rows), default=None)


def _insert(session: Session, task: Any, kind: str, seq: int, due: datetime, now: datetime) -> None:
    session.connection().execute(
        _INSERT,
        {
            "task_id": task.id,
            "org_id": task.org_id,
            "kind": kind,
            "seq": seq,
            "due_at": due,
            "created_at": now,
            "attempts": 0,
        },
    )


def plan_next_reminder(session: Session, task: Any, done: Leased, now: datetime) -> datetime | None:
    """In a reminder's done transaction: the next reminder, ``every`` after the one done, up to ``max``."""
    policy = task.reminders or {}
    if done.kind != ActionKind.REMIND or not policy.get("every") or done.seq >= policy.get("max", 1):
        return None
    due = max(done.due_at + timedelta(seconds=policy["every"]), now)
    _insert(session, task, ActionKind.REMIND, done.seq + 1, due, now)
    return due


def cancel_open(session: Session, task_id: str, now: datetime) -> int:
    """In a transition's transaction: cancel the task's actions still waiting; how many were."""
    return session.connection().execute(_CANCEL, {"of_task": task_id, "now": now}).rowcount


def lease(action_id: int, worker: str) -> Leased | None:
    """Hold one due action for ``worker`` (None: not due, done, cancelled or held by another)."""
    now = utcnow()
    with session_scope(write=True) as session:
        row = (
            session.connection()
            .execute(_LEASE, {"action_id": action_id, "worker": worker, "now": now, "until": now + LEASE})
            .first()
        )
        session.commit()
    return None if row is None else Leased(action_id, row.task_id, row.kind, row.seq, row.due_at)


def mark_done(session: Session, action: Leased, worker: str, outcome: dict, now: datetime) -> bool:
    """In the action's record transaction: mark it done; False when it was cancelled or lost its lease."""
    won = session.connection().execute(
        _DONE, {"action_id": action.id, "worker": worker, "now": now, "outcome": outcome}
    )
    return bool(won.rowcount)


def due_ids(limit: int = 200) -> list[int]:
    """The open actions due now, oldest first (another worker may take any of them first)."""
    now = utcnow()
    with session_scope() as session:
        return list(
            session.exec(
                select(ScheduledAction.id)
                .where(
                    ScheduledAction.done_at.is_(None),
                    ScheduledAction.cancelled_at.is_(None),
                    ScheduledAction.due_at <= now,
                    or_(ScheduledAction.claimed_until.is_(None), ScheduledAction.claimed_until <= now),
                )
                .order_by(ScheduledAction.due_at, ScheduledAction.id)
                .limit(limit)
            ).all()
        )


def next_due() -> datetime | None:
    """When the next open action is due (or its lease runs out), if any is open."""
    with session_scope() as session:
        due = session.exec(
            select(func.min(ScheduledAction.due_at)).where(
                ScheduledAction.done_at.is_(None),
                ScheduledAction.cancelled_at.is_(None),
                ScheduledAction.claimed_until.is_(None),
            )
        ).one()
        held = session.exec(
            select(func.min(ScheduledAction.claimed_until)).where(
                ScheduledAction.done_at.is_(None),
                ScheduledAction.cancelled_at.is_(None),
                ScheduledAction.claimed_until.is_not(None),
            )
        ).one()
    return min((moment for moment in (due, held) if moment is not None), default=None)


def of_task(task_id: str) -> list[ScheduledAction]:
    """Every action of one task, in the order they are (or were) due."""
    with session_scope() as session:
        return list(
            session.exec(
                select(ScheduledAction)
                .where(ScheduledAction.task_id == task_id)
                .order_by(ScheduledAction.due_at, ScheduledAction.id)
            ).all()
        )
