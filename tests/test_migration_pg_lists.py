"""Migration 0014 (PostgreSQL): the stored tasks' metadata into ``task_meta`` and their titles' grams
into an index; its triggers follow every write; it goes back down. SQLite: nothing changes."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import tasks
from tests.utils.migrations import TASKS, add_tasks_with_metadata, filled_at, listed_by_meta


def _titles(search: str) -> list[str]:
    rows, total = tasks.list_tasks("org-1", tasks.TaskFilter(search=search, sort="oldest"))
    assert total == len(rows)
    return [t.title for t in rows]


def _objects() -> set[str]:
    """The names of 0014's table, functions and index present in the store (none on SQLite)."""
    if db.get_engine().dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE name = 'ix_tasks_title_grams'"
    else:
        query = (
            "SELECT relname FROM pg_class WHERE relname IN ('task_meta', 'ix_tasks_title_grams') "
            "UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'hpi\\_%%'"
        )
    with db.get_engine().connect() as conn:
        return set(conn.exec_driver_sql(query).scalars())


def _write(*statements: str) -> None:
    with db.get_engine().begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"a": TASKS[0], "b": TASKS[1]})


def test_pg_lists_migration_indexes_stored_tasks_and_follows_writes(empty_store):
    cfg = filled_at("0013_short_search", add_tasks_with_metadata)
    command.upgrade(cfg, "0014_pg_lists")
    pg = empty_store == "postgresql"
    assert ("task_meta" in _objects() and "ix_tasks_title_grams" in _objects()) == pg
    assert listed_by_meta(("env", "prod")) == [TASKS[0]] and listed_by_meta(("env", "dev")) == [TASKS[1]]
    assert listed_by_meta(("n", "5")) == []  # a number is not the text "5"
    assert _titles("1") == ["Task 1"] and _titles("k ") == ["Task 0", "Task 1"] and _titles("zq") == []

    _write(  # an update of the metadata, of the time, a new task in one statement, a delete
        'UPDATE tasks SET metadata = \'{"env": "qa"}\' WHERE id = :b',
        "UPDATE tasks SET created_at = created_at - interval '1 day' WHERE id = :a"
        if pg
        else "UPDATE tasks SET created_at = '2026-01-01 00:00:00' WHERE id = :a",
        "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp, metadata) "
        "SELECT 'new-' || title, 'org-1', title, '[]', 'pending', created_at, 'link-n-' || title, false, "
        "metadata FROM tasks",
        "DELETE FROM tasks WHERE id = 'new-Task 1'",
        "UPDATE tasks SET title = 'Zq' WHERE id = 'new-Task 0'",
    )
    assert listed_by_meta(("env", "qa")) == [TASKS[1]] and listed_by_meta(("env", "dev")) == []
    assert listed_by_meta(("env", "prod")) == ["new-Task 0", TASKS[0]]  # the older one last
    assert _titles("zq") == ["Zq"] and _titles("1") == ["Task 1"]

    command.downgrade(cfg, "0013_short_search")
    assert not _objects() & {"task_meta", "ix_tasks_title_grams", "hpi_title_grams"}
    _write(  # no trigger is left to write to the dropped table
        'UPDATE tasks SET metadata = \'{"env": "dev"}\' WHERE id = :b',
        "DELETE FROM tasks WHERE id = :a",
    )
    command.upgrade(cfg, "head")
    assert listed_by_meta(("env", "dev")) == [TASKS[1]] and listed_by_meta(("env", "prod")) == ["new-Task 0"]
    assert _titles("zq") == ["Zq"] and _titles("1") == ["Task 1"]
