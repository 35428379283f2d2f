"""Migration 0011 keeps every task as it was (no policy, nothing scheduled) and adds the schedule tables."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import tasks
from hpi_app.core.tasks import schedules
from hpi_app.core.tasks.policy import org_defaults, save_org_defaults
from tests.utils.migrations import TASKS, add_organisation, add_pending_tasks, filled_at


def _fill_before(conn) -> None:
    add_organisation(conn)
    add_pending_tasks(conn, steps=[])


def test_schedules_migration_keeps_tasks_and_adds_the_tables(empty_store):
    cfg = filled_at("0010_first_setup", _fill_before)
    command.upgrade(cfg, "0011_schedules")
    for task_id in TASKS:
        task = tasks.get_task("org-1", task_id)
        assert (task.reminders, task.escalation, task.on_expire) == (None, None, None)
        assert (task.reminded_count, task.escalated_count, task.last_notified_at) == (0, 0, None)
        assert schedules.of_task(task_id) == []
    assert org_defaults("org-1").model_dump(exclude_none=True) == {}
    save_org_defaults("org-1", {"reminders": {"after": 3600}, "expires_in": 86400}, None)
    assert org_defaults("org-1").reminders.after == 3600
    command.downgrade(cfg, "0010_first_setup")
    with db.get_engine().connect() as conn:
        titles = conn.execute(text("SELECT title FROM tasks ORDER BY title")).scalars().all()
    assert titles == ["Task 0", "Task 1"]
