"""Migrations carry existing data over: the subject timeline and outbox (0004), task template ids (0005)."""

from __future__ import annotations

import json

from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import tasks, timeline
from hpi_app.core.subjects import Subject
from tests.utils.migrations import NOW, TASKS, add_organisation, add_pending_tasks, filled_at


def _fill_0003(conn) -> None:
    """A store at revision 0003 with an organisation, two tasks, their timelines and deliveries."""
    add_organisation(conn)
    add_pending_tasks(conn, steps=[])
    entries = [(TASKS[0], "created"), (TASKS[1], "created"), (TASKS[0], "opened"), (TASKS[0], "cancelled")]
    for task_id, kind in entries:
        conn.execute(
            text(
                "INSERT INTO task_events (org_id, task_id, kind, actor, detail, created_at) "
                "VALUES ('org-1', :task, :kind, 'member-1', :detail, :t)"
            ),
            {"task": task_id, "kind": kind, "detail": json.dumps({"n": kind}), "t": NOW},
        )
    for delivery_id, task_id in [("d-task", TASKS[0]), ("d-test", None)]:
        conn.execute(
            text(
                "INSERT INTO deliveries (id, org_id, task_id, webhook_id, event, sink, body, status, "
                "attempts, next_attempt_at, deadline_at, created_at) VALUES (:id, 'org-1', :task, :wh, "
                "'task.cancelled', :sink, :body, 'delivered', 1, :t, :t, :t)"
            ),
            {
                "id": delivery_id,
                "task": task_id,
                "wh": f"msg_{delivery_id}",
                "sink": "{}",
                "body": "{}",
                "t": NOW,
            },
        )


def test_subjects_migration_keeps_every_timeline_entry_and_delivery(empty_store):
    cfg = filled_at("0003", _fill_0003)
    with db.get_engine().connect() as conn:
        before = conn.execute(
            text("SELECT id, task_id, kind, actor, detail FROM task_events ORDER BY id")
        ).all()

    command.upgrade(cfg, "head")
    with db.get_engine().connect() as conn:
        after = conn.execute(
            text("SELECT id, subject_kind, subject_id, kind, actor, detail FROM timeline ORDER BY id")
        ).all()
        deliveries = dict(
            (row.id, (row.subject_kind, row.subject_id))
            for row in conn.execute(text("SELECT id, subject_kind, subject_id FROM deliveries"))
        )
    assert [(r.id, r.subject_id, r.kind, r.actor, _json(r.detail)) for r in after] == [
        (r.id, r.task_id, r.kind, r.actor, _json(r.detail)) for r in before
    ]
    assert {r.subject_kind for r in after} == {"task"}
    assert deliveries == {"d-task": ("task", TASKS[0]), "d-test": (None, None)}

    # Ids go on from the carried-over rows, so Last-Event-ID values clients hold still order correctly.
    with db.session_scope(write=True) as session:
        new_id = timeline.record(session, "org-1", Subject("task", TASKS[1]), "expired", None)
        session.commit()
    assert new_id > max(r.id for r in before)
    assert [e.kind for e in timeline.entries(Subject("task", TASKS[0]))] == ["created", "opened", "cancelled"]

    command.downgrade(cfg, "0003")
    with db.get_engine().connect() as conn:
        back = conn.execute(text("SELECT id, task_id, kind FROM task_events ORDER BY id")).all()
        task_ids = dict(conn.execute(text("SELECT id, task_id FROM deliveries")).all())
    assert [(r.id, r.task_id, r.kind) for r in back] == [(r.id, r.task_id, r.kind) for r in before] + [
        (new_id, TASKS[1], "expired")
    ]
    assert task_ids == {"d-task": TASKS[0], "d-test": None}
    with db.get_engine().begin() as conn:  # the old table's ids go on after the copied rows too
        conn.execute(
            text(
                "INSERT INTO task_events (org_id, task_id, kind, created_at) "
                "VALUES ('org-1', :task, 'opened', :t)"
            ),
            {"task": TASKS[1], "t": NOW},
        )
        newest = conn.execute(text("SELECT MAX(id) FROM task_events")).scalar_one()
    assert newest == new_id + 1


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_task_fields_migration_keeps_the_tasks(empty_store):
    cfg = filled_at("0003", _fill_0003)
    command.upgrade(cfg, "0004")
    with db.get_engine().connect() as conn:
        before = conn.execute(text("SELECT id, title, link_id, status FROM tasks ORDER BY id")).all()
    command.upgrade(cfg, "0005")
    with db.get_engine().begin() as conn:
        after = conn.execute(
            text("SELECT id, title, link_id, status, template_id FROM tasks ORDER BY id")
        ).all()
        conn.execute(text("UPDATE tasks SET template_id = 'deploy' WHERE id = :id"), {"id": TASKS[0]})
    assert [tuple(r) for r in after] == [(*r, None) for r in before]
    assert [(t.template_id, t.count) for t in tasks.templates("org-1")] == [("deploy", 1)]
    command.downgrade(cfg, "0004")
    with db.get_engine().connect() as conn:
        back = conn.execute(text("SELECT id, title, link_id, status FROM tasks ORDER BY id")).all()
    assert back == before
