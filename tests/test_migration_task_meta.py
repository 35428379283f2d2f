"""Migration 0012 writes the stored tasks' metadata into ``task_meta`` (SQLite), and goes back down."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import tasks
from tests.utils.migrations import TASKS, add_organisation, add_pending_tasks, filled_at

METADATA = ['{"env": "prod", "team": "core"}', '{"env": "dev", "n": 5}']


def _fill_0011(conn) -> None:
    add_organisation(conn)
    add_pending_tasks(conn, steps=[])
    for task_id, meta in zip(TASKS, METADATA, strict=True):
        conn.execute(text("UPDATE tasks SET metadata = :m WHERE id = :id"), {"m": meta, "id": task_id})


def _ids(*meta: tuple[str, str]) -> list[str]:
    rows, total = tasks.list_tasks("org-1", tasks.TaskFilter(meta=meta))
    assert total == len(rows)
    return [t.id for t in rows]


def _tables() -> list[str]:
    with db.get_engine().connect() as conn:
        return db.get_engine().dialect.get_table_names(conn)


def test_task_meta_migration_indexes_the_stored_metadata(empty_store):
    cfg = filled_at("0011_schedules", _fill_0011)
    command.upgrade(cfg, "head")  # 0012 writes task_meta; the core below reads the tables of today
    assert _ids(("env", "prod")) == [TASKS[0]] and _ids(("env", "dev")) == [TASKS[1]]
    assert _ids(("team", "core"), ("env", "prod")) == [TASKS[0]]
    assert _ids(("n", "5")) == []  # a number is not the text "5" (as before: metadata values are text)
    assert "task_meta" in _tables()  # on PostgreSQL since 0014

    command.downgrade(cfg, "0011_schedules")
    assert "task_meta" not in _tables()
    with db.get_engine().begin() as conn:  # no trigger is left to write to the dropped table
        conn.execute(text('UPDATE tasks SET metadata = \'{"env": "qa"}\' WHERE id = :id'), {"id": TASKS[1]})
        conn.execute(text("DELETE FROM tasks WHERE id = :id"), {"id": TASKS[0]})
    command.upgrade(cfg, "head")
    assert _ids(("env", "qa")) == [TASKS[1]] and _ids(("env", "prod")) == []
