"""Tasks: create, read, list, complete, cancel and expire. Every rule about tasks lives here."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, or_, select

from hpi_app.core import idempotency
from hpi_app.core.deliveries import enqueue_for_task, generate_webhook_secret
from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.core.events import TaskChanged, bus
from hpi_app.core.idempotency import IdempotencyRequest
from hpi_app.core.principal import Principal
from hpi_app.db import read_first, session_scope
from hpi_app.models import Submission, Task, TaskEvent, User, iso, new_id, utcnow
from hpi_app.schemas import TaskCreate
from hpi_app.spec import SubmissionError, load_steps, validate_submission

STATUSES = ("pending", "completed", "cancelled", "expired")
DONE_STATUSES = ("completed", "cancelled", "expired")
MAX_LIST_LIMIT = 200


@dataclass(frozen=True)
class Outcome:
    """An answer the API sends as it is: a status code and a JSON body."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def task_url(base_url: str, link_id: str) -> str:
    """The link a person opens to work on a task."""
    return f"{base_url.rstrip('/')}/t/{link_id}"


def to_public(task: Task, base_url: str) -> dict[str, Any]:
    """The task object of the API (HPI's field names)."""
    finished = task.completed_at or task.cancelled_at or task.expired_at
    duration_ms = int((finished - task.created_at).total_seconds() * 1000) if finished else None
    return {
        "task_id": task.id,
        "org_id": task.org_id,
        "title": task.title,
        "instructions_mdsvex": task.instructions_mdsvex,
        "steps": task.steps,
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
        "link_id": task.link_id,
        "url": task_url(base_url, task.link_id),
        "requires_otp": task.requires_otp,
        "duration_ms": duration_ms,
        "expires_at": iso(task.expires_at),
        "expired_at": iso(task.expired_at),
    }


def _resolve_assignee(session: Session, principal: Principal, body: TaskCreate) -> dict[str, Any]:
    assignee: dict[str, Any] = {
        "assignee_name": body.assignee_name,
        "assignee_phone": body.assignee_phone,
        "assignee_email": body.assignee_email,
        "requires_otp": False,
    }
    if body.assignee_member_id:
        member_id = principal.user_id if body.assignee_member_id == "me" else body.assignee_member_id
        member = session.get(User, member_id)
        if member is None or member.org_id != principal.org_id:
            raise InvalidInput(
                "The assignee is not a member of this organisation.",
                details=[{"field": "assignee_member_id", "message": "no member with this id"}],
            )
        assignee.update(assignee_id=member.id, assignee_type="member", assignee_email=member.email)
    elif body.assignee_email:
        member = session.exec(
            select(User).where(User.email == body.assignee_email, User.org_id == principal.org_id)
        ).first()
        if member is not None:
            assignee.update(assignee_id=member.id, assignee_type="member")
        else:
            assignee.update(assignee_type="external", requires_otp=True)
    return assignee


# A task as create_task holds it before it is stored: Task's attribute names, none of the ORM's
# cost. The timeline and the outbox only read a task, so they take either.
NewTask = SimpleNamespace

# Task changes are written with plain INSERTs (no ORM unit of work: creating is the hot path).
# A new task's row starts from the model's defaults, so columns and defaults stay defined once,
# on ``Task``.
_TASK_COLUMNS = {attr.key: attr.columns[0].key for attr in sa_inspect(Task).column_attrs}
_TASK_DEFAULTS = {
    name: field.default
    for name, field in Task.model_fields.items()
    if not field.is_required() and field.default_factory is None
}
_TASKS = Task.__table__
_INSERT_TASK = insert(_TASKS)
_INSERT_EVENT = insert(TaskEvent.__table__)
_TASK_ID = select(_TASKS.c.id).where(_TASKS.c.id == bindparam("task_id"))


@dataclass
class _Recorded:
    """A timeline entry written in a transaction, and how many deliveries it queued."""

    event_id: int
    deliveries: int


