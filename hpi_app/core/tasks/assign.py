"""Changing a pending task: reassigning it, moving its expiry, retitling it (``PATCH /tasks/{id}``).

``reassign`` is the one rule for a new assignee, used by the PATCH and by an escalation's
``reassign_to``: the new assignee gets a link of their own (the task's new primary link; an
external one asks for a one-time code, SPEC §8) and every open link of the old assignee is
withdrawn, in the caller's transaction, recorded as ``assigned`` (``task.assigned``). Moving the
expiry is recorded as ``extended`` (``task.extended``), and carries the new expiry on the bus
so the expiry sweeper wakes in time; a new title as ``updated`` (``task.updated``), so open
dashboards and task pages show it. After the commit the new assignee is emailed their link.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session

from hpi_app import routes
from hpi_app.core import link_rows
from hpi_app.core.errors import InvalidInput
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.changes import Recorded, publish_change, record_change
from hpi_app.core.tasks.counts import reassigned as count_reassigned
from hpi_app.core.tasks.notify import tell_new_assignee
from hpi_app.core.tasks.policy_input import TaskPatch
from hpi_app.core.tasks.rules import is_overdue, is_task_id, locked_task, not_pending
from hpi_app.core.tasks.transitions import expire_task
from hpi_app.db import session_scope
from hpi_app.models import Link, Task, User, iso, utcnow
from hpi_app.vocab import SinkEvent, TaskStatus


@dataclass(frozen=True)
class Change:
    """One recorded change of a task, to publish once its transaction commits."""

    kind: str
    recorded: Recorded


def _assignee(session: Session, org_id: str, target: str, me: str | None, field: str) -> dict[str, Any]:
    """The assignee columns for ``target``: a member by id (``me``: ``me``), else by the links' rule."""
    if "@" in target:
        return {
            "assignee_email": target,
            "assignee_id": None,
            "assignee_type": None,
            "requires_otp": False,
            **link_rows.assignee_of(session, org_id, target),
        }
    member = session.get(User, me if target == "me" else target)
    if member is None or member.org_id != org_id:
        raise InvalidInput(
            "The new assignee is not a member of this organisation.",
            details=[{"field": field, "message": "no member of this organisation has this id"}],
        )
    return {
        "assignee_email": member.email,
        "assignee_id": member.id,
        "assignee_type": "member",
        "requires_otp": False,
    }


def reassign(
    session: Session, task: Task, target: str, actor: str | None, now: datetime, *, field: str = "assignee"
) -> Change | None:
    """In the caller's transaction: give a locked pending ``task`` to ``target`` (None: already theirs).

    Args:
        session: The open write transaction holding the task's row lock.
        task: The task's row.
        target: An email, a member id, or ``me`` (``actor`` when a member, else the task's creator).
        actor: Who reassigns (a member id, or the policy), for the timeline.
        now: The change's time.
        field: The body field ``target`` came from, for an error.
    """
    me = actor if actor and is_task_id(actor) else task.created_by
    columns = _assignee(session, task.org_id, target, me, field)
    old = (task.assignee_email or "").lower()
    if old and old == columns["assignee_email"].lower():
        return None
    links = Link.__table__
    session.connection().execute(
        update(links)
        .where(
            links.c.subject_kind == link_rows.TASK_KIND,
            links.c.subject_id == task.id,
            links.c.revoked_at.is_(None),
            or_(links.c.primary.is_(True), links.c.assignee_email == (task.assignee_email or "")),
        )
        .values(revoked_at=now, primary=False)
    )
    link = Link(
        id=secrets.token_urlsafe(24),
        org_id=task.org_id,
        subject_kind=link_rows.TASK_KIND,
        subject_id=task.id,
        primary=True,
        assignee_id=columns["assignee_id"],
        assignee_type=columns["assignee_type"],
        assignee_email=columns["assignee_email"],
        requires_otp=columns["requires_otp"],
        expires_at=task.expires_at,
        created_at=now,
        created_by=actor if actor and is_task_id(actor) else None,
    )
    session.add(link)
    count_reassigned(session, task.org_id, task.status, task.assignee_id, columns["assignee_id"])
    for name, value in columns.items():
        setattr(task, name, value)
    task.assignee_name = task.assignee_phone = None
    task.link_id = link.id
    session.add(task)
    session.flush()
    detail = {"assignee": columns["assignee_email"], "previous": old or None}
    return Change(SinkEvent.ASSIGNED, record_change(session, task, SinkEvent.ASSIGNED, actor, detail))


def extend(session: Session, task: Task, seconds: int, actor: str | None, now: datetime) -> Change:
    """In the caller's transaction: the task (and links expiring with it) now expire ``seconds`` from now."""
    old = task.expires_at
    task.expires_at = now + timedelta(seconds=seconds)
    links = Link.__table__
    same = links.c.expires_at.is_(None) if old is None else links.c.expires_at == old
    session.connection().execute(
        update(links)
        .where(
            links.c.subject_kind == link_rows.TASK_KIND,
            links.c.subject_id == task.id,
            links.c.revoked_at.is_(None),
            or_(links.c.primary, same),
        )
        .values(expires_at=task.expires_at)
    )
    session.add(task)
    session.flush()
    detail = {"expires_at": iso(task.expires_at), "previous": iso(old)}
    return Change(SinkEvent.EXTENDED, record_change(session, task, SinkEvent.EXTENDED, actor, detail))


def retitle(session: Session, task: Task, title: str, actor: str | None) -> Change | None:
    """In the caller's transaction: give the task a new title (None: it already has it)."""
    old = task.title
    if title == old:
        return None
    task.title = title
    session.add(task)
    session.flush()
    detail = {"title": title, "previous": old}
    return Change(SinkEvent.UPDATED, record_change(session, task, SinkEvent.UPDATED, actor, detail))


def update_task(principal: Principal, task_id: str, patch: TaskPatch, base_url: str | None = None) -> Task:
    """Reassign, move the expiry of, or retitle a pending task of the principal's organisation.

    A new assignee is emailed their link once the change committed (``notify.tell_new_assignee``).

    Args:
        principal: Who changes it (their organisation's task only).
        task_id: The task.
        patch: What to change.
        base_url: The public base URL of the new assignee's emailed link (default ``HPI_PUBLIC_URL``).

    Raises:
        NotFound: No such task in the organisation.
        Conflict: The task is no longer pending (an overdue one is expired first).
        InvalidInput: The new assignee is not a member (``assignee_member_id``).
    """
    now = utcnow()
    changes: list[Change] = []
    with session_scope(write=True) as session:
        task = locked_task(session, principal.org_id, task_id)
        overdue = is_overdue(task, now)
        if task.status != TaskStatus.PENDING and not overdue:
            raise not_pending(task)
        if not overdue:
            if patch.title is not None:
                change = retitle(session, task, patch.title, principal.user_id)
                changes += [change] if change else []
            if patch.expires_in is not None:
                changes.append(extend(session, task, patch.expires_in, principal.user_id, now))
            if patch.assignee is not None:
                field = "assignee_email" if patch.assignee_email else "assignee_member_id"
                change = reassign(session, task, patch.assignee, principal.user_id, now, field=field)
                changes += [change] if change else []
            session.commit()
            session.refresh(task)
    if overdue:
        expire_task(task.id)
        with session_scope() as session:
            raise not_pending(session.get(Task, task.id))
    for change in changes:
        publish_change(task, change.kind, change.recorded)
    if any(change.kind == SinkEvent.ASSIGNED for change in changes):
        tell_new_assignee(task.id, base_url or routes.configured_base(), principal.user_id)
    return task
