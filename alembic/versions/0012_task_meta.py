"""task_meta: on SQLite, the tasks' metadata as rows, so ``meta.<key>`` filters read an index

Revision ID: 0012_task_meta
Revises: 0011_schedules
Create Date: 2026-12-02 03:00:00

SQLite cannot index every key of a JSON column, so a ``meta.<key>`` filter walked the whole
history when its value was rare. ``task_meta`` holds one row per text value of each task's
metadata (``org_id``, ``key``, ``value``, and the task's list key ``created_at``, ``task_id``),
its primary key in that order, so a filter reads its matches off it, newest or oldest first.
Triggers on ``tasks`` keep it (insert; metadata, organisation or time update; delete), each
row found again by its key from the old values: ``tasks.metadata`` stays the one source of
truth, and every write path (the bulk fill too) keeps it without knowing it. A later
migration that rebuilds ``tasks`` on SQLite drops these triggers: it must call
``create_sqlite_task_meta()`` again (and ``create_sqlite_search()`` of 0013_short_search).
PostgreSQL answers the same filters with the GIN index of 0008: nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_task_meta"
down_revision: str | None = "0011_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS_OF = (
    "SELECT {t}.org_id, key, value, {t}.created_at, {t}.id FROM json_each({t}.metadata) "
    "WHERE type = 'text' "
    "AND CASE WHEN json_valid({t}.metadata) THEN json_type({t}.metadata) END = 'object'"
)
# (The CASE: json_each raises on text that is not JSON; such a row, never written by HPI, is left out.)
_COLUMNS = "(org_id, key, value, created_at, task_id)"
_INSERT = f"INSERT OR IGNORE INTO task_meta {_COLUMNS} " + _ROWS_OF
_DELETE = f"DELETE FROM task_meta WHERE {_COLUMNS} IN (" + _ROWS_OF + ")"
_CREATE = [
    # The key is the index: one B-tree, one insert per value (the bulk fill pays little).
    "CREATE TABLE task_meta (org_id VARCHAR(36) NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "created_at DATETIME NOT NULL, task_id VARCHAR(36) NOT NULL, "
    "PRIMARY KEY (org_id, key, value, created_at, task_id)) WITHOUT ROWID",
    "CREATE TRIGGER task_meta_insert AFTER INSERT ON tasks BEGIN " + _INSERT.format(t="new") + "; END",
    "CREATE TRIGGER task_meta_update AFTER UPDATE OF metadata, org_id, created_at ON tasks BEGIN "
    + _DELETE.format(t="old")
    + "; "
    + _INSERT.format(t="new")
    + "; END",
    "CREATE TRIGGER task_meta_delete AFTER DELETE ON tasks BEGIN " + _DELETE.format(t="old") + "; END",
    _INSERT.format(t="tasks").replace("FROM json_each", "FROM tasks, json_each"),
]
_DROP = [
    "DROP TRIGGER IF EXISTS task_meta_insert",
    "DROP TRIGGER IF EXISTS task_meta_update",
    "DROP TRIGGER IF EXISTS task_meta_delete",
    "DROP TABLE IF EXISTS task_meta",
]


def create_sqlite_task_meta() -> None:
    """(Re)create SQLite's ``task_meta`` and its triggers, and fill it from ``tasks``."""
    for statement in _DROP + _CREATE:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_task_meta()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _DROP:
            op.execute(statement)
