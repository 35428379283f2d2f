"""processes: processes and their steps, and the task columns that tie a task to a step

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00

``processes`` holds one row per process (its namespace stored as ``<org_id>.<namespace>``),
``process_steps`` one row per step in its place. ``tasks`` gains ``process_id`` and
``process_step`` (both empty for every existing task).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sqlmodel.sql.sqltypes.AutoString(length=36)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "processes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("namespace", _text(140), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("current_step", _text(100), nullable=True),
        sa.Column("template_id", _text(100), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("processes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_processes_org_status_started", ["org_id", "status", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_processes_namespace"), ["namespace"], unique=False)
        batch_op.create_index(batch_op.f("ix_processes_template_id"), ["template_id"], unique=False)

    op.create_table(
        "process_steps",
        sa.Column("process_id", _ID, nullable=False),
        sa.Column("key", _text(100), nullable=False),
        sa.Column("label", _text(200), nullable=False),
        sa.Column("human", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("task_id", _ID, nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("progress_message", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("progress_percent", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
        ),
        sa.PrimaryKeyConstraint("process_id", "key"),
    )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("process_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("process_step", _text(100), nullable=True))
        batch_op.create_index(batch_op.f("ix_tasks_process_id"), ["process_id"], unique=False)


def downgrade() -> None:
    """Undo this revision (processes, their steps and the tasks' ties to them are dropped)."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_process_id"))
        batch_op.drop_column("process_step")
        batch_op.drop_column("process_id")
    op.drop_table("process_steps")
    with op.batch_alter_table("processes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processes_template_id"))
        batch_op.drop_index(batch_op.f("ix_processes_namespace"))
        batch_op.drop_index("ix_processes_org_status_started")
    op.drop_table("processes")
    op.execute("DELETE FROM timeline WHERE subject_kind = 'process'")
    op.execute("DELETE FROM deliveries WHERE subject_kind = 'process'")
