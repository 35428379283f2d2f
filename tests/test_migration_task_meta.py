"""Migration 0012 writes the stored tasks' metadata into ``task_meta`` (SQLite), and goes back down."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from hpi_app import db
from tests.utils.migrations import TASKS, add_tasks_with_metadata, filled_at, listed_by_meta


def _tables() -> list[str]:
    with db.get_engine().connect() as conn:
        return db.get_engine().dialect.get_table_names(conn)


def test_task_meta_migration_indexes_the_stored_metadata(empty_store):
    cfg = filled_at("0011_schedules", add_tasks_with_metadata)
    command.upgrade(cfg, "head")  # 0012 writes task_meta; the core below reads the tables of today
    assert listed_by_meta(("env", "prod")) == [TASKS[0]] and listed_by_meta(("env", "dev")) == [TASKS[1]]
    assert listed_by_meta(("team", "core"), ("env", "prod")) == [TASKS[0]]
    assert (
        listed_by_meta(("n", "5")) == []
    )  # a number is not the text "5" (as before: metadata values are text)
    assert "task_meta" in _tables()  # on PostgreSQL since 0014

    command.downgrade(cfg, "0011_schedules")
    assert "task_meta" not in _tables()
    with db.get_engine().begin() as conn:  # no trigger is left to write to the dropped table
        conn.execute(text('UPDATE tasks SET metadata = \'{"env": "qa"}\' WHERE id = :id'), {"id": TASKS[1]})
        conn.execute(text("DELETE FROM tasks WHERE id = :id"), {"id": TASKS[0]})
    command.upgrade(cfg, "head")
    assert listed_by_meta(("env", "qa")) == [TASKS[1]] and listed_by_meta(("env", "prod")) == []
