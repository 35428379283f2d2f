"""schedules: a task's reminder, escalation and on_expire policy, its scheduled actions, org defaults

Revision ID: 0011_schedules
Revises: 0010_first_setup
Create Date: 2026-12-01 21:00:00

``tasks`` gains the policy columns (``reminders``, ``escalation``, ``on_expire``), how many
reminders and escalations went out (the dashboard's badges) and when the last reminder was sent
(the notify cooldown). ``scheduled_actions`` holds each planned reminder and escalation step,
so they survive restarts and run once across workers; ``org_settings`` holds an organisation's
default task policy. Existing tasks keep no policy: nothing is scheduled for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0011_schedules"
down_revision: str | None = "0010_first_setup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sqlmodel.sql.sqltypes.AutoString(length=36)
_TIME = sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    """Add the policy columns, the scheduled actions and the organisation settings."""
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("reminders", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("escalation", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("on_expire", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reminded_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalated_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_notified_at", _TIME, nullable=True))
    op.create_table(
        "scheduled_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        sa.Column("cancelled_at", _TIME, nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.UniqueConstraint("task_id", "kind", "seq", name="uq_scheduled_action"),
    )
    op.create_index("ix_scheduled_actions_task_id", "scheduled_actions", ["task_id"])
    op.create_index(
        "ix_scheduled_actions_open_due", "scheduled_actions", ["done_at", "cancelled_at", "due_at"]
    )
    op.create_table(
        "org_settings",
        sa.Column("org_id", _ID, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("task_defaults", sa.JSON(), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("updated_by", _ID, nullable=True),
    )


def downgrade() -> None:
    """Drop what ``upgrade`` added."""
    op.drop_table("org_settings")
    op.drop_index("ix_scheduled_actions_open_due", table_name="scheduled_actions")
    op.drop_index("ix_scheduled_actions_task_id", table_name="scheduled_actions")
    op.drop_table("scheduled_actions")
    # A plain DROP COLUMN (SQLite >= 3.35): a batch rebuild of ``tasks`` would lose 0008's search
    # triggers and partial indexes.
    for column in ("last_notified_at", "escalated_count", "reminded_count", "on_expire", "escalation", "reminders"):
        op.execute(f"ALTER TABLE tasks DROP COLUMN {column}")
