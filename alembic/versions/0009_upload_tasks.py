"""upload tasks: a file uploaded on a task's page remembers the task (quota and clean-up)

Revision ID: 0009_upload_tasks
Revises: 0008_scale
Create Date: 2026-12-01 21:00:00

``files.task_id`` names the task whose page a person uploaded the file on (empty for files a
token uploaded through ``POST /files``). It bounds the bytes one task's uploads may take, and
lets the collector delete uploads no submission kept. Existing files keep every column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0009_upload_tasks"
down_revision: str | None = "0008_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_index("ix_files_task_id", ["task_id"], unique=False)


def downgrade() -> None:
    """Undo this revision (which task a file was uploaded for is forgotten)."""
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index("ix_files_task_id")
        batch_op.drop_column("task_id")
