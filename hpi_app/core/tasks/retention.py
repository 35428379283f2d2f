"""Retention: finished tasks older than the organisation keeps them are deleted, with what is theirs.

A task is deleted once it finished (completed, cancelled or expired) more than the retention
period ago, with its submission, timeline, links (and their one-time-code state and grants),
deliveries (and their attempts) and the files its answers hold (rows and bytes on disk; a file
named only in the spec or payload was uploaded by the task's author and may serve other tasks,
so it stays). Its title leaves the search index with it (the index's triggers, or PostgreSQL's
own index) and the kept counts drop in the same transaction.

Work goes in small batches, oldest first, one transaction each. Several workers may run it at
once: on SQLite a batch holds the one write lock; on PostgreSQL it locks its tasks with
``FOR UPDATE SKIP LOCKED``, so two workers never take the same task; and the counts follow what
the ``DELETE … RETURNING`` actually removed, so a task is never counted out twice.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, literal_column
from sqlmodel import Session, select

from hpi_app import routes
from hpi_app.core import files
from hpi_app.core.events import Change, bus
from hpi_app.core.tasks.changes import TASK, subject
from hpi_app.core.tasks.counts import shift, tally
from hpi_app.db import session_scope
from hpi_app.models import (
    Delivery,
    DeliveryAttempt,
    Link,
    LinkAccess,
    LinkGrant,
    Organisation,
    StoredFile,
    Submission,
    Task,
    TimelineEntry,
)
from hpi_app.vocab import TaskStatus

BATCH = 200
# On the bus (not in the timeline, /events or sinks, which go with the task): a task retention deleted.
DELETED = TASK.event_name("deleted")
_FINISHED_AT = func.coalesce(Task.completed_at, Task.cancelled_at, Task.expired_at)
_NOT_PENDING = Task.status != literal_column(f"'{TaskStatus.PENDING.value}'")
# The key of an uploaded file in its URL (``core.files.save_upload``: folder/hex/name).
_FILE_KEY = re.compile(re.escape(routes.file_path("")) + r"([A-Za-z0-9_\-]{1,64}/[0-9a-f]{32}/[\w.\-]+)")


def purge_batch(org_id: str, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to ``batch`` of ``org_id``'s tasks that finished before ``cutoff``; how many went."""
    with session_scope(write=True) as session:
        due = (
            select(Task.id, Task.data)
            .where(Task.org_id == org_id, _NOT_PENDING, Task.created_at < cutoff, cutoff > _FINISHED_AT)
            .order_by(Task.created_at, Task.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = session.exec(due).all()
        if not rows:
            session.rollback()
            return 0
        task_ids = [row.id for row in rows]
        keys = {key for row in rows for key in _FILE_KEY.findall(json.dumps(row.data or {}))}
        _delete_belongings(session, task_ids)
        stored = _delete_file_rows(session, org_id, keys)
        gone = (
            session.connection()
            .execute(
                delete(Task.__table__)
                .where(Task.__table__.c.id.in_(task_ids))
                .returning(Task.__table__.c.id, Task.__table__.c.assignee_id, Task.__table__.c.status)
            )
            .all()
        )
        shift(session, org_id, tally([(row.assignee_id, row.status) for row in gone], sign=-1))
        session.commit()
    for row in gone:  # open lists and counts follow (a dashboard reads its view again)
        bus.publish(Change(DELETED, org_id, subject(row.id), row.status))
    for path in stored:
        _remove(path)
    return len(task_ids)


def _delete_belongings(session: Session, task_ids: list[str]) -> None:
    """Delete the rows that belong to ``task_ids``: submissions, timeline, links, deliveries."""
    links = select(Link.id).where(Link.subject_kind == TASK.name, Link.subject_id.in_(task_ids))
    deliveries = select(Delivery.id).where(
        Delivery.subject_kind == TASK.name, Delivery.subject_id.in_(task_ids)
    )
    for statement in (
        delete(Submission).where(Submission.task_id.in_(task_ids)),
        delete(LinkGrant).where(LinkGrant.link_id.in_(links)),
        delete(LinkAccess).where(LinkAccess.link_id.in_(links)),
        delete(Link).where(Link.subject_kind == TASK.name, Link.subject_id.in_(task_ids)),
        delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(deliveries)),
        delete(Delivery).where(Delivery.subject_kind == TASK.name, Delivery.subject_id.in_(task_ids)),
        delete(TimelineEntry).where(
            TimelineEntry.subject_kind == TASK.name, TimelineEntry.subject_id.in_(task_ids)
        ),
    ):
        session.exec(statement)


def _delete_file_rows(session: Session, org_id: str, keys: set[str]) -> list[Path]:
    """Delete the file rows of ``keys`` (of ``org_id``); the paths of their bytes, to remove after."""
    if not keys:
        return []
    theirs = (StoredFile.org_id == org_id, StoredFile.key.in_(keys))
    paths = [files.file_path(record) for record in session.exec(select(StoredFile).where(*theirs)).all()]
    session.exec(delete(StoredFile).where(*theirs))
    return paths


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def purge_finished(cutoff: datetime, batch: int = BATCH) -> int:
    """One batch of every organisation's tasks finished before ``cutoff``; how many were deleted."""
    with session_scope() as session:
        org_ids = session.exec(select(Organisation.id)).all()
    return sum(purge_batch(org_id, cutoff, batch) for org_id in org_ids)
