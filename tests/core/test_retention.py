"""Retention: only old finished tasks go, with their rows and files, once; counts and search follow."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import func, select

from hpi_app import routes
from hpi_app.core import files, tasks
from hpi_app.core.tasks import retention
from hpi_app.db import session_scope
from hpi_app.models import (
    Delivery,
    DeliveryAttempt,
    Link,
    LinkAccess,
    LinkGrant,
    StoredFile,
    Submission,
    Task,
    TimelineEntry,
    utcnow,
)
from hpi_app.workers import retention as retention_worker
from tests.utils.task_counts import counted, kept, make_task

SINK = [{"type": "webhook", "url": "https://receiver.example.com/hook", "events": ["completed", "cancelled"]}]
OLD = timedelta(days=40)


def _age(task_id: str, *, created: timedelta, finished: timedelta | None = None) -> None:
    """Move a task's times into the past: made ``created`` ago, finished ``finished`` ago."""
    now = utcnow()
    values = {"created_at": now - created}
    if finished is not None:
        values |= {"completed_at": None, "cancelled_at": None, "expired_at": None}
        with session_scope() as session:
            status = session.get(Task, task_id).status
        values[f"{status}_at"] = now - finished
    with session_scope(write=True) as session:
        session.execute(update(Task).where(Task.id == task_id).values(**values))
        session.commit()


def _with_answer_file(admin, task_id: str) -> StoredFile:
    """Complete the task, then give its answers a file uploaded through its form."""
    record = files.save_upload(admin.org_id, None, "scan.pdf", "application/pdf", io.BytesIO(b"%PDF-1"))
    tasks.complete_task(task_id, {"decision": "Approve"})
    answers = {"decision": "Approve", "scan": routes.file_url("https://hpi.example.com", record.key)}
    with session_scope(write=True) as session:
        session.execute(update(Task).where(Task.id == task_id).values(data=answers))
        session.commit()
    return record


def _code_state(task_id: str) -> None:
    """A one-time code sent for the task's link, and a browser let in by it."""
    with session_scope(write=True) as session:
        link = session.exec(select(Link).where(Link.subject_id == task_id)).one()
        session.add(LinkAccess(link_id=link.id, failed_attempts=1))
        session.add(LinkGrant(link_id=link.id, token_hash=f"h-{task_id}", expires_at=utcnow()))
        session.commit()


def _rows_about(task_ids: list[str]) -> dict[str, int]:
    with session_scope() as session:
        links = select(Link.id).where(Link.subject_id.in_(task_ids))
        deliveries = select(Delivery.id).where(Delivery.subject_id.in_(task_ids))
        queries = {
            "tasks": select(func.count()).select_from(Task).where(Task.id.in_(task_ids)),
            "submissions": select(func.count())
            .select_from(Submission)
            .where(Submission.task_id.in_(task_ids)),
            "timeline": select(func.count())
            .select_from(TimelineEntry)
            .where(TimelineEntry.subject_id.in_(task_ids)),
            "links": select(func.count()).select_from(Link).where(Link.subject_id.in_(task_ids)),
            "link_access": select(func.count()).select_from(LinkAccess).where(LinkAccess.link_id.in_(links)),
            "link_grants": select(func.count()).select_from(LinkGrant).where(LinkGrant.link_id.in_(links)),
            "deliveries": select(func.count()).select_from(Delivery).where(Delivery.subject_id.in_(task_ids)),
            "attempts": select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(deliveries)),
        }
        return {name: session.exec(query).one() for name, query in queries.items()}


def _titles(org_id: str, search: str) -> set[str]:
    return {t.title for t in tasks.list_tasks(org_id, tasks.TaskFilter(search=search, limit=200))[0]}