def _record(
    session: Session, task: Task | NewTask, kind: str, actor: str | None, detail: dict | None = None
) -> _Recorded:
    """Write a change's timeline entry and queue its deliveries, in the caller's transaction."""
    row = {"org_id": task.org_id, "task_id": task.id, "kind": kind, "actor": actor, "detail": detail}
    inserted = session.connection().execute(_INSERT_EVENT, {**row, "created_at": utcnow()})
    return _Recorded(inserted.inserted_primary_key[0], len(enqueue_for_task(session, task, kind)))


def _publish(task: Task | NewTask, kind: str, recorded: _Recorded) -> None:
    """Announce a committed change on the bus (after its transaction, never inside it)."""
    expires = task.expires_at.timestamp() if kind == "created" and task.expires_at else None
    bus.publish(
        TaskChanged(
            f"task.{kind}", task.org_id, task.id, task.status, recorded.event_id, expires, recorded.deliveries
        )
    )


def create_task(
    principal: Principal,
    body: TaskCreate,
    *,
    base_url: str,
    idempotency_request: IdempotencyRequest | None = None,
) -> Outcome:
    """Create a task from a validated body.

    The task, its timeline entry, its outbox deliveries and the ``Idempotency-Key`` record are
    written in one transaction; the ``task.created`` event is published after it commits.

    Args:
        principal: The token's identity; the task belongs to its organisation.
        body: The validated create body.
        base_url: The public base URL the task's link is built on.
        idempotency_request: The request's ``Idempotency-Key``, if it sent one.

    Returns:
        201 and the created task's summary, or the first answer replayed for a repeated key.
    """
    # Everything that needs no store is done before the write transaction (and its lock).
    now = utcnow()
    sinks, secrets_out = _prepare_sinks(body)
    task = _new_task(
        id=body.task_id or str(uuid.uuid4()),
        org_id=principal.org_id,
        title=body.title,
        instructions_mdsvex=body.instructions_mdsvex,
        steps=[step.model_dump(mode="json", exclude_none=True) for step in body.steps],
        created_at=now,
        created_by=principal.user_id,
        payload=body.payload,
        meta=body.metadata,
        sinks=sinks or None,
        correlation_key=body.corr_id,
        link_id=secrets.token_urlsafe(24),
        expires_at=now + timedelta(seconds=body.expires_in) if body.expires_in else None,
        assignee_name=body.assignee_name,
        assignee_phone=body.assignee_phone,
        assignee_email=body.assignee_email,
    )
    with session_scope(write=True) as session:
        if idempotency_request is not None:
            replay = idempotency.find_replay(session, principal.org_id, idempotency_request)
            if replay is not None:
                return Outcome(*replay, replayed=True)
        if body.task_id and _task_exists(session, task.id):
            raise _task_id_taken(task.id)
        if body.assignee_member_id or body.assignee_email:
            vars(task).update(_resolve_assignee(session, principal, body))
        answer: dict[str, Any] = {
            "task_id": task.id,
            "link_id": task.link_id,
            "url": task_url(base_url, task.link_id),
            "requires_otp": task.requires_otp,
            "created_at": iso(task.created_at),
            "expires_at": iso(task.expires_at),
        }
        if secrets_out:
            answer["webhook_secrets"] = secrets_out
        try:
            session.connection().execute(_INSERT_TASK, {_TASK_COLUMNS[k]: v for k, v in vars(task).items()})
            recorded = _record(session, task, "created", principal.user_id)
            if idempotency_request is not None:
                idempotency.record(session, principal.org_id, idempotency_request, 201, answer)
            session.commit()
        except IntegrityError:
            session.rollback()
            return _after_create_race(session, principal, task.id, idempotency_request)
    _publish(task, "created", recorded)
    return Outcome(201, answer)


def _new_task(**values: Any) -> NewTask:
    return NewTask(**(_TASK_DEFAULTS | values))


