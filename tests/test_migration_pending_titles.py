"""Migration 0015 indexes the pending tasks' titles (both stores); a search's Done-tab total stays exact."""

from __future__ import annotations

from sqlalchemy import inspect, text

from alembic import command
from hpi_app import db
from hpi_app.core import tasks
from hpi_app.core.tasks import listing
from hpi_app.vocab import DONE_STATUSES
from tests.utils.migrations import NOW, add_organisation, add_pending_tasks, filled_at


def _fill_0014(conn) -> None:
    add_organisation(conn)
    add_pending_tasks(conn, steps=[])  # "Task 0", "Task 1"
    conn.execute(
        text(
            "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp) "
            "VALUES ('done-1', 'org-1', 'Task done', '[]', 'completed', :t, 'link-done', false)"
        ),
        {"t": NOW},
    )


def _indexes() -> set[str]:
    return {index["name"] for index in inspect(db.get_engine()).get_indexes("tasks")}


def _found(search: str, statuses: tuple[str, ...]) -> tuple[list[str], int]:
    rows, total = tasks.list_tasks("org-1", tasks.TaskFilter(search=search, statuses=statuses, sort="oldest"))
    return [t.title for t in rows], total


def test_pending_titles_migration_indexes_the_stored_pending_titles(empty_store, monkeypatch):
    monkeypatch.setattr(listing, "SMALL", -1)  # search with the text index, however few the tasks
    cfg = filled_at("0014_pg_lists", _fill_0014)
    assert "ix_tasks_pending_titles" not in _indexes()
    command.upgrade(cfg, "head")
    assert "ix_tasks_pending_titles" in _indexes()
    assert _found("task", tuple(DONE_STATUSES)) == (["Task done"], 1)
    assert _found("task", ("pending",)) == (["Task 0", "Task 1"], 2)
    assert _found("task", ()) == (["Task 0", "Task 1", "Task done"], 3)

    command.downgrade(cfg, "0014_pg_lists")
    assert "ix_tasks_pending_titles" not in _indexes()
    command.upgrade(cfg, "head")
    assert _found("task 1", ("pending",)) == (["Task 1"], 1)