def test_retention_deletes_old_finished_tasks_with_their_rows_and_files_once(admin):
    org = admin.org_id
    old = [make_task(admin, title=f"Old done {n}", sinks=SINK) for n in range(5)]
    record = _with_answer_file(admin, old[0])
    for task_id in old[1:3]:
        tasks.cancel_task(org, task_id, None, actor=admin.id)
    for task_id in old[3:]:
        tasks.complete_task(task_id, {"decision": "Reject"})
    _code_state(old[1])
    with session_scope(write=True) as session:
        delivery = session.exec(select(Delivery).where(Delivery.subject_id == old[1])).first()
        session.add(DeliveryAttempt(delivery_id=delivery.id, attempt=1, ok=False))
        session.commit()
    for task_id in old:
        _age(task_id, created=OLD + timedelta(days=1), finished=OLD)
    kept_ids = {
        "pending, made long ago": make_task(admin, title="Old pending"),
        "finished yesterday": make_task(admin, title="Recent done"),
        "made long ago, finished yesterday": make_task(admin, title="Late done"),
    }
    _age(kept_ids["pending, made long ago"], created=OLD * 2)
    for name in ("finished yesterday", "made long ago, finished yesterday"):
        tasks.complete_task(kept_ids[name], {"decision": "Approve"})
    _age(kept_ids["made long ago, finished yesterday"], created=OLD * 2, finished=timedelta(days=1))
    before = _rows_about(old)
    assert (
        before["link_access"] == before["link_grants"] == before["attempts"] == 1
        and before["deliveries"] == 5
    )
    assert files.file_path(record).is_file() and _titles(org, "old done") == {
        f"Old done {n}" for n in range(5)
    }

    cutoff = utcnow() - timedelta(days=30)
    start = threading.Barrier(2)
    removed: list[int] = []

    def sweep() -> None:
        start.wait()
        total = 0
        while done := retention.purge_finished(cutoff, batch=2):
            total += done
        removed.append(total)

    sweepers = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in sweepers:
        thread.start()
    for thread in sweepers:
        thread.join()

    assert sum(removed) == len(old)  # each task deleted by exactly one sweeper
    assert _rows_about(old) == dict.fromkeys(before, 0)
    assert _rows_about(list(kept_ids.values()))["tasks"] == 3
    assert not files.file_path(record).exists()
    with session_scope() as session:
        assert session.get(StoredFile, record.key) is None
    assert kept(org, {admin.id}) == counted(org)
    assert tasks.count_by_status(org) == {"pending": 1, "completed": 2, "cancelled": 0, "expired": 0}
    assert _titles(org, "old done") == set() and _titles(org, "done") == {"Recent done", "Late done"}
    assert _titles(org, "Old") == {"Old pending"}


def test_retention_is_off_by_default_and_sweeps_what_is_due(admin):
    assert retention_worker.settings.retention_days == 0
    task_id = make_task(admin, title="Closed long ago")
    tasks.cancel_task(admin.org_id, task_id, None, actor=admin.id)
    _age(task_id, created=OLD, finished=OLD)
    assert retention_worker.sweep_once(60) == 0
    assert retention_worker.sweep_once(30) == 1
    assert tasks.count_by_status(admin.org_id)["cancelled"] == 0


async def test_the_sweeper_does_nothing_when_retention_is_off(admin):
    task_id = make_task(admin)
    tasks.cancel_task(admin.org_id, task_id, None, actor=admin.id)
    _age(task_id, created=OLD * 10, finished=OLD * 10)
    await retention_worker.run_retention_sweeper()  # returns at once: HPI_RETENTION_DAYS is unset
    assert tasks.get_task(admin.org_id, task_id).status == "cancelled"


async def test_each_deleted_task_is_announced_on_the_bus_after_its_batch_commits(admin):
    from starlette.concurrency import run_in_threadpool

    from hpi_app.core.events import bus

    gone = [make_task(admin, title=f"Done long ago {n}") for n in range(3)]
    for task_id in gone:
        tasks.cancel_task(admin.org_id, task_id, None, actor=admin.id)
        _age(task_id, created=OLD, finished=OLD)
    async with bus.subscribe(admin.org_id) as changes:
        assert await run_in_threadpool(retention.purge_finished, utcnow() - timedelta(days=30)) == 3
        heard = [await changes.get(timeout=10) for _ in gone]
    assert [(c.kind, c.status) for c in heard] == [(retention.DELETED, "cancelled")] * 3
    assert {c.subject.id for c in heard} == set(gone)
    with session_scope() as session:  # announced once the rows are gone
        assert session.exec(select(func.count()).select_from(Task).where(Task.id.in_(gone))).one() == 0
