"""link codes: one-time-code state per external assignee's link, and the grants it hands out

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:21:58.500942

``link_access`` holds one row per task with a code sent: the current code's salted hash (never the
code), its expiry, the resend cooldown and the wrong-code lock (SPEC §8). ``link_grants`` holds the
hashes of the secrets in the cookies of browsers that confirmed a code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('link_access',
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('code_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_table('link_grants',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('link_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_grants_task_id'), ['task_id'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('link_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_grants_task_id'))

    op.drop_table('link_grants')
    op.drop_table('link_access')
