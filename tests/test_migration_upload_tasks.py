"""Migration 0009_upload_tasks keeps every stored file and adds which task's page it came from."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from hpi_app import db
from tests.utils.migrations import NOW, add_organisation, filled_at

KEYS = ["uploads/1/report.pdf", "task-uploads/2/evidence.txt"]


def _fill_before(conn) -> None:
    add_organisation(conn)
    for n, key in enumerate(KEYS):
        conn.execute(
            text(
                "INSERT INTO files (key, org_id, name, size, content_type, created_at, created_by) "
                "VALUES (:key, 'org-1', :name, :size, 'text/plain', :t, NULL)"
            ),
            {"key": key, "name": key.rsplit("/", 1)[1], "size": 10 + n, "t": NOW},
        )


def test_upload_tasks_migration_keeps_the_files(empty_store):
    cfg = filled_at("0008_scale", _fill_before)
    columns = "key, org_id, name, size, content_type"
    with db.get_engine().connect() as conn:
        before = conn.execute(text(f"SELECT {columns} FROM files ORDER BY key")).all()
    command.upgrade(cfg, "0009_upload_tasks")
    with db.get_engine().begin() as conn:
        after = conn.execute(text(f"SELECT {columns}, task_id FROM files ORDER BY key")).all()
        conn.execute(text("UPDATE files SET task_id = 'task-1' WHERE key = :key"), {"key": KEYS[1]})
        counted = conn.execute(text("SELECT SUM(size) FROM files WHERE task_id = 'task-1'")).scalar()
    assert [tuple(r) for r in after] == [(*r, None) for r in before]
    assert counted == 11
    command.downgrade(cfg, "0008_scale")
    with db.get_engine().connect() as conn:
        assert conn.execute(text(f"SELECT {columns} FROM files ORDER BY key")).all() == before
