"""pending_titles: the pending tasks' titles in an index of their own, so a search counts them fast

Revision ID: 0015_pending_titles
Revises: 0014_pg_lists
Create Date: 2026-12-02 07:00:00

The Done tab's search total is the text index's count of matches less the pending matches
(``core/tasks/listing.py``). Pending tasks are few but scattered over the whole history, so
counting their matches read one table page per task (about 33 ms for 10,000 pending tasks at
1,000,000). The partial index ``ix_tasks_pending_titles`` on ``(org_id, status, title)`` of the pending
tasks holds their titles: the count reads that index alone. Both stores.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_pending_titles"
down_revision: str | None = "0014_pg_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CREATE = "CREATE INDEX ix_tasks_pending_titles ON tasks (org_id, status, title) WHERE status = 'pending'"


def upgrade() -> None:
    op.execute(_CREATE)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tasks_pending_titles")