def _task_exists(session: Session, task_id: str) -> bool:
    return session.connection().execute(_TASK_ID, {"task_id": task_id}).first() is not None


def _task_id_taken(task_id: str) -> Conflict:
    return Conflict(
        f"A task with id {task_id} already exists. Choose another task_id or leave it out.",
        code="task_exists",
        details=[{"field": "task_id", "message": "already exists"}],
    )


def _after_create_race(
    session: Session, principal: Principal, task_id: str, req: IdempotencyRequest | None
) -> Outcome:
    # A concurrent request won: replay its answer if it carried the same key.
    if req is not None:
        replay = idempotency.find_replay(session, principal.org_id, req)
        if replay is not None:
            return Outcome(*replay, replayed=True)
    if _task_exists(session, task_id):
        raise _task_id_taken(task_id)
    raise Conflict("The task could not be created because of a concurrent change; retry.")


def _prepare_sinks(body: TaskCreate) -> tuple[list[dict], list[dict]]:
    sinks, generated = [], []
    for index, sink in enumerate(body.sinks):
        data = sink.model_dump(mode="json", exclude_none=True)
        if data["type"] == "webhook" and not data.get("secret"):
            data["secret"] = generate_webhook_secret()
            generated.append({"sink": index, "url": data["url"], "secret": data["secret"]})
        sinks.append(data)
    return sinks, generated


def _load(session: Session, org_id: str | None, task_id: str) -> Task:
    task = session.get(Task, task_id) if _is_uuid(task_id) else None
    if task is None or (org_id is not None and task.org_id != org_id):
        raise NotFound(f"No task with id {task_id}.", code="task_not_found")
    return task


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def get_task(org_id: str, task_id: str) -> Task:
    """A task of ``org_id``; a task past its expiry is expired first."""
    with session_scope() as session:
        task = _load(session, org_id, task_id)
    if _is_overdue(task):
        expire_task(task.id)
        with session_scope() as session:
            task = _load(session, org_id, task_id)
    return task


def get_task_by_link(link_id: str) -> Task:
    """The task behind a link, expired first if it is overdue."""
    if not link_id or len(link_id) > 64:
        raise NotFound("This link does not exist.", code="link_not_found")
    with session_scope() as session:
        task = session.exec(select(Task).where(Task.link_id == link_id)).first()
    if task is None:
        raise NotFound("This link does not exist.", code="link_not_found")
    if _is_overdue(task):
        expire_task(task.id)
        return get_task(task.org_id, task.id)
    return task


def _is_overdue(task: Task, now: datetime | None = None) -> bool:
    return task.status == "pending" and task.expires_at is not None and task.expires_at <= (now or utcnow())


@dataclass(frozen=True)
class TaskFilter:
    """What ``list_tasks`` selects.

    Attributes:
        statuses: Statuses to include (empty: all).
        search: A case-insensitive substring of the title.
        sort: ``newest`` or ``oldest``.
        assignee_id: Only tasks assigned to this member.
        unassigned: Only tasks with no assignee.
        limit: Page size, 1 to 200.
        offset: Rows to skip.
    """

    statuses: tuple[str, ...] = ()
    search: str | None = None
    sort: str = "newest"
    assignee_id: str | None = None
    unassigned: bool = False
    limit: int = 50
    offset: int = 0


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """Read ``status=pending`` or ``status=completed,cancelled`` (``done`` = every final state)."""
    if not raw:
        return ()
    out: list[str] = []
    for part in (p.strip() for p in raw.split(",")):
        if part == "done":
            out.extend(DONE_STATUSES)
        elif part in STATUSES:
            out.append(part)
        else:
            raise InvalidInput(
                f"Unknown status '{part}'.",
                details=[{"field": "status", "message": f"must be one of: {', '.join(STATUSES)}, done"}],
            )
    return tuple(dict.fromkeys(out))


