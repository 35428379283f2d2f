"""A task's magic links: more links beside the original one, each withdrawn on its own, and opening one.

Every link is a ``Link`` row naming its subject (a task today). The task's first link is its
``link_id`` (``primary``); ``create_link`` adds another, with its own assignee, code requirement
(SPEC §8) and expiry; ``revoke_link`` withdraws one. ``resolve`` finds the link and its task for
the link page and the file check, and ``opening_state`` says whether it still opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from hpi_app.core import tasks
from hpi_app.core.link_input import LinkCreate
from hpi_app.core.link_rows import (
    LINK_EXPIRED,
    MAX_LINK_ID,
    TASK_KIND,
    WITHDRAWN,
    add_link,
    announce,
    link_closed,
    note,
    open_row,
    require_link_id,
    revoke,
    state_of,
    subject_links,
)
from hpi_app.core.principal import Principal
from hpi_app.db import session_scope
from hpi_app.models import Link, Task, utcnow
from hpi_app.vocab import TaskStatus

__all__ = [
    "LINK_EXPIRED",
    "MAX_LINK_ID",
    "WITHDRAWN",
    "LinkCreate",
    "OpenedLink",
    "check_open",
    "closed_state",
    "create_link",
    "holder_actor",
    "link_closed",
    "list_links",
    "opening_state",
    "record_opened",
    "resolve",
    "revoke_link",
]


def holder_actor(link: Link) -> str:
    """Who a link holder with no session is recorded as (``completed_by``, the timeline).

    Anyone holding a plain link can open it, so the link itself is named (``link:<link_id>``),
    never its assignee; only a holder who confirmed a one-time code sent to the assignee's
    inbox is recorded as that address.
    """
    if link.requires_otp and link.assignee_email:
        return link.assignee_email
    return f"link:{link.id}"


def _subject_links(task_id: str) -> Any:
    return subject_links(TASK_KIND, task_id)


def _pending_task(org_id: str, task_id: str) -> Task:
    """A pending task of ``org_id`` (404 for another organisation's, 409 once it is finished)."""
    task = tasks.get_task(org_id, task_id)
    if task.status != TaskStatus.PENDING:
        raise tasks.not_pending(task)
    return task


def create_link(principal: Principal, task_id: str, body: LinkCreate) -> Link:
    """Another magic link for a pending task of the principal's organisation.

    The link, and a ``link_created`` entry on the task's timeline, are written in one transaction.

    Raises:
        NotFound: No such task in the organisation.
        Conflict: The task is completed, cancelled or expired.
    """
    task = _pending_task(principal.org_id, task_id)
    now = utcnow()
    with session_scope(write=True) as session:
        state = session.exec(
            select(Task.status, Task.expires_at).where(Task.id == task.id).with_for_update()
        ).one()
        if state.status != TaskStatus.PENDING or tasks.is_overdue(state, now):
            status = TaskStatus.EXPIRED if state.status == TaskStatus.PENDING else state.status
            raise tasks.not_pending(SimpleNamespace(id=task.id, status=status))
        link = add_link(session, principal, TASK_KIND, task, body, now)
        event_id = note(session, link, tasks.TASK, "link_created", principal.user_id)
        session.commit()
    announce(tasks.TASK, task.org_id, task.id, task.status, "link_created", event_id)
    return link


def list_links(org_id: str, task_id: str) -> list[Link]:
    """Every link of a task of ``org_id``, the primary one first, then the oldest first."""
    task = tasks.get_task(org_id, task_id)
    with session_scope() as session:
        rows = session.exec(
            _subject_links(task.id).order_by(Link.primary.desc(), Link.created_at, Link.id)
        ).all()
    return list(rows)


def revoke_link(org_id: str, task_id: str, link_id: str | None, actor: str | None) -> Link:
    """Withdraw one link of a task of ``org_id``; it then opens a page saying so, and accepts nothing.

    Withdrawing a link already withdrawn changes nothing and answers the same.

    Raises:
        InvalidInput: No ``link_id`` given.
        NotFound: No such task in the organisation, or no such link of that task.
    """
    link_id = require_link_id(link_id)
    task = tasks.get_task(org_id, task_id)
    return revoke(tasks.TASK, task, link_id, actor)


@dataclass(frozen=True)
class OpenedLink:
    """A link and the task behind it, as the link page and the file check read them."""

    link: Link
    task: Task


def resolve(link_id: str) -> OpenedLink:
    """The link ``link_id`` and its task (expired first if overdue), whatever state the link is in.

    Raises:
        NotFound: No such link.
    """
    link, task = open_row(link_id, TASK_KIND, Task)
    if tasks.is_overdue(task):
        task = tasks.get_task(task.org_id, task.id)
    return OpenedLink(link, task)


def opening_state(opened: OpenedLink) -> str:
    """What the link's page shows: ``withdrawn``, the task's final status, ``link_expired`` or ``open``."""
    closed = state_of(opened.link, utcnow())
    if closed == WITHDRAWN:
        return WITHDRAWN
    if opened.task.status != TaskStatus.PENDING:
        return opened.task.status
    return closed or "open"


def closed_state(opened: OpenedLink, through_link: bool = True) -> str | None:
    """Why acting on the task stops: ``withdrawn``, ``link_expired``, its final status; None while open.

    A link's own state counts only for someone acting through it (``through_link``); a member
    acting on the task itself is stopped only by the task's end.
    """
    state = opening_state(opened)
    if state in (WITHDRAWN, LINK_EXPIRED) and not through_link:
        state = opened.task.status
    return None if state in ("open", TaskStatus.PENDING) else state


def check_open(link_id: str) -> OpenedLink:
    """The link and its pending task, for acting through the link (sending a code, uploading).

    Raises:
        NotFound: No such link.
        Conflict: The link is withdrawn or expired, or its task is finished.
    """
    opened = resolve(link_id)
    state = opening_state(opened)
    if state in (WITHDRAWN, LINK_EXPIRED):
        raise link_closed(state)
    if state != "open":
        raise tasks.not_pending(opened.task)
    return opened


def record_opened(link_id: str) -> None:
    """Note when a link was first opened (later openings leave it as it is)."""
    table = Link.__table__
    with session_scope(write=True) as session:
        session.connection().execute(
            update(table).where(table.c.id == link_id, table.c.opened_at.is_(None)).values(opened_at=utcnow())
        )
        session.commit()
