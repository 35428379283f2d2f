"""Migration 0006 (processes) keeps every existing task, and its downgrade gives them back unchanged."""

from __future__ import annotations

from sqlalchemy import inspect, text

from alembic import command
from hpi_app import db
from tests.utils.migrations import NOW, TASKS, add_organisation, add_pending_tasks, filled_at


def _fill_0004(conn) -> None:
    add_organisation(conn)
    add_pending_tasks(conn, steps=[{"id": "s"}])


def _tasks(conn) -> list[tuple]:
    return [
        tuple(r)
        for r in conn.execute(text("SELECT id, org_id, title, status, link_id FROM tasks ORDER BY id"))
    ]


def test_processes_migration_keeps_tasks_and_adds_their_process_columns(empty_store):
    cfg = filled_at("0004", _fill_0004)
    with db.get_engine().connect() as conn:
        before = _tasks(conn)

    command.upgrade(cfg, "0006")
    with db.get_engine().begin() as conn:
        assert _tasks(conn) == before
        assert conn.execute(text("SELECT process_id, process_step FROM tasks")).all() == [(None, None)] * 2
        conn.execute(
            text(
                "INSERT INTO processes (id, org_id, namespace, name, status, started_at, updated_at) "
                "VALUES ('p-1', 'org-1', 'org-1.ops', 'P', 'running', :t, :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO process_steps (process_id, key, label, human, position, status) "
                "VALUES ('p-1', 'approve', 'Approve', true, 0, 'pending')"
            )
        )
        conn.execute(
            text("UPDATE tasks SET process_id = 'p-1', process_step = 'approve' WHERE id = :id"),
            {"id": TASKS[0]},
        )
    indexes = {i["name"] for i in inspect(db.get_engine()).get_indexes("tasks")}
    assert "ix_tasks_process_id" in indexes

    command.downgrade(cfg, "0004")
    with db.get_engine().connect() as conn:
        assert _tasks(conn) == before
    tables = set(inspect(db.get_engine()).get_table_names())
    assert not {"processes", "process_steps"} & tables
    assert "process_id" not in {c["name"] for c in inspect(db.get_engine()).get_columns("tasks")}
