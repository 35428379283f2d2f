"""Several workers sweeping at once: each task expires once and each expiry is announced once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from hpi_app.core import tasks
from hpi_app.core.events import bus
from hpi_app.db import session_scope
from hpi_app.models import Task, TimelineEntry, utcnow
from tests.utils.deliveries import create_task, deliveries

SWEEPERS = 4
TASKS = 12


async def test_racing_sweepers_expire_each_task_exactly_once(admin):
    sink = [{"type": "webhook", "url": "https://receiver.example.com/hook", "events": ["expired"]}]
    ids = [create_task(admin, sink, expires_in=60)["task_id"] for _ in range(TASKS)]
    with session_scope(write=True) as session:
        session.execute(
            update(Task).where(Task.id.in_(ids)).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()

    async with bus.subscribe(None) as events:
        counts: list[int] = []
        start = threading.Barrier(SWEEPERS)

        def sweep() -> None:
            start.wait()
            counts.append(tasks.expire_due())

        threads = [threading.Thread(target=sweep) for _ in range(SWEEPERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sum(counts) == TASKS  # every task expired by exactly one sweeper
        announced = []
        while (event := await events.get(timeout=0.5)) is not None:
            announced.append(event)
    assert sorted(e.subject.id for e in announced if e.kind == "task.expired") == sorted(ids)

    with session_scope() as session:
        statuses = session.exec(select(Task.status).where(Task.id.in_(ids))).all()
        expired_rows = session.exec(
            select(TimelineEntry.subject_id).where(
                TimelineEntry.subject_id.in_(ids), TimelineEntry.kind == "expired"
            )
        ).all()
    assert set(statuses) == {"expired"}
    assert sorted(expired_rows) == sorted(ids)  # one timeline row each
    queued = deliveries(event="task.expired")
    assert sorted(d.subject_id for d in queued) == sorted(ids)  # one outbox row each
