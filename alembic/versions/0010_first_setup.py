"""first setup: one row (a fixed primary key) marks the instance as set up

Revision ID: 0010_first_setup
Revises: 0009_upload_tasks
Create Date: 2026-12-01 21:00:00

Two first-run setups at once both saw "no user yet"; the first admin is now written in the same
transaction as the row ``instance_setup(id=1)``, and the store lets only one such row exist.
An instance that already has users is marked as set up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0010_first_setup"
down_revision: str | None = "0009_upload_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``instance_setup``; mark an instance with users as set up (at its first user's time)."""
    op.create_table(
        "instance_setup",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("set_up_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.execute(
        "INSERT INTO instance_setup (id, set_up_at) SELECT 1, MIN(created_at) FROM users HAVING COUNT(*) > 0"
    )


def downgrade() -> None:
    """Drop ``instance_setup``."""
    op.drop_table("instance_setup")
