"""Creating a task: a validated create body becomes a task, its first timeline entry and deliveries."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hpi_app.core import idempotency, link_rows
from hpi_app.core.errors import Conflict, InvalidInput, PermissionDenied
from hpi_app.core.idempotency import IdempotencyRequest, Replay
from hpi_app.core.principal import Principal
from hpi_app.core.processes import steps as process_steps
from hpi_app.core.processes.changes import announce as announce_process_changes
from hpi_app.core.sinks.registry import prepare_task_sinks
from hpi_app.core.tasks.changes import publish_change, record_change
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.core.tasks.policy import policy_columns
from hpi_app.core.tasks.schedules import plan
from hpi_app.db import session_scope
from hpi_app.models import Task, User, utcnow

# A task as create_task holds it before it is stored: Task's attribute names, none of the ORM's
# cost. The timeline and the outbox only read a task, so they take either.
NewTask = SimpleNamespace

# Task changes are written with plain INSERTs (no ORM unit of work: creating is the hot path).
# A new task's row starts from the model's defaults, so columns and defaults stay defined once,
# on ``Task``.
_TASK_COLUMNS = {attr.key: attr.columns[0].key for attr in sa_inspect(Task).column_attrs}
# Column key → attribute name where they differ (``metadata`` is ``meta``), for bulk writes.
TASK_ATTRS = {column: attr for attr, column in _TASK_COLUMNS.items() if column != attr}
_TASK_DEFAULTS = {
    name: field.default
    for name, field in Task.model_fields.items()
    if not field.is_required() and field.default_factory is None
}
_TASKS = Task.__table__
INSERT_TASK = insert(_TASKS)
_TASK_ID = select(_TASKS.c.id).where(_TASKS.c.id == bindparam("task_id"))
_TASK_SINKS = select(_TASKS.c.sinks).where(_TASKS.c.id == bindparam("task_id"))


@dataclass(frozen=True)
class CreatedTask:
    """What creating a task came to.

    Attributes:
        task: The new task (Task's attribute names); None when the request was a replay.
        webhook_secrets: ``{sink, url, secret}`` for each webhook sink given no secret (shown once).
        replay: The first answer to a repeated ``Idempotency-Key``, to send again.
    """

    task: NewTask | None
    webhook_secrets: list[dict[str, Any]] = field(default_factory=list)
    replay: Replay | None = None


def new_task(**values: Any) -> NewTask:
    """A task not yet stored: the model's defaults, then ``values``."""
    return NewTask(**(_TASK_DEFAULTS | values))


def task_row(task: NewTask) -> dict[str, Any]:
    """A new task's row as ``INSERT_TASK`` takes it (column names, not attribute names)."""
    return {_TASK_COLUMNS[k]: v for k, v in vars(task).items()}


def create_task(
    principal: Principal,
    body: TaskCreate,
    *,
    idempotency_request: IdempotencyRequest | None = None,
) -> CreatedTask:
    """Create a task from a validated body.

    The task, its timeline entry, its outbox deliveries and the ``Idempotency-Key`` record are
    written in one transaction; the ``task.created`` event is published after it commits.

    Args:
        principal: The token's identity; the task belongs to its organisation.
        body: The validated create body.
        idempotency_request: The request's ``Idempotency-Key``, if it sent one.

    Returns:
        The created task, or the first answer replayed for a repeated key.
    """
    if body.org_id is not None and body.org_id != principal.org_id:
        raise PermissionDenied(
            "This token belongs to another organisation than org_id: leave org_id out, or use a "
            "token of that organisation.",
            code="org_mismatch",
            details=[{"field": "org_id", "message": "is not the token's organisation"}],
        )
    # Everything that needs no store is done before the write transaction (and its lock).
    now = utcnow()
    sinks, secrets_out = prepare_task_sinks(body.sinks)
    task = new_task(
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
        template_id=body.template_id,
        link_id=secrets.token_urlsafe(24),
        assignee_name=body.assignee_name,
        assignee_phone=body.assignee_phone,
        assignee_email=body.assignee_email,
        process_id=body.process_id,
        process_step=body.process_step,
    )
    process_steps.check_fields(body.process_id, body.process_step)
    process_news = []
    with session_scope(write=True) as session:
        if idempotency_request is not None:
            replay = idempotency.find_replay(session, principal.org_id, idempotency_request)
            if replay is not None:
                return _replayed(session, replay)
        if body.task_id and _task_exists(session, task.id):
            raise _task_id_taken(task.id)
        if body.assignee_member_id or body.assignee_email:
            vars(task).update(_resolve_assignee(session, principal, body))
        if body.process_id:
            process_news = process_steps.join_task(
                session, principal.org_id, body.process_id, body.process_step, task.id, principal.user_id
            )
        if body.require_otp is not None:
            task.requires_otp = body.require_otp
        policy = policy_columns(session, principal, body)
        expires_in = policy.pop("expires_in")
        vars(task).update(policy, expires_at=now + timedelta(seconds=expires_in) if expires_in else None)
        created = CreatedTask(task, secrets_out)
        try:
            session.connection().execute(INSERT_TASK, task_row(task))
            link_rows.insert_primary_link(session, task)
            first_action = plan(session, task, now)
            recorded = record_change(session, task, "created", principal.user_id)
            if idempotency_request is not None:
                idempotency.record(session, principal.org_id, idempotency_request, created)
            session.commit()
        except IntegrityError:
            session.rollback()
            return _after_create_race(session, principal, task.id, idempotency_request)
    publish_change(task, "created", recorded, wake_at=first_action)
    announce_process_changes(process_news)
    return created


def _replayed(session: Session, replay: Replay) -> CreatedTask:
    """A repeated create's first answer, its generated webhook secrets read back from the task.

    The replay record keeps no secret (``idempotency.record`` strips them); the task's own sinks,
    which sign every delivery, are the one place a secret is stored.
    """
    shown = replay.body.get("webhook_secrets")
    if not shown:
        return CreatedTask(None, replay=replay)
    row = session.connection().execute(_TASK_SINKS, {"task_id": replay.body.get("task_id")}).first()
    sinks = (row.sinks if row is not None else None) or []
    filled = [
        {**item, "secret": sinks[item["sink"]].get("secret")}
        if isinstance(item.get("sink"), int) and 0 <= item["sink"] < len(sinks)
        else item
        for item in shown
    ]
    return CreatedTask(None, replay=Replay(replay.status_code, {**replay.body, "webhook_secrets": filled}))


def _resolve_assignee(session: Session, principal: Principal, body: TaskCreate) -> dict[str, Any]:
    """The assignee columns: a member by id (``me``: the caller), else the links' rule for an email."""
    if not body.assignee_member_id:
        return link_rows.assignee_columns(session, principal.org_id, body)
    member_id = principal.user_id if body.assignee_member_id == "me" else body.assignee_member_id
    member = session.get(User, member_id)
    if member is None or member.org_id != principal.org_id:
        raise InvalidInput(
            "The assignee is not a member of this organisation.",
            details=[{"field": "assignee_member_id", "message": "no member with this id"}],
        )
    return {
        "assignee_name": body.assignee_name,
        "assignee_phone": body.assignee_phone,
        "assignee_email": member.email,
        "requires_otp": False,
        "assignee_id": member.id,
        "assignee_type": "member",
    }


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
) -> CreatedTask:
    # A concurrent request won: replay its answer if it carried the same key.
    if req is not None:
        replay = idempotency.find_replay(session, principal.org_id, req)
        if replay is not None:
            return _replayed(session, replay)
    if _task_exists(session, task_id):
        raise _task_id_taken(task_id)
    raise Conflict("The task could not be created because of a concurrent change; retry.")
