"""The timeline: one ordered record of what happened to every subject of an organisation.

Entries are written in the transaction of the change they record (``record``); their ids order
the organisation's event stream, so a client resuming with ``Last-Event-ID`` misses nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, insert, or_
from sqlmodel import Session, func, select

from hpi_app.core.subjects import Subject, subject_types
from hpi_app.db import session_scope
from hpi_app.models import TimelineEntry, utcnow

# How many entries one read of a stream returns at most; a full page means more may follow.
PAGE_SIZE = 500

INSERT = insert(TimelineEntry.__table__)


def record(
    session: Session,
    org_id: str,
    subject: Subject,
    kind: str,
    actor: str | None,
    detail: dict | None = None,
) -> int:
    """Write one entry in the caller's transaction; returns its id."""
    row = entry_row(org_id, subject, kind, actor, detail)
    return session.connection().execute(INSERT, row).inserted_primary_key[0]


def entry_row(
    org_id: str,
    subject: Subject,
    kind: str,
    actor: str | None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One entry's row as ``INSERT`` takes it (``at``: when it happened, default now)."""
    return {
        "org_id": org_id,
        "subject_kind": subject.kind,
        "subject_id": subject.id,
        "kind": kind,
        "actor": actor,
        "detail": detail,
        "created_at": at or utcnow(),
    }


def has_entry(session: Session, subject: Subject, kind: str, actor: str | None) -> bool:
    """Whether ``subject`` already has an entry of ``kind`` by ``actor``."""
    found = session.exec(
        select(TimelineEntry.id).where(
            *_of(subject), TimelineEntry.kind == kind, TimelineEntry.actor == actor
        )
    ).first()
    return found is not None


def entries(subject: Subject) -> list[TimelineEntry]:
    """A subject's timeline, oldest first."""
    with session_scope() as session:
        return list(session.exec(select(TimelineEntry).where(*_of(subject)).order_by(TimelineEntry.id)).all())


def events_after(
    org_id: str, after_id: int, *, subject: Subject | None = None, limit: int = PAGE_SIZE
) -> list[TimelineEntry]:
    """The organisation's streamed entries after ``after_id`` (of one subject, if given), oldest first."""
    streamed = [
        and_(TimelineEntry.subject_kind == kind.name, TimelineEntry.kind.in_(kind.streamed))
        for kind in subject_types()
    ]
    conditions = [TimelineEntry.org_id == org_id, TimelineEntry.id > after_id, or_(false(), *streamed)]
    if subject is not None:
        conditions.extend(_of(subject))
    with session_scope() as session:
        return list(
            session.exec(
                select(TimelineEntry).where(*conditions).order_by(TimelineEntry.id).limit(limit)
            ).all()
        )


def last_event_id(org_id: str) -> int:
    """The id of the organisation's newest entry (0 when it has none)."""
    with session_scope() as session:
        return (
            session.exec(select(func.max(TimelineEntry.id)).where(TimelineEntry.org_id == org_id)).one() or 0
        )


def _of(subject: Subject) -> tuple:
    return (TimelineEntry.subject_kind == subject.kind, TimelineEntry.subject_id == subject.id)
