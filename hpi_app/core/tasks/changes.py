"""How a change to a task is recorded and announced: timeline, outbox, bus — for the ``task`` subject.

A task is one kind of subject (``hpi_app.core.subjects``): this module declares it, and writes
each change's timeline entry and outbox deliveries in the change's transaction, then publishes
it on the bus after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from hpi_app import routes
from hpi_app.core import outbox, timeline
from hpi_app.core.answers import answers
from hpi_app.core.events import Change, bus
from hpi_app.core.subjects import Subject, SubjectType, SubjectView, register
from hpi_app.core.tasks.counts import moved as count_moved
from hpi_app.models import Task, iso, utcnow
from hpi_app.vocab import FINAL_STATUSES, SinkEvent, TaskStatus


def _describe(session: Session, task_ids: set[str]) -> dict[str, SubjectView]:
    """What an email shows of each task: title, link, cancel reason, answers (once it has them)."""
    rows = session.exec(select(Task).where(Task.id.in_(task_ids))).all()
    return {
        t.id: SubjectView(
            noun="task",
            title=t.title,
            path=routes.task_page(t.link_id),
            reason=t.cancel_reason,
            rows=_answer_rows(t) if t.data is not None else (),
        )
        for t in rows
    }


def _answer_rows(task: Task) -> tuple[tuple[str, str], ...]:
    shown = []
    for answer in answers(task.steps, task.data):
        shown.append((answer.label or answer.name, "\n".join(answer.links) if answer.links else answer.text))
    return tuple(shown)


TASK = register(
    SubjectType(
        name="task",
        # The one-time-code steps stay on the timeline only; reminders are streamed.
        streamed=frozenset(
            {
                "created",
                "opened",
                SinkEvent.REMINDED,
                SinkEvent.ESCALATED,
                SinkEvent.ASSIGNED,
                SinkEvent.EXTENDED,
                SinkEvent.UPDATED,
                *FINAL_STATUSES,
            }
        ),
        final={status: status for status in FINAL_STATUSES},
        open_status=TaskStatus.PENDING,
        sink_events={event: event for event in SinkEvent},
        describe=_describe,
    )
)


def subject(task_id: str) -> Subject:
    """The subject that names a task on the timeline, the bus and the outbox."""
    return Subject(TASK.name, task_id)


def event_body(task: Any, kind: str) -> dict[str, Any]:
    """The JSON every sink receives for ``task.<kind>``."""
    body: dict[str, Any] = {
        "source": "hpi",
        "event": TASK.event_name(kind),
        "task_id": task.id,
        "correlation_key": task.correlation_key,
        "timestamp": iso(utcnow()),
    }
    if kind == SinkEvent.COMPLETED:
        body["data"] = task.data
    elif kind == SinkEvent.CANCELLED:
        body["reason"] = task.cancel_reason
    elif kind == SinkEvent.ASSIGNED:
        body["assignee_email"] = task.assignee_email
    elif kind == SinkEvent.EXTENDED:
        body["expires_at"] = iso(task.expires_at)
    elif kind == SinkEvent.UPDATED:
        body["title"] = task.title
    return body


@dataclass
class Recorded:
    """A timeline entry written in a transaction, and how many deliveries it queued."""

    event_id: int
    deliveries: int


def record_change(
    session: Session, task: Any, kind: str, actor: str | None, detail: dict | None = None
) -> Recorded:
    """Write a change's timeline entry, queue its deliveries and count it, in the caller's transaction.

    Every status change of a task comes through here (``created``, then one final status), so
    this is where the kept counts (``counts.moved``) follow them. ``task`` is only read (``id``,
    ``org_id``, ``status``, ``assignee_id``, ``sinks`` and what ``event_body`` needs), so a task
    not yet stored as an ORM object will do.
    """
    if kind == "created":
        count_moved(session, task.org_id, task.assignee_id, None, task.status)
    elif kind in FINAL_STATUSES:
        count_moved(session, task.org_id, task.assignee_id, TaskStatus.PENDING, kind)
    about = subject(task.id)
    event_id = timeline.record(session, task.org_id, about, kind, actor, detail)
    queued = outbox.enqueue(session, task.org_id, about, kind, lambda: event_body(task, kind), task.sinks)
    return Recorded(event_id, len(queued))


def publish_change(task: Any, kind: str, recorded: Recorded, *, wake_at: datetime | None = None) -> None:
    """Announce a committed change on the bus (after its transaction, never inside it).

    A new or extended task carries its expiry (or ``wake_at``, a scheduled action due sooner),
    so the sweepers sleeping past it wake up in time.
    """
    moments = [task.expires_at] if kind in ("created", SinkEvent.EXTENDED) and task.expires_at else []
    moments += [wake_at] if wake_at else []
    expires = min(moments).timestamp() if moments else None
    bus.publish(
        Change(
            TASK.event_name(kind),
            task.org_id,
            subject(task.id),
            task.status,
            task.status in FINAL_STATUSES,
            recorded.event_id,
            expires,
            recorded.deliveries,
        )
    )