def list_tasks(org_id: str, flt: TaskFilter) -> tuple[list[Task], int]:
    """A page of an organisation's tasks and the total that match."""
    conditions = [Task.org_id == org_id]
    if flt.statuses:
        conditions.append(Task.status.in_(flt.statuses))
    if flt.search:
        conditions.append(func.lower(Task.title).contains(flt.search.lower(), autoescape=True))
    if flt.assignee_id:
        conditions.append(Task.assignee_id == flt.assignee_id)
    if flt.unassigned:
        conditions.append(Task.assignee_id.is_(None))
    order = Task.created_at.desc() if flt.sort == "newest" else Task.created_at.asc()
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(Task).where(*conditions)).one()
        rows = session.exec(
            select(Task).where(*conditions).order_by(order, Task.id).offset(flt.offset).limit(flt.limit)
        ).all()
    return list(rows), total


def titles(org_id: str, task_ids: set[str]) -> dict[str, str]:
    """The titles of those of ``task_ids`` that are tasks of ``org_id``."""
    if not task_ids:
        return {}
    with session_scope() as session:
        rows = session.exec(select(Task.id, Task.title).where(Task.org_id == org_id, Task.id.in_(task_ids)))
        return dict(rows.all())


def count_by_status(org_id: str) -> dict[str, int]:
    """How many tasks of the organisation are in each status."""
    with session_scope() as session:
        rows = session.exec(
            select(Task.status, func.count()).where(Task.org_id == org_id).group_by(Task.status)
        ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


def resolve_member(org_id: str, ref: str, principal: Principal | None = None) -> str | None:
    """A member id from an id, an email, or ``me``; None when no such member exists."""
    if ref == "me":
        return principal.user_id if principal else None
    with session_scope() as session:
        member = session.exec(
            select(User).where(User.org_id == org_id, or_(User.id == ref, User.email == ref.lower()))
        ).first()
    return member.id if member else None


_REFUSALS = {
    "completed": ("This task has already been completed.", "task_completed"),
    "cancelled": ("This task was cancelled.", "task_cancelled"),
    "expired": ("This task has expired.", "task_expired"),
}


def not_pending(task: Task | Row) -> Conflict:
    """The refusal for acting on a task that is no longer pending (says which final state it is in).

    ``task`` may also be a row with the task's ``id`` and ``status``.
    """
    message, code = _REFUSALS.get(task.status, ("This task is not pending.", "task_not_pending"))
    return Conflict(message, code=code, extra={"status": task.status, "task_id": task.id})


# Finishing a task is one conditional UPDATE: only a pending task that is not overdue matches, so
# of two racing callers exactly one changes the row (SQLite: one writer at a time; PostgreSQL: the
# second waits on the row lock, then finds it no longer pending). RETURNING hands back what the
# timeline, the outbox and the answer need, so nothing is read before or after it.
_NOW = bindparam("now", type_=_TASKS.c.expires_at.type)
_PENDING = (_TASKS.c.id == bindparam("task_id"), _TASKS.c.status == "pending")
_NOT_OVERDUE = or_(_TASKS.c.expires_at.is_(None), _TASKS.c.expires_at > _NOW)
_CANCEL = (
    update(_TASKS)
    .where(*_PENDING, _TASKS.c.org_id == bindparam("org"), _NOT_OVERDUE)
    .values(status="cancelled", cancelled_at=_NOW, cancel_reason=bindparam("reason"))
    .returning(_TASKS.c.sinks, _TASKS.c.correlation_key, _TASKS.c.expires_at)
)
# The completed task is the caller's answer: the whole row, as a Task.
_COMPLETE = select(Task).from_statement(
    update(_TASKS)
    .where(*_PENDING, _NOT_OVERDUE)
    .values(
        status="completed",
        completed_at=_NOW,
        completed_by=bindparam("actor"),
        data=bindparam("answers", type_=_TASKS.c.data.type),
    )
    .returning(*_TASKS.c)
)
_EXPIRE = (
    update(_TASKS)
    .where(*_PENDING, _TASKS.c.expires_at.is_not(None), _TASKS.c.expires_at <= _NOW)
    .values(status="expired", expired_at=_NOW)
    .returning(_TASKS.c.org_id, _TASKS.c.sinks, _TASKS.c.correlation_key, _TASKS.c.expires_at)
)
# Where a task stands, for the refusals (and, with its steps, for validating a submission).
_STATE = select(_TASKS.c.id, _TASKS.c.org_id, _TASKS.c.status, _TASKS.c.expires_at).where(
    _TASKS.c.id == bindparam("task_id")
)
_STATE_AND_STEPS = _STATE.add_columns(_TASKS.c.steps)
_INSERT_SUBMISSION = insert(Submission.__table__)


def _task_not_found(task_id: str) -> NotFound:
    return NotFound(f"No task with id {task_id}.", code="task_not_found")


def _refusal(session: Session, task_id: str, org_id: str | None = None) -> Exception:
    """Why a conditional change matched no row: 404, or 409 with the task's current state.

    Reads the row in the change's transaction (which it then rolls back). A task found pending
    was overdue (the only other reason not to match): it is expired first, as a read would.
    """
    state = session.connection().execute(_STATE, {"task_id": task_id}).first()
    session.rollback()
    if state is None or (org_id is not None and state.org_id != org_id):
        return _task_not_found(task_id)
    if state.status == "pending":
        expire_task(task_id)
        state = read_first(_STATE, {"task_id": task_id}) or state
    return not_pending(state)


def complete_task(
    task_id: str,
    data: Any,
    *,
    org_id: str | None = None,
    actor: str | None = None,
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

    Returns:
        The completed task.
    """
    current = read_first(_STATE_AND_STEPS, {"task_id": task_id}) if _is_uuid(task_id) else None
    if current is None or (org_id is not None and current.org_id != org_id):
        raise _task_not_found(task_id)
    if _is_overdue(current):
        expire_task(current.id)
        raise not_pending(get_task(current.org_id, current.id))
    if current.status != "pending":
        raise not_pending(current)
    try:
        cleaned = validate_submission(load_steps(current.steps), data)
    except SubmissionError as exc:
        raise InvalidInput(
            "Some answers need attention.", code="invalid_submission", details=exc.details
        ) from None
    now = utcnow()
    with session_scope(write=True) as session:
        task = session.scalars(
            _COMPLETE, {"task_id": current.id, "now": now, "actor": actor, "answers": cleaned}
        ).first()
        if task is None:
            raise _refusal(session, current.id)
        session.connection().execute(
            _INSERT_SUBMISSION,
            {"id": new_id(), "task_id": task.id, "data": cleaned, "submitted_by": actor, "submitted_at": now},
        )
        recorded = _record(session, task, "completed", actor)
        session.commit()
    _publish(task, "completed", recorded)
    return task


def cancel_task(
    org_id: str,
    task_id: str,
    reason: str | None,
    *,
    actor: str | None,
    idempotency_request: IdempotencyRequest | None = None,
) -> Outcome:
    """Cancel a pending task of ``org_id`` on behalf of ``actor`` (a member id).

    The change, its timeline entry, its outbox deliveries and the ``Idempotency-Key`` record are
    written in one transaction; ``task.cancelled`` is published after it commits.

    Returns:
        200 ``{task_id, status: "cancelled"}``, or the first answer replayed for a repeated key.

    Raises:
        NotFound: No such task in the principal's organisation.
        Conflict: The task is no longer pending (an overdue one is expired first).
    """
    now = utcnow()
    with session_scope(write=True) as session:
        if idempotency_request is not None:
            replay = idempotency.find_replay(session, org_id, idempotency_request)
            if replay is not None:
                return Outcome(*replay, replayed=True)
        if not _is_uuid(task_id):
            raise _task_not_found(task_id)
        won = (
            session.connection()
            .execute(_CANCEL, {"task_id": task_id, "org": org_id, "now": now, "reason": reason})
            .first()
        )
        if won is None:
            raise _refusal(session, task_id, org_id)
        task = _new_task(
            id=task_id,
            org_id=org_id,
            status="cancelled",
            cancelled_at=now,
            cancel_reason=reason,
            sinks=won.sinks,
            correlation_key=won.correlation_key,
            expires_at=won.expires_at,
        )
        detail = {"reason": reason} if reason else None
        recorded = _record(session, task, "cancelled", actor, detail)
        answer = {"task_id": task.id, "status": "cancelled"}
        if idempotency_request is not None:
            idempotency.record(session, org_id, idempotency_request, 200, answer)
        session.commit()
    _publish(task, "cancelled", recorded)
    return Outcome(200, answer)


def expire_task(task_id: str) -> bool:
    """Expire one overdue pending task; True if this call did it (so it is announced once)."""
    now = utcnow()
    with session_scope(write=True) as session:
        won = session.connection().execute(_EXPIRE, {"task_id": task_id, "now": now}).first()
        if won is None:
            session.rollback()
            return False
        task = _new_task(
            id=task_id,
            org_id=won.org_id,
            status="expired",
            expired_at=now,
            sinks=won.sinks,
            correlation_key=won.correlation_key,
            expires_at=won.expires_at,
        )
        recorded = _record(session, task, "expired", None)
        session.commit()
    _publish(task, "expired", recorded)
    return True


def expire_due(limit: int = 500) -> int:
    """Expire every pending task whose expiry has passed; returns how many this call expired."""
    now = utcnow()
    with session_scope() as session:
        due = session.exec(
            select(Task.id)
            .where(Task.status == "pending", Task.expires_at.is_not(None), Task.expires_at <= now)
            .limit(limit)
        ).all()
    return sum(expire_task(task_id) for task_id in due)


def next_expiry() -> datetime | None:
    """When the next pending task expires, if any does."""
    with session_scope() as session:
        return session.exec(
            select(func.min(Task.expires_at)).where(Task.status == "pending", Task.expires_at.is_not(None))
        ).one()


def timeline(org_id: str, task_id: str) -> list[TaskEvent]:
    """A task's timeline, oldest first."""
    with session_scope() as session:
        _load(session, org_id, task_id)
        return list(
            session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)).all()
        )


