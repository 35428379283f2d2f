"""The rows of magic links, whatever their subject, with no dependency on ``core.tasks``.

``core.tasks`` writes a new task's primary link with ``insert_primary_link`` and checks, in a
submission's transaction, that the link it came through is still open (``closed_reason``);
``core.links`` (a task's links) and ``core.process_links`` (a process's) build on the same table
and share the assignee rule (``assignee_of``, ``assignee_columns``; task create uses it too), a new
link's row (``add_link``), noting and announcing a link change, the query of a subject's links,
withdrawal (``revoke``) and opening a link by its id.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, select

from hpi_app.core import timeline
from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.core.events import Change, bus
from hpi_app.core.principal import Principal
from hpi_app.core.subjects import Subject, SubjectType
from hpi_app.db import session_scope
from hpi_app.models import Link, User, utcnow

TASK_KIND = "task"
PROCESS_KIND = "process"
WITHDRAWN = "withdrawn"
LINK_EXPIRED = "link_expired"
MAX_LINK_ID = 64

_REFUSALS = {
    WITHDRAWN: (
        "This link was withdrawn, so it can no longer be used. Ask whoever sent it for a new one.",
        "link_withdrawn",
    ),
    LINK_EXPIRED: (
        "This link has expired, so it can no longer be used. Ask whoever sent it for a new one.",
        "link_expired",
    ),
}


INSERT_LINK = insert(Link.__table__)


def primary_link_row(task: Any) -> dict[str, Any]:
    """The row of a new task's first link (its ``link_id``), as ``INSERT_LINK`` takes it.

    ``task`` is only read: its id, organisation, link id, assignee, code requirement and expiry.
    """
    return {
        "id": task.link_id,
        "org_id": task.org_id,
        "subject_kind": TASK_KIND,
        "subject_id": task.id,
        "primary": True,
        "assignee_id": task.assignee_id,
        "assignee_type": task.assignee_type,
        "assignee_email": task.assignee_email,
        "assignee_name": task.assignee_name,
        "assignee_phone": task.assignee_phone,
        "requires_otp": bool(task.requires_otp),
        "expires_at": task.expires_at,
        "revoked_at": None,
        "opened_at": None,
        "created_at": task.created_at,
        "created_by": task.created_by,
    }


def insert_primary_link(session: Session, task: Any) -> None:
    """Write a new task's first link (``primary_link_row``) in the task's own transaction."""
    session.connection().execute(INSERT_LINK, primary_link_row(task))


def state_of(link: Any, now: datetime) -> str | None:
    """Why a link no longer opens (``withdrawn``, ``link_expired``), or None while it is open."""
    if link.revoked_at is not None:
        return WITHDRAWN
    if link.expires_at is not None and link.expires_at <= now:
        return LINK_EXPIRED
    return None


def link_closed(reason: str) -> Conflict:
    """The refusal for using a withdrawn or expired link."""
    message, code = _REFUSALS[reason]
    return Conflict(message, code=code, extra={"link_state": reason})


def closed_reason(session: Session, link_id: str, task_id: str, now: datetime) -> str | None:
    """In the caller's transaction: why ``link_id`` may not act on the task (None: it may).

    The link's row is share-locked (PostgreSQL), so a withdrawal racing the caller either
    commits first, and is seen here, or waits until the caller's transaction ends.
    """
    row = session.exec(
        select(Link.subject_id, Link.subject_kind, Link.revoked_at, Link.expires_at)
        .where(Link.id == link_id)
        .with_for_update(read=True)
    ).first()
    if row is None or row.subject_kind != TASK_KIND or row.subject_id != task_id:
        return WITHDRAWN
    return state_of(row, now)


def subject_links(kind: str, subject_id: str) -> Any:
    """The query of every link of one subject (``task`` or ``process``)."""
    return select(Link).where(Link.subject_kind == kind, Link.subject_id == subject_id)


def assignee_of(session: Session, org_id: str, email: str) -> dict[str, Any]:
    """The one assignee rule: a member's email is that member; any other is external, with a code.

    Returns the ``assignee_id``/``assignee_type`` columns (and ``requires_otp`` for an external
    email); the caller's ``require_otp``, when given, has the last word.
    """
    member = session.exec(select(User).where(User.email == email, User.org_id == org_id)).first()
    if member is not None:
        return {"assignee_id": member.id, "assignee_type": "member"}
    return {"assignee_type": "external", "requires_otp": True}


def assignee_columns(session: Session, org_id: str, body: Any) -> dict[str, Any]:
    """The assignee columns of a new link (or of a task assigned by email), by ``assignee_of``.

    ``body`` has ``assignee_email`` (normalised), ``assignee_name``, ``assignee_phone`` and
    ``require_otp``; an email outside the organisation asks for a code unless ``require_otp`` is false.
    """
    found: dict[str, Any] = {
        "assignee_email": body.assignee_email,
        "assignee_name": body.assignee_name,
        "assignee_phone": body.assignee_phone,
        "requires_otp": False,
    }
    if body.assignee_email:
        found.update(assignee_of(session, org_id, body.assignee_email))
    if body.require_otp is not None:
        found["requires_otp"] = body.require_otp
    return found


def add_link(
    session: Session, principal: Principal, kind: str, subject: Any, body: Any, now: datetime
) -> Link:
    """In the caller's transaction: a new link of ``subject`` (a task or process row), by ``body``."""
    link = Link(
        id=secrets.token_urlsafe(24),
        org_id=subject.org_id,
        subject_kind=kind,
        subject_id=subject.id,
        expires_at=now + timedelta(seconds=body.expires_in) if body.expires_in else None,
        created_at=now,
        created_by=principal.user_id,
        **assignee_columns(session, principal.org_id, body),
    )
    session.add(link)
    session.flush()
    return link


