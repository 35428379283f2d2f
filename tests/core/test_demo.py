"""Demo data and the bulk path it writes through: tasks indistinguishable from real ones."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from hpi_app.api.presenters import task_public
from hpi_app.core import accounts, demo, links, tasks
from hpi_app.core.errors import InvalidInput, NotFound
from hpi_app.core.principal import Principal
from hpi_app.core.tasks import listing
from hpi_app.core.tasks.bulk import PastTask, insert_tasks
from hpi_app.core.tasks.create import new_task
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import Link, Submission, Task, TimelineEntry, utcnow
from hpi_app.vocab import TaskStatus
from tests.utils.bodies import seed_task
from tests.utils.task_counts import counted, kept

# Every column, as stored: the bulk path (executemany on SQLite, COPY on PostgreSQL) must write
# each one as a real create does.
_COLUMNS = "*"


def _raw(task_id: str) -> dict:
    with session_scope() as session:
        row = (
            session.connection()
            .execute(text(f"SELECT {_COLUMNS} FROM tasks WHERE id = :id"), {"id": task_id})
            .one()
        )
    return dict(row._mapping)


def test_a_bulk_task_is_stored_like_a_created_one(admin):
    principal = Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))
    made = tasks.create_task(principal, TaskCreate.model_validate(seed_task())).task
    twin = new_task(**{**vars(made), "id": "7d1c2b9e-1f6a-4c1e-9a57-3c2f0f7b8a10", "link_id": "bulk-link-1"})
    with session_scope(write=True) as session:
        assert insert_tasks(session, [PastTask(twin)]) == 1
        session.commit()
    created, bulk = _raw(made.id), _raw(twin.id)
    assert {k: v for k, v in bulk.items() if k not in ("id", "link_id")} == {
        k: v for k, v in created.items() if k not in ("id", "link_id")
    }
    # Its link opens it and its timeline starts as a created task's does.
    assert tasks.get_task_by_link("bulk-link-1").id == twin.id
    assert [e.kind for e in tasks.timeline(admin.org_id, twin.id)] == ["created"]
    assert [link.primary for link in links.list_links(admin.org_id, twin.id)] == [True]


def test_demo_fills_the_first_organisation_with_a_realistic_history(admin):
    member = accounts.create_user("bea@acme.test", "correct horse battery", org_id=admin.org_id)
    org = demo.find_org()
    assert org.id == admin.org_id and {m[0] for m in org.members} == {admin.id, member.id}
    seen = []
    assert demo.fill(org, 2_500, batch=1_000, progress=seen.append, seed=7) == 2_500
    assert seen == [1_000, 2_000, 2_500]

    counts = tasks.count_by_status(org.id)
    assert sum(counts.values()) == 2_500
    assert kept(org.id, {admin.id, member.id}) == counted(org.id)  # the kept counts, as COUNT(*) finds
    assert 0 < counts[TaskStatus.PENDING] < 100  # ~1 %
    assert counts[TaskStatus.COMPLETED] > counts[TaskStatus.CANCELLED] > 0 and counts[TaskStatus.EXPIRED] > 0
    with session_scope() as session:
        rows = session.exec(select(Task)).all()
        entries = Counter(session.exec(select(TimelineEntry.kind)).all())
        submissions = session.exec(select(func.count()).select_from(Submission)).one()
        primary_links = session.exec(select(func.count()).select_from(Link).where(Link.primary)).one()
    now = utcnow()
    assert len({t.template_id for t in rows}) >= 5 and any(t.template_id == "deploy-approval" for t in rows)
    assert {t.assignee_type for t in rows} == {"member", "external", None}
    assert {t.assignee_id for t in rows if t.assignee_type == "member"} == {admin.id, member.id}
    assert all(t.requires_otp for t in rows if t.assignee_type == "external")
    assert sum(t.correlation_key is not None for t in rows) > 1_500 and all(t.meta for t in rows)
    assert min(t.created_at for t in rows) < now - demo.HISTORY * 0.9
    assert all(t.created_at < now for t in rows)
    # Pending tasks are recent and not overdue (the expiry sweeper would finish them at once).
    pending = [t for t in rows if t.status == TaskStatus.PENDING]
    assert all(
        t.created_at >= now - demo.RECENT and (t.expires_at is None or t.expires_at > now) for t in pending
    )
    completed = [t for t in rows if t.status == TaskStatus.COMPLETED]
    assert all(t.data and t.created_at <= t.completed_at <= now for t in completed)
    assert submissions == len(completed) and primary_links == 2_500
    assert entries["created"] == 2_500 and entries["completed"] == len(completed)
    assert (
        entries["cancelled"] == counts[TaskStatus.CANCELLED]
        and entries["expired"] == counts[TaskStatus.EXPIRED]
    )
    assert entries["opened"] > 0
    # The REST presenter reads every shape, and lists and search find them as they find real tasks.
    for task in rows[:300]:
        task_public(task, "http://hpi.test")
    page, total = tasks.list_tasks(org.id, tasks.TaskFilter(search="deployment", limit=5))
    assert total > 0 and all("deployment" in t.title.lower() for t in page)
    done, done_total = tasks.list_tasks(org.id, tasks.TaskFilter(statuses=tasks.DONE_STATUSES, limit=3))
    assert done_total == 2_500 - counts[TaskStatus.PENDING] and len(done) == 3


def test_a_demo_task_can_still_be_completed(admin):
    org = demo.find_org()
    demo.fill(org, 400, seed=3)
    rows, _ = tasks.list_tasks(org.id, tasks.TaskFilter(statuses=(TaskStatus.PENDING,), limit=200))
    target = rows[0]
    answers = next(s.answers[0] for s in demo.shapes() if s.template_id == target.template_id)
    done = tasks.complete_task(target.id, answers, actor=admin.id)
    assert done.status == TaskStatus.COMPLETED
    assert tasks.count_by_status(org.id)[TaskStatus.PENDING] == len(rows) - 1


def test_demo_refuses_bad_arguments(store):
    with pytest.raises(NotFound, match="no organisation yet"):
        demo.find_org()
    accounts.create_user("admin@acme.test", "correct horse battery", role="admin", org_name="Acme")
    with pytest.raises(NotFound, match=r"No organisation named 'Globex'.*Acme"):
        demo.find_org("Globex")
    with pytest.raises(InvalidInput, match="at least 1"):
        demo.fill(demo.find_org("Acme"), 0)


def _search_structures(store: str) -> dict:
    """The store's indexes and triggers on the task tables, and (SQLite) what tasks_fts holds."""
    with session_scope() as session:
        conn = session.connection()
        if store == "sqlite":
            found = conn.execute(
                text("SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name")
            ).all()
            # FTS5's own check that the index holds exactly the titles of the content table (tasks).
            conn.execute(text("INSERT INTO tasks_fts (tasks_fts, rank) VALUES ('integrity-check', 1)"))
            in_fts = conn.execute(text("SELECT count(*) FROM tasks_fts_docsize")).scalar()
            return {"schema": found, "fts_rows": in_fts}
        found = conn.execute(text("SELECT indexname FROM pg_indexes ORDER BY indexname")).all()
        return {"schema": found}


