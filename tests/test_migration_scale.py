"""Migration 0008 counts the tasks already stored and indexes their titles for search."""

from __future__ import annotations

import json

from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import tasks
from hpi_app.core.tasks import counts
from tests.utils.migrations import NOW, add_organisation, filled_at
from tests.utils.task_counts import counted

ROWS = [
    ("Approve deployment to production", "pending", "member-1"),
    ("Approve deployment to staging", "completed", "member-1"),
    ("Review invoice", "completed", None),
    ("Sign contract", "cancelled", None),
    ("Old request", "expired", "member-2"),
]


def _fill_0007(conn) -> None:
    add_organisation(conn)
    for n, (title, status, assignee) in enumerate(ROWS):
        conn.execute(
            text(
                "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp, "
                "assignee_id) VALUES (:id, 'org-1', :title, :steps, :status, :t, :link, false, :who)"
            ),
            {
                "id": f"00000000-0000-4000-8000-00000000000{n}",
                "title": title,
                "steps": json.dumps([]),
                "status": status,
                "t": NOW,
                "link": f"link-{n}",
                "who": assignee,
            },
        )


def _search(term: str) -> list[str]:
    rows, total = tasks.list_tasks("org-1", tasks.TaskFilter(search=term, sort="oldest"))
    assert total == len(rows)
    return [t.title for t in rows]


def test_scale_migration_counts_and_indexes_the_stored_tasks(empty_store):
    cfg = filled_at("0007", _fill_0007)

    command.upgrade(cfg, "head")  # the core below reads today's tables
    assert tasks.count_by_status("org-1") == {"pending": 1, "completed": 2, "cancelled": 1, "expired": 1}
    assert tasks.count_by_status("org-1", "member-1") == {
        "pending": 1,
        "completed": 1,
        "cancelled": 0,
        "expired": 0,
    }
    assert counts.total("org-1", ["completed", "cancelled", "expired"], counts.UNASSIGNED) == 2
    truth = counted("org-1")
    assert {key: counts.total("org-1", [key[1]], key[0]) for key in truth} == truth
    assert _search("deploy") == ["Approve deployment to production", "Approve deployment to staging"]
    assert _search("VOIC") == ["Review invoice"]
    assert _search("xyz") == []
    assert tasks.list_tasks("org-1", tasks.TaskFilter(statuses=("completed", "cancelled", "expired")))[1] == 4

    command.downgrade(cfg, "0007")
    with db.get_engine().connect() as conn:
        tables = db.get_engine().dialect.get_table_names(conn)
        kept = conn.execute(text("SELECT COUNT(*) FROM tasks")).scalar_one()
    assert "task_counts" not in tables and "tasks_fts" not in tables and kept == len(ROWS)
    command.upgrade(cfg, "head")  # and up again, counted afresh
    assert tasks.count_by_status("org-1")["completed"] == 2
    assert _search("contract") == ["Sign contract"]
