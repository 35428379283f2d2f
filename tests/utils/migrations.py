"""What the migration tests share: the rows of an old store to carry over (``empty_store`` is in conftest)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alembic.config import Config
from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.migrations import alembic_config

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).isoformat()
TASKS = ["3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90", "7a1c2e3d-4b5f-4a6b-8c7d-9e0f1a2b3c4d"]


def add_organisation(conn: Any, at: Any = NOW) -> None:
    """The organisation ``org-1`` ("Acme"), as every revision since the first stores it."""
    conn.execute(
        text("INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Acme', :t)"), {"t": at}
    )


def add_pending_tasks(conn: Any, steps: list[dict[str, Any]]) -> None:
    """``TASKS`` as pending tasks of ``org-1`` ("Task 0", "Task 1"; links ``link-0``, ``link-1``)."""
    for n, task_id in enumerate(TASKS):
        conn.execute(
            text(
                "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp) "
                "VALUES (:id, 'org-1', :title, :steps, 'pending', :t, :link, false)"
            ),
            {"id": task_id, "title": f"Task {n}", "steps": json.dumps(steps), "t": NOW, "link": f"link-{n}"},
        )


def filled_at(revision: str, fill: Callable[[Any], None]) -> Config:
    """Migrate the empty store to ``revision`` and write ``fill``'s rows; returns the Alembic config."""
    cfg = alembic_config()
    command.upgrade(cfg, revision)
    with db.get_engine().begin() as conn:
        fill(conn)
    return cfg


# Metadata of the two tasks of add_pending_tasks: text values, and a number (not indexed as text).
METADATA = ['{"env": "prod", "team": "core"}', '{"env": "dev", "n": 5}']


def add_tasks_with_metadata(conn: Any) -> None:
    """The organisation and its two pending tasks, with ``METADATA`` (for the metadata index migrations)."""
    add_organisation(conn)
    add_pending_tasks(conn, steps=[])  # "Task 0", "Task 1"
    for task_id, meta in zip(TASKS, METADATA, strict=True):
        conn.execute(text("UPDATE tasks SET metadata = :m WHERE id = :id"), {"m": meta, "id": task_id})


def listed_by_meta(*meta: tuple[str, str]) -> list[str]:
    """The ids the core lists for ``meta.<key>`` filters (and their total agrees)."""
    from hpi_app.core import tasks

    rows, total = tasks.list_tasks("org-1", tasks.TaskFilter(meta=meta))
    assert total == len(rows)
    return [t.id for t in rows]
