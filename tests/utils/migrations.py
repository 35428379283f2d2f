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
