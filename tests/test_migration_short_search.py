"""Migration 0013 indexes the stored titles for short searches (SQLite); down again, 0008's index."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from hpi_app.core import tasks
from hpi_app.core.tasks import listing
from tests.utils.migrations import TASKS, add_organisation, add_pending_tasks, filled_at

TITLES = ["Deploy API", "Go PL"]


def _fill_0012(conn) -> None:
    add_organisation(conn)
    add_pending_tasks(conn, steps=[])
    for task_id, title in zip(TASKS, TITLES, strict=True):
        conn.execute(text("UPDATE tasks SET title = :t WHERE id = :id"), {"t": title, "id": task_id})


def _found(search: str) -> list[str]:
    rows, total = tasks.list_tasks("org-1", tasks.TaskFilter(search=search, sort="oldest"))
    assert total == len(rows)
    return [t.title for t in rows]


def test_short_search_migration_indexes_the_stored_titles(empty_store, monkeypatch):
    monkeypatch.setattr(listing, "SMALL", -1)  # search with the index, however few the tasks
    cfg = filled_at("0012_task_meta", _fill_0012)
    command.upgrade(cfg, "head")  # 0013 indexes the titles; the core below reads the tables of today
    assert _found("pl") == TITLES and _found("l") == TITLES and _found("go pl") == ["Go PL"]
    assert _found("ep") == ["Deploy API"] and _found("zz") == []

    command.downgrade(cfg, "0012_task_meta")  # 0008's index again, in step with the titles
    assert _found("deploy") == ["Deploy API"]
    command.upgrade(cfg, "head")
    assert _found("pl") == TITLES
