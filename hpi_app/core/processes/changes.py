"""How a change to a process is recorded and announced: timeline, outbox, bus — for the ``process`` subject.

A process is one kind of subject (``hpi_app.core.subjects``): this module declares it. Each change
writes its timeline entry (and its outbox deliveries, once sinks listen for processes) in the
change's transaction and hands back the :class:`Change` to publish after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, func, select

from hpi_app import routes
from hpi_app.core import outbox, timeline
from hpi_app.core.events import Change, bus
from hpi_app.core.subjects import Subject, SubjectType, SubjectView, register
from hpi_app.models import Process, ProcessStep, iso, utcnow
from hpi_app.vocab import ProcessStatus, StepStatus

CREATED = "created"
UPDATED = "updated"


def _describe(session: Session, process_ids: set[str]) -> dict[str, SubjectView]:
    """What an email shows of each process: its name, its page and how far it has got."""
    rows = session.exec(select(Process).where(Process.id.in_(process_ids))).all()
    done = dict(
        session.exec(
            select(ProcessStep.process_id, func.count())
            .where(ProcessStep.process_id.in_(process_ids), ProcessStep.status == StepStatus.COMPLETED)
            .group_by(ProcessStep.process_id)
        ).all()
    )
    counts = dict(
        session.exec(
            select(ProcessStep.process_id, func.count())
            .where(ProcessStep.process_id.in_(process_ids))
            .group_by(ProcessStep.process_id)
        ).all()
    )
    return {
        p.id: SubjectView(
            noun="process",
            title=p.name,
            path=routes.process_detail(p.id),
            reason=p.error,
            rows=(("Steps done", f"{done.get(p.id, 0)} of {counts.get(p.id, 0)}"),),
        )
        for p in rows
    }


PROCESS = register(
    SubjectType(
        name="process",
        streamed=frozenset({CREATED, UPDATED, ProcessStatus.COMPLETED, ProcessStatus.FAILED}),
        final={ProcessStatus.COMPLETED: ProcessStatus.COMPLETED, ProcessStatus.FAILED: ProcessStatus.FAILED},
        open_status=ProcessStatus.RUNNING,
        # No sink listens for processes yet: their changes stay on the timeline, the bus and /events.
        sink_events={},
        describe=_describe,
    )
)


def subject(process_id: str) -> Subject:
    """The subject that names a process on the timeline, the bus and the outbox."""
    return Subject(PROCESS.name, process_id)


def event_body(process_id: str, kind: str, detail: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON a sink would receive for ``process.<kind>``."""
    return {
        "source": "hpi",
        "event": PROCESS.event_name(kind),
        "process_id": process_id,
        "timestamp": iso(utcnow()),
        "detail": detail,
    }


def record_change(
    session: Session, org_id: str, process_id: str, kind: str, actor: str | None, detail: dict | None = None
) -> Change:
    """Write a change's timeline entry and deliveries in the caller's transaction; returns it, to publish.

    Args:
        session: The change's transaction.
        org_id: The process's organisation.
        process_id: The process.
        kind: ``created``, ``updated``, ``completed`` or ``failed``.
        actor: Who made the change (a member id), if known.
        detail: What changed (the update's type and step, ...).
    """
    about = subject(process_id)
    event_id = timeline.record(session, org_id, about, kind, actor, detail)
    queued = outbox.enqueue(session, org_id, about, kind, lambda: event_body(process_id, kind, detail))
    status = PROCESS.status_after(kind)
    return Change(
        PROCESS.event_name(kind),
        org_id,
        about,
        status,
        kind in PROCESS.final,
        event_id,
        None,
        len(queued),
    )


def announce(changes: Iterable[Change]) -> None:
    """Publish committed process changes on the bus (after their transaction, never inside it)."""
    for change in changes:
        bus.publish(change)