def test_after_a_fill_counts_indexes_and_search_are_right(admin, store, monkeypatch):
    # Searches read the text index even in a store this small (tests/core/test_task_lists.py).
    monkeypatch.setattr(listing, "FEW", 10)
    monkeypatch.setattr(listing, "SMALL", 0)
    before = _search_structures(store)
    demo.fill(demo.find_org(), 3_000, batch=1_000, seed=11)
    after = _search_structures(store)
    assert after["schema"] == before["schema"]  # every index and trigger is (back) in place
    with session_scope() as session:
        titles = session.exec(select(Task.title)).all()
        by_status = dict(session.exec(select(Task.status, func.count()).group_by(Task.status)).all())
    assert kept(admin.org_id, {admin.id}) == counted(admin.org_id)
    assert tasks.count_by_status(admin.org_id) == {str(s): by_status.get(s, 0) for s in TaskStatus}
    if store == "sqlite":
        assert after["fts_rows"] == len(titles)  # every title is in the text index
    # Search finds a demo title, and a task created after the fill (the trigger works again).
    needle = titles[1234][3:20]
    page, total = tasks.list_tasks(admin.org_id, tasks.TaskFilter(search=needle, limit=5))
    assert total == sum(needle.lower() in title.lower() for title in titles) > 0
    assert all(needle.lower() in t.title.lower() for t in page)
    # Short searches too, at a title's end (where the index pads each title).
    for short in (titles[1234][-2:], titles[2345][-1:]):
        _, total = tasks.list_tasks(admin.org_id, tasks.TaskFilter(search=short, limit=5))
        assert total == sum(short.lower() in title.lower() for title in titles) > 0, short
    # The metadata filters read task_meta: on SQLite one statement per batch in place of the
    # per-row trigger, on PostgreSQL the trigger per COPY. It holds each text value, as the
    # triggers of 0012 / 0014 define it, and nothing else.
    with session_scope() as session:
        conn = session.connection()
        held = conn.execute(text("SELECT org_id, key, value, created_at, task_id FROM task_meta")).all()
        stored = [
            (org, meta if isinstance(meta, dict) else json.loads(meta or "null"), created, task_id)
            for org, meta, created, task_id in conn.execute(
                text("SELECT org_id, metadata, created_at, id FROM tasks")
            )
        ]
    metas = [meta for _, meta, _, _ in stored]
    expected = [
        (org, key, value, created, task_id)
        for org, meta, created, task_id in stored
        for key, value in (meta or {}).items()
        if isinstance(value, str)
    ]
    assert len(expected) >= len(stored) > 0 and sorted(map(tuple, held)) == sorted(expected)
    pairs = {(k, v) for meta in metas if meta for k, v in meta.items() if isinstance(v, str)}
    assert pairs
    for key, value in sorted(pairs)[:3]:
        page = tasks.list_page(admin.org_id, tasks.TaskFilter(meta=((key, value),), limit=5))
        assert page.total == sum(bool(meta) and meta.get(key) == value for meta in metas) > 0, (key, value)
        assert all(t.meta[key] == value for t in page.tasks)
    principal = Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))
    tasks.create_task(principal, TaskCreate.model_validate(seed_task(title="Zebra-crossing audit")))
    page, total = tasks.list_tasks(admin.org_id, tasks.TaskFilter(search="ebra-cross", limit=5))
    assert total == 1 and page[0].title == "Zebra-crossing audit"