def require_link_id(link_id: str | None) -> str:
    """The ``link_id`` a withdrawal names (InvalidInput when none is given)."""
    if not link_id:
        raise InvalidInput(
            "Say which link to withdraw: ?link_id=<the link's id>.",
            details=[{"field": "link_id", "message": "is required"}],
        )
    return link_id


def no_such_link(noun: str, subject_id: str, link_id: str) -> NotFound:
    """The refusal for withdrawing a link the subject (``task`` or ``process``) does not have."""
    return NotFound(
        f"{noun.capitalize()} {subject_id} has no link {link_id}.",
        code="link_not_found",
        details=[{"field": "link_id", "message": f"no such link of this {noun}"}],
    )


def open_row(link_id: str, kind: str, model: Any) -> tuple[Link, Any]:
    """The link ``link_id`` of a ``kind`` subject and that subject's ``model`` row, in any state.

    Raises:
        NotFound: No such link, or it is another kind's.
    """
    if not link_id or len(link_id) > MAX_LINK_ID:
        raise NotFound("This link does not exist.", code="link_not_found")
    with session_scope() as session:
        link = session.get(Link, link_id)
        found = link is not None and link.subject_kind == kind
        subject = session.get(model, link.subject_id) if found else None
    if link is None or subject is None:
        raise NotFound("This link does not exist.", code="link_not_found")
    return link, subject


def who(link: Any) -> dict[str, str] | None:
    """A link's assignee as its timeline entries name it (never the link id: that is its secret)."""
    name = link.assignee_name or link.assignee_email
    return {"assignee": name} if name else None


def withdraw(
    session: Session, kind: str, subject_id: str, link_id: str, now: datetime
) -> tuple[Link | None, bool]:
    """In the caller's transaction: withdraw one link of a subject.

    Returns:
        The link (None: the subject has no such link) and whether this call withdrew it (False
        when it already was withdrawn).
    """
    table = Link.__table__
    won = session.connection().execute(
        update(table)
        .where(
            table.c.id == link_id,
            table.c.subject_kind == kind,
            table.c.subject_id == subject_id,
            table.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    link = session.exec(subject_links(kind, subject_id).where(Link.id == link_id)).first()
    return link, bool(won.rowcount)


def note(session: Session, link: Link, about: SubjectType, kind: str, actor: str | None) -> int:
    """In the caller's transaction: a ``link_created``/``link_revoked`` entry on the subject's timeline."""
    return timeline.record(session, link.org_id, Subject(about.name, link.subject_id), kind, actor, who(link))


def announce(about: SubjectType, org_id: str, subject_id: str, status: str, kind: str, event_id: int) -> None:
    """Publish a link change once it is committed."""
    # On the bus (the subject's page and its open link pages follow it), not streamed or pushed.
    subject = Subject(about.name, subject_id)
    bus.publish(Change(about.event_name(kind), org_id, subject, status, False, event_id))


def revoke(about: SubjectType, subject: Any, link_id: str, actor: str | None) -> Link:
    """Withdraw one link of ``subject`` (a task's or process's row), noted on its timeline.

    Withdrawing a link already withdrawn changes nothing and answers the same.

    Raises:
        NotFound: The subject has no such link.
    """
    with session_scope(write=True) as session:
        link, won = withdraw(session, about.name, subject.id, link_id, utcnow())
        if link is None:
            raise no_such_link(about.name, subject.id, link_id)
        if not won:  # already withdrawn: nothing to write
            return link
        event_id = note(session, link, about, "link_revoked", actor)
        session.commit()
    announce(about, subject.org_id, subject.id, subject.status, "link_revoked", event_id)
    return link
