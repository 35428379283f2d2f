"""scale: kept task counts, an index per list order and filter, and title search on a text index

Revision ID: 0008_scale
Revises: 0007
Create Date: 2026-12-01 21:00:00

``task_counts`` keeps how many tasks each organisation has per status and assignee (filled here
from the tasks already stored; ``core/tasks/counts.py`` keeps it from now on). The tasks' list
indexes end in the list order ``(created_at, id)``; the Done tab's are partial
(``status <> 'pending'``).

Title search: on SQLite the FTS5 table ``tasks_fts`` (trigram tokenizer, external content
``tasks`` by rowid), kept in step by triggers on insert, title update and delete, and built
here from the stored titles. A later migration that rebuilds ``tasks`` on SQLite (a batch
``ALTER``: copy, drop, rename) drops these triggers and renumbers rowids: it must call
``create_sqlite_search()`` again. On PostgreSQL a ``pg_trgm`` GIN index on ``lower(title)``
(without the extension — it needs the right to create it — search still works, unindexed) and
a GIN index on the metadata as ``jsonb`` for the ``meta.<key>`` filters.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0008_scale"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DONE = sa.text("status <> 'pending'")
_LIST_INDEXES = [
    ("ix_tasks_org_created", ["org_id", "created_at", "id"], False),
    ("ix_tasks_org_status_created", ["org_id", "status", "created_at", "id"], False),
    ("ix_tasks_org_done_created", ["org_id", "created_at", "id", "status"], True),
    ("ix_tasks_org_assignee_created", ["org_id", "assignee_id", "created_at", "id"], False),
    ("ix_tasks_org_assignee_status_created", ["org_id", "assignee_id", "status", "created_at", "id"], False),
    ("ix_tasks_org_assignee_done_created", ["org_id", "assignee_id", "created_at", "id", "status"], True),
    ("ix_tasks_org_correlation_created", ["org_id", "correlation_key", "created_at", "id"], False),
    ("ix_tasks_org_template_created", ["org_id", "template_id", "created_at", "id"], False),
    ("ix_tasks_org_process_created", ["org_id", "process_id", "created_at", "id"], False),
]
# The indexes of 0001/0005 the list indexes above replace: (name, columns).
_OLD_INDEXES = [
    ("ix_tasks_assignee_id", ["assignee_id"]),
    ("ix_tasks_correlation_key", ["correlation_key"]),
    ("ix_tasks_org_status_created", ["org_id", "status", "created_at"]),
    ("ix_tasks_org_template", ["org_id", "template_id"]),
]
_BACKFILL_COUNTS = """
INSERT INTO task_counts (org_id, assignee, status, slot, n)
SELECT org_id, '*', status, 0, COUNT(*) FROM tasks GROUP BY org_id, status
UNION ALL
SELECT org_id, COALESCE(assignee_id, ''), status, 0, COUNT(*) FROM tasks
GROUP BY org_id, COALESCE(assignee_id, ''), status
"""
_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE tasks_fts USING fts5(title, content='tasks', tokenize='trigram')",
    "CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN "
    "INSERT INTO tasks_fts (rowid, title) VALUES (new.rowid, new.title); END",
    "CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN "
    "INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title); END",
    "CREATE TRIGGER tasks_fts_title AFTER UPDATE OF title ON tasks BEGIN "
    "INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title); "
    "INSERT INTO tasks_fts (rowid, title) VALUES (new.rowid, new.title); END",
    "INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild')",
]
_SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS tasks_fts_insert",
    "DROP TRIGGER IF EXISTS tasks_fts_delete",
    "DROP TRIGGER IF EXISTS tasks_fts_title",
    "DROP TABLE IF EXISTS tasks_fts",
]


def create_sqlite_search() -> None:
    """(Re)create SQLite's title index ``tasks_fts`` and its triggers, and fill it from ``tasks``."""
    for statement in _SQLITE_SEARCH_DROP + _SQLITE_SEARCH:
        op.execute(statement)


def _create_postgresql_search() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        logging.getLogger("alembic.runtime.migration").warning(
            "0008_scale: pg_trgm is not available here; title search stays unindexed"
        )
    else:
        op.execute("CREATE INDEX ix_tasks_title_trgm ON tasks USING gin (lower(title) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_tasks_meta ON tasks USING gin ((CAST(metadata AS jsonb)) jsonb_path_ops)")


def upgrade() -> None:
    op.create_table(
        "task_counts",
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("assignee", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "assignee", "status", "slot"),
    )
    op.execute(_BACKFILL_COUNTS)
    for name, _columns in _OLD_INDEXES:
        op.drop_index(name, table_name="tasks")
    for name, columns, done_only in _LIST_INDEXES:
        where = {"sqlite_where": _DONE, "postgresql_where": _DONE} if done_only else {}
        op.create_index(name, "tasks", columns, unique=False, **where)
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()
    else:
        _create_postgresql_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_SEARCH_DROP:
            op.execute(statement)
    else:
        op.execute("DROP INDEX IF EXISTS ix_tasks_title_trgm")
        op.execute("DROP INDEX IF EXISTS ix_tasks_meta")
    for name, _columns, _done_only in _LIST_INDEXES:
        op.drop_index(name, table_name="tasks")
    for name, columns in _OLD_INDEXES:
        op.create_index(name, "tasks", columns, unique=False)
    op.drop_table("task_counts")