def test_an_interrupted_bulk_write_leaves_the_store_as_it_was(admin, store):
    before = _search_structures(store)
    org = demo.find_org()
    maker = demo._Maker(org, 10, utcnow(), 5)
    batch = maker.make_many(0, 10)
    batch[-1].task.link_id = batch[0].task.link_id  # the links insert fails, after the tasks insert
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), session_scope(write=True) as session:
        insert_tasks(session, batch)
        session.commit()
    assert _search_structures(store) == before
    assert tasks.count_by_status(org.id) == {str(s): 0 for s in TaskStatus}


def test_a_fill_stopped_between_batches_keeps_what_it_wrote_whole(admin, store):
    def stop_after_the_first(done: int) -> None:
        raise KeyboardInterrupt

    before = _search_structures(store)
    with pytest.raises(KeyboardInterrupt):
        demo.fill(demo.find_org(), 3_000, batch=1_000, progress=stop_after_the_first, seed=2)
    after = _search_structures(store)
    assert after["schema"] == before["schema"]
    assert kept(admin.org_id, {admin.id}) == counted(admin.org_id)
    assert sum(tasks.count_by_status(admin.org_id).values()) == 1_000
    if store == "sqlite":
        assert after["fts_rows"] == 1_000


def _making_processes() -> list[int]:
    """The pids of this process's children running the demo's making process."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"hpi_app.core.demo_making" in command:
            found.append(int(entry))
    return found


def test_a_fill_whose_making_process_dies_says_so_and_keeps_its_whole_batches(admin, store):
    # Killed after the first batch is written: the second (larger than a pipe holds) is cut off.
    def kill_the_maker(done: int) -> None:
        for pid in _making_processes():
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(RuntimeError, match=r"stopped after 1,000 of 3,000 tasks"):
        demo.fill(demo.find_org(), 3_000, batch=1_000, progress=kill_the_maker, seed=4)
    assert sum(tasks.count_by_status(admin.org_id).values()) == 1_000
    assert kept(admin.org_id, {admin.id}) == counted(admin.org_id)
    assert _making_processes() == []  # nothing left behind