def record_opened(task: Task, actor: str | None) -> None:
    """Note on the timeline that someone opened a pending task's page (once per actor)."""
    if task.status != "pending":
        return
    with session_scope(write=True) as session:
        seen = session.exec(
            select(TaskEvent.id).where(
                TaskEvent.task_id == task.id, TaskEvent.kind == "opened", TaskEvent.actor == actor
            )
        ).first()
        if seen is not None:
            return
        event = TaskEvent(org_id=task.org_id, task_id=task.id, kind="opened", actor=actor)
        session.add(event)
        session.commit()
    bus.publish(TaskChanged("task.opened", task.org_id, task.id, task.status, event.id))


def events_after(
    org_id: str, after_id: int, *, task_id: str | None = None, limit: int = 500
) -> list[TaskEvent]:
    """The organisation's timeline entries after ``after_id`` (for event streams), oldest first."""
    conditions = [TaskEvent.org_id == org_id, TaskEvent.id > after_id, TaskEvent.kind.in_(STREAMED_EVENTS)]
    if task_id is not None:
        conditions.append(TaskEvent.task_id == task_id)
    with session_scope() as session:
        return list(
            session.exec(select(TaskEvent).where(*conditions).order_by(TaskEvent.id).limit(limit)).all()
        )


# The timeline kinds event streams carry; the rest (one-time-code steps) stay on the timeline.
STREAMED_EVENTS = ("created", "opened", "completed", "cancelled", "expired")


def last_event_id(org_id: str) -> int:
    """The id of the organisation's newest timeline entry (0 when it has none)."""
    with session_scope() as session:
        return session.exec(select(func.max(TaskEvent.id)).where(TaskEvent.org_id == org_id)).one() or 0
